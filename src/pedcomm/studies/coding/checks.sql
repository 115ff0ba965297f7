-- Semantic rules of the transcript-coding study (Kaye et al. 2021), one check per block, run by the
-- check engine (pedcomm.validation.engine) on the typed tables (see survey/checks.sql for the form).
-- Rules tolerate broken references and blank cells: the structural checks report those.

-- check: PATIENT_INELIGIBLE, PATIENT_ANALYTIC_NOT_PROGRESSED, PATIENT_DEATH_DAY_INCONSISTENT
-- needs: coding_patients
SELECT 'ran' AS kind, 'PATIENT_INELIGIBLE' AS code, 'coding_patients' AS resource,
       'projected_survival_50_or_less' AS field, count(projected_survival_50_or_less) AS checked
FROM typed.coding_patients
UNION ALL BY NAME
SELECT 'finding' AS kind, 'PATIENT_INELIGIBLE' AS code, 'coding_patients' AS resource,
       'projected_survival_50_or_less' AS field, __row AS row, __record AS record,
       show(coding_patients.patient_id, patient_id) AS value
FROM typed.coding_patients WHERE projected_survival_50_or_less = false
UNION ALL BY NAME
SELECT 'ran' AS kind, 'PATIENT_ANALYTIC_NOT_PROGRESSED' AS code, 'coding_patients' AS resource, 'analytic_sample' AS field,
       count(*) FILTER (WHERE analytic_sample) AS checked
FROM typed.coding_patients
UNION ALL BY NAME
SELECT 'finding' AS kind, 'PATIENT_ANALYTIC_NOT_PROGRESSED' AS code, 'coding_patients' AS resource,
       'analytic_sample' AS field, __row AS row, __record AS record,
       show(coding_patients.patient_id, patient_id) AS value, words(pc_bool(progressed)) AS detail
FROM typed.coding_patients WHERE analytic_sample AND NOT coalesce(progressed, false)
UNION ALL BY NAME
SELECT 'ran' AS kind, 'PATIENT_DEATH_DAY_INCONSISTENT' AS code, 'coding_patients' AS resource, 'death_study_day' AS field,
       count(death_study_day) AS checked
FROM typed.coding_patients
UNION ALL BY NAME
SELECT 'finding' AS kind, 'PATIENT_DEATH_DAY_INCONSISTENT' AS code, 'coding_patients' AS resource,
       'death_study_day' AS field, __row AS row, __record AS record,
       show(coding_patients.patient_id, patient_id) AS value, words(pc_num(death_study_day)) AS detail,
       words(pc_bool(died)) AS expected
FROM typed.coding_patients WHERE death_study_day IS NOT NULL AND NOT coalesce(died, false)

-- check: DISCUSSION_SEQUENCE_GAP, DISCUSSION_SEQUENCE_ORDER
-- needs: coding_discussions
WITH sub AS (SELECT * FROM typed.coding_discussions WHERE patient_id IS NOT NULL AND sequence IS NOT NULL),
per_patient AS (SELECT patient_id, count(*) AS size, count(DISTINCT sequence) AS nuniq, min(sequence) AS lo,
                       max(sequence) AS hi, min(__row) AS first_row, list_sort(list(sequence)) AS numbers
                FROM sub GROUP BY patient_id),
ordered AS (SELECT __row, __record, discussion_id, study_day,
                   max(study_day) OVER (PARTITION BY patient_id ORDER BY sequence, __row
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
            FROM sub WHERE study_day IS NOT NULL)
SELECT 'ran' AS kind, 'DISCUSSION_SEQUENCE_GAP' AS code, 'coding_discussions' AS resource, 'sequence' AS field,
       count(*) AS checked
FROM per_patient
UNION ALL BY NAME
SELECT 'finding' AS kind, 'DISCUSSION_SEQUENCE_GAP' AS code, 'coding_discussions' AS resource, 'sequence' AS field,
       p.first_row AS row, d.__record AS record, show(coding_discussions.patient_id, p.patient_id) AS value,
       words(array_to_string(list_transform(p.numbers[1:30], x -> CAST(x AS VARCHAR)), ', ')
         || CASE WHEN p.size > 30 THEN ' ...' ELSE '' END) AS detail,
       CAST(p.size AS VARCHAR) AS n
FROM per_patient p JOIN typed.coding_discussions d ON d.__row = p.first_row
WHERE p.nuniq <> p.size OR p.lo <> 1 OR p.hi <> p.size
UNION ALL BY NAME
SELECT 'ran' AS kind, 'DISCUSSION_SEQUENCE_ORDER' AS code, 'coding_discussions' AS resource, 'study_day' AS field,
       count(*) AS checked
FROM ordered
UNION ALL BY NAME
SELECT 'finding' AS kind, 'DISCUSSION_SEQUENCE_ORDER' AS code, 'coding_discussions' AS resource, 'study_day' AS field,
       __row AS row, __record AS record, show(coding_discussions.discussion_id, discussion_id) AS value,
       words(pc_num(study_day)) AS detail, words(pc_num(prev)) AS expected
FROM ordered WHERE study_day < prev

-- check: DISCUSSION_AFTER_DEATH
-- needs: coding_discussions, coding_patients
WITH death AS (SELECT patient_id, first(death_study_day ORDER BY __row) AS death
               FROM typed.coding_patients WHERE patient_id IS NOT NULL GROUP BY patient_id),
known AS (SELECT d.__row, d.__record, d.discussion_id, d.study_day, p.death
          FROM typed.coding_discussions d JOIN death p ON d.patient_id = p.patient_id
          WHERE d.study_day IS NOT NULL AND p.death IS NOT NULL)
SELECT 'ran' AS kind, 'DISCUSSION_AFTER_DEATH' AS code, 'coding_discussions' AS resource, 'study_day' AS field,
       count(*) AS checked
FROM known
UNION ALL BY NAME
SELECT 'finding' AS kind, 'DISCUSSION_AFTER_DEATH' AS code, 'coding_discussions' AS resource, 'study_day' AS field,
       __row AS row, __record AS record, show(coding_discussions.discussion_id, discussion_id) AS value,
       words(pc_num(study_day)) AS detail, words(pc_num(death)) AS expected
FROM known WHERE study_day > death

-- check: DISCUSSION_DURATION_NONPOSITIVE, DISCUSSION_DURATION_LONG
-- needs: coding_discussions
SELECT 'ran' AS kind, code, 'coding_discussions' AS resource, 'duration_minutes' AS field,
       count(duration_minutes) AS checked
FROM typed.coding_discussions, (VALUES ('DISCUSSION_DURATION_NONPOSITIVE'), ('DISCUSSION_DURATION_LONG')) c(code)
GROUP BY code
UNION ALL BY NAME
SELECT 'finding' AS kind, 'DISCUSSION_DURATION_NONPOSITIVE' AS code, 'coding_discussions' AS resource,
       'duration_minutes' AS field, __row AS row, __record AS record, plain(pc_num(duration_minutes)) AS value
FROM typed.coding_discussions WHERE duration_minutes <= 0
UNION ALL BY NAME
SELECT 'finding' AS kind, 'DISCUSSION_DURATION_LONG' AS code, 'coding_discussions' AS resource,
       'duration_minutes' AS field, __row AS row, __record AS record, plain(pc_num(duration_minutes)) AS value
FROM typed.coding_discussions WHERE duration_minutes > ${DISCUSSION_DURATION_LONG.max_minutes}

-- check: DISCUSSION_ONCOLOGIST_ROLE
-- needs: coding_discussions, coding_clinicians
WITH roles AS (SELECT clinician_id, first(role ORDER BY __row) AS role
               FROM typed.coding_clinicians WHERE clinician_id IS NOT NULL GROUP BY clinician_id),
known AS (SELECT d.__row, d.__record, d.primary_oncologist_id, c.role
          FROM typed.coding_discussions d JOIN roles c ON d.primary_oncologist_id = c.clinician_id
          WHERE c.role IS NOT NULL)
SELECT 'ran' AS kind, 'DISCUSSION_ONCOLOGIST_ROLE' AS code, 'coding_discussions' AS resource,
       'primary_oncologist_id' AS field, count(*) AS checked
FROM known
UNION ALL BY NAME
SELECT 'finding' AS kind, 'DISCUSSION_ONCOLOGIST_ROLE' AS code, 'coding_discussions' AS resource,
       'primary_oncologist_id' AS field, __row AS row, __record AS record,
       show(coding_discussions.primary_oncologist_id, primary_oncologist_id) AS value,
       show(coding_clinicians.role, role) AS detail
FROM known WHERE role <> ${oncologist_role}

-- check: THEME_WITHOUT_CODES
-- needs: coding_themes, coding_codes
SELECT 'ran' AS kind, 'THEME_WITHOUT_CODES' AS code, 'coding_themes' AS resource, 'theme_id' AS field,
       count(theme_id) AS checked
FROM typed.coding_themes
UNION ALL BY NAME
SELECT 'finding' AS kind, 'THEME_WITHOUT_CODES' AS code, 'coding_themes' AS resource, 'theme_id' AS field,
       __row AS row, __record AS record, show(coding_themes.theme_id, theme_id) AS value
FROM typed.coding_themes
WHERE theme_id IS NOT NULL AND theme_id NOT IN (SELECT theme_id FROM typed.coding_codes WHERE theme_id IS NOT NULL)

-- check: CODE_NAME_DUPLICATE
-- needs: coding_codes
WITH named AS (SELECT __row, __record, code_id, theme_id,
                      regexp_replace(lower(pc_strip(name)), '\s+', ' ', 'g') AS norm
               FROM typed.coding_codes WHERE name IS NOT NULL),
firsts AS (SELECT norm, min(__row) AS first_row FROM named GROUP BY norm)
SELECT 'ran' AS kind, 'CODE_NAME_DUPLICATE' AS code, 'coding_codes' AS resource, 'name' AS field, count(*) AS checked
FROM named
UNION ALL BY NAME
SELECT 'finding' AS kind, 'CODE_NAME_DUPLICATE' AS code, 'coding_codes' AS resource, 'name' AS field,
       n.__row AS row, n.__record AS record, show(coding_codes.code_id, n.code_id) AS value,
       show(coding_codes.code_id, f.code_id) AS detail, show(coding_codes.theme_id, f.theme_id) AS expected
FROM named n JOIN firsts USING (norm) JOIN named f ON f.__row = firsts.first_row
WHERE n.__row > firsts.first_row

-- check: SEGMENT_END_BEFORE_START
-- needs: coding_segments
SELECT 'ran' AS kind, 'SEGMENT_END_BEFORE_START' AS code, 'coding_segments' AS resource, 'end_seconds' AS field,
       count(*) FILTER (WHERE start_seconds IS NOT NULL AND end_seconds IS NOT NULL) AS checked
FROM typed.coding_segments
UNION ALL BY NAME
SELECT 'finding' AS kind, 'SEGMENT_END_BEFORE_START' AS code, 'coding_segments' AS resource, 'end_seconds' AS field,
       __row AS row, __record AS record, plain(pc_num(end_seconds)) AS value, words(pc_num(start_seconds)) AS detail
FROM typed.coding_segments WHERE end_seconds <= start_seconds

-- check: SEGMENT_BEYOND_DISCUSSION
-- needs: coding_segments, coding_discussions
WITH minutes AS (SELECT discussion_id, first(duration_minutes ORDER BY __row) AS minutes
                 FROM typed.coding_discussions WHERE discussion_id IS NOT NULL GROUP BY discussion_id),
known AS (SELECT s.__row, s.__record, s.end_seconds, m.minutes
          FROM typed.coding_segments s JOIN minutes m ON s.discussion_id = m.discussion_id
          WHERE s.end_seconds IS NOT NULL AND m.minutes IS NOT NULL)
SELECT 'ran' AS kind, 'SEGMENT_BEYOND_DISCUSSION' AS code, 'coding_segments' AS resource, 'end_seconds' AS field,
       count(*) AS checked
FROM known
UNION ALL BY NAME
SELECT 'finding' AS kind, 'SEGMENT_BEYOND_DISCUSSION' AS code, 'coding_segments' AS resource, 'end_seconds' AS field,
       __row AS row, __record AS record, plain(pc_num(end_seconds)) AS value, words(pc_num(minutes)) AS detail,
       words(pc_num(minutes * 60)) AS expected
FROM known WHERE end_seconds > minutes * 60 + ${SEGMENT_BEYOND_DISCUSSION.rounding_seconds}

-- check: SEGMENT_DUPLICATE_CODING
-- needs: coding_segments
WITH s AS (SELECT * FROM typed.coding_segments
           WHERE discussion_id IS NOT NULL AND code_id IS NOT NULL AND coder_id IS NOT NULL
             AND start_seconds IS NOT NULL AND end_seconds IS NOT NULL),
-- the segment an overlap is with: among the earlier ones (in order of start, end, row), the latest
-- of those reaching the furthest end
compared AS (SELECT *, max(end_seconds) OVER earlier AS prev_end,
                    arg_max(segment_id, struct_pack(e := end_seconds, a := start_seconds, r := __row)) OVER earlier AS prev_owner
             FROM s WINDOW earlier AS (PARTITION BY discussion_id, code_id, coder_id
                                       ORDER BY start_seconds, end_seconds, __row
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
SELECT 'ran' AS kind, 'SEGMENT_DUPLICATE_CODING' AS code, 'coding_segments' AS resource, 'segment_id' AS field,
       count(*) AS checked
FROM s
UNION ALL BY NAME
SELECT 'finding' AS kind, 'SEGMENT_DUPLICATE_CODING' AS code, 'coding_segments' AS resource, 'segment_id' AS field,
       __row AS row, __record AS record, show(coding_segments.segment_id, segment_id) AS value,
       show(coding_segments.code_id, code_id) AS detail, show(coding_segments.segment_id, prev_owner) AS expected
FROM compared WHERE start_seconds < prev_end

-- check: SEGMENT_CODER_UNASSIGNED
-- needs: coding_segments, coding_discussions
WITH coders AS (SELECT discussion_id, first(primary_coder_id ORDER BY __row) AS primary_id,
                       first(second_coder_id ORDER BY __row) AS second_id
                FROM typed.coding_discussions WHERE discussion_id IS NOT NULL GROUP BY discussion_id),
checked AS (SELECT s.__row, s.__record, s.coder_id, c.primary_id, c.second_id
            FROM typed.coding_segments s JOIN coders c ON s.discussion_id = c.discussion_id
            WHERE s.coder_id IS NOT NULL)
SELECT 'ran' AS kind, 'SEGMENT_CODER_UNASSIGNED' AS code, 'coding_segments' AS resource, 'coder_id' AS field,
       count(*) AS checked
FROM checked
UNION ALL BY NAME
SELECT 'finding' AS kind, 'SEGMENT_CODER_UNASSIGNED' AS code, 'coding_segments' AS resource, 'coder_id' AS field,
       __row AS row, __record AS record, show(coding_segments.coder_id, coder_id) AS value,
       words('primary ' || coalesce(pc_render(show(coding_discussions.primary_coder_id, primary_id)), 'blank')
         || coalesce(', second ' || pc_render(show(coding_discussions.second_coder_id, second_id)), '')) AS detail
FROM checked
WHERE NOT coalesce(coder_id = primary_id, false) AND NOT coalesce(coder_id = second_id, false)

-- check: SEGMENT_SPEAKER_ABSENT
-- needs: coding_segments, coding_attendance
WITH attended AS (SELECT DISTINCT discussion_id, role FROM typed.coding_attendance
                  WHERE discussion_id IS NOT NULL AND role IS NOT NULL),
checked AS (SELECT s.__row, s.__record, s.discussion_id, s.speaker_role
            FROM typed.coding_segments s
            WHERE s.speaker_role IS NOT NULL AND s.discussion_id IN (SELECT discussion_id FROM attended))
SELECT 'ran' AS kind, 'SEGMENT_SPEAKER_ABSENT' AS code, 'coding_segments' AS resource, 'speaker_role' AS field,
       count(*) AS checked
FROM checked
UNION ALL BY NAME
SELECT 'finding' AS kind, 'SEGMENT_SPEAKER_ABSENT' AS code, 'coding_segments' AS resource, 'speaker_role' AS field,
       c.__row AS row, c.__record AS record, show(coding_segments.speaker_role, c.speaker_role) AS value,
       show(coding_segments.discussion_id, c.discussion_id) AS detail
FROM checked c LEFT JOIN attended a ON a.discussion_id = c.discussion_id AND a.role = c.speaker_role
WHERE a.role IS NULL

-- check: EXCERPT_IDENTIFIER
-- needs: coding_segments
SELECT 'ran' AS kind, 'EXCERPT_IDENTIFIER' AS code, 'coding_segments' AS resource, 'excerpt' AS field,
       count(excerpt) AS checked
FROM typed.coding_segments
UNION ALL BY NAME
SELECT 'finding' AS kind, 'EXCERPT_IDENTIFIER' AS code, 'coding_segments' AS resource, 'excerpt' AS field,
       __row AS row, __record AS record, secret(excerpt) AS value, words(pc_kinds(excerpt)) AS detail
FROM typed.coding_segments WHERE pc_screen(excerpt)
