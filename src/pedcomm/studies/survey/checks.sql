-- Semantic rules of the survey study (Mack et al. 2021), one check per block, run by the check
-- engine (pedcomm.validation.engine) on the typed tables: typed.<table>, one row per row of the
-- file (__row: its row number, header = 1; __record: its record id, masked where needed).
-- A block is headed by the codes it reports ('-- check:') and the tables it needs ('-- needs:');
-- it returns rows by column name: 'ran' rows (code, resource, field, checked) and one 'finding'
-- row per failure (row, record, value, detail, expected, who, n); the engine counts and lists them.
-- ${CODE.name} is a parameter of the registry (validation/checks.yaml), ${name} a constant of the
-- study (checks.py), show(table.field, value) the field's masking path.

-- check: ITEM_RANGE_INVALID
-- needs: survey_items
SELECT 'ran' AS kind, 'ITEM_RANGE_INVALID' AS code, 'survey_items' AS resource, NULL AS field, count(*) AS checked
FROM typed.survey_items
UNION ALL BY NAME
SELECT 'finding' AS kind, 'ITEM_RANGE_INVALID' AS code, 'survey_items' AS resource, 'challenge_cutoff' AS field,
       __row AS row, __record AS record, show(survey_items.item_id, item_id) AS value,
       words(CASE WHEN empty THEN 'response_min is not below response_max'
            ELSE 'the challenge cutoff is outside the response range' END) AS detail
FROM (SELECT *, coalesce(response_min >= response_max, false) AS empty,
             coalesce(challenge_cutoff < response_min OR challenge_cutoff > response_max, false) AS outside
      FROM typed.survey_items)
WHERE empty OR outside

-- check: CHALLENGE_FLAG_MISMATCH
-- needs: survey_relationships, survey_responses, survey_items
WITH answered AS (
    SELECT r.respondent, r.relationship_id,
           r.response IS NOT NULL AND i.challenge_cutoff IS NOT NULL AS answered,
           r.response IS NOT NULL AND i.challenge_cutoff IS NOT NULL
             AND CASE WHEN i.direction = 'higher_is_worse' THEN r.response >= i.challenge_cutoff
                      ELSE r.response <= i.challenge_cutoff END AS hit
    FROM typed.survey_responses r LEFT JOIN typed.survey_items i ON r.item_id = i.item_id
    WHERE r.relationship_id IS NOT NULL),
derived AS (
    SELECT respondent, relationship_id, bool_or(hit) AS any_hit, bool_or(answered) AS any_answered
    FROM answered WHERE respondent IN ('parent', 'clinician') GROUP BY ALL),
compared AS (
    SELECT rel.__row, rel.__record, who.respondent, who.respondent || '_challenging' AS field,
           pc_bool(CASE who.respondent WHEN 'parent' THEN rel.parent_challenging ELSE rel.clinician_challenging END) AS stored,
           CASE WHEN coalesce(d.any_answered, false) THEN pc_bool(d.any_hit) ELSE 'blank' END AS expected
    FROM typed.survey_relationships rel
    CROSS JOIN (VALUES ('parent', 1), ('clinician', 2)) who(respondent, k)
    LEFT JOIN derived d ON d.relationship_id = rel.relationship_id AND d.respondent = who.respondent)
SELECT 'ran' AS kind, 'CHALLENGE_FLAG_MISMATCH' AS code, 'survey_relationships' AS resource, field, count(*) AS checked
FROM compared GROUP BY field
UNION ALL BY NAME
SELECT 'finding' AS kind, 'CHALLENGE_FLAG_MISMATCH' AS code, 'survey_relationships' AS resource, field,
       __row AS row, __record AS record, plain(stored) AS value, words(expected) AS expected
FROM compared WHERE stored <> expected

-- check: RELATIONSHIP_PRIOR_VISITS
-- needs: survey_relationships
SELECT 'ran' AS kind, 'RELATIONSHIP_PRIOR_VISITS' AS code, 'survey_relationships' AS resource,
       'prior_visits' AS field, count(prior_visits) AS checked
FROM typed.survey_relationships
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RELATIONSHIP_PRIOR_VISITS' AS code, 'survey_relationships' AS resource, 'prior_visits' AS field,
       __row AS row, __record AS record, plain(CAST(prior_visits AS VARCHAR)) AS value,
       words(prior_visits) AS detail
FROM typed.survey_relationships WHERE prior_visits < ${RELATIONSHIP_PRIOR_VISITS.min_prior_visits}

-- check: RELATIONSHIP_VISIT_RATE
-- needs: survey_relationships, survey_children
WITH days AS (SELECT parent_id, first(days_since_diagnosis ORDER BY __row) AS days
              FROM typed.survey_children WHERE parent_id IS NOT NULL GROUP BY parent_id),
known AS (SELECT rel.__row, rel.__record, rel.prior_visits AS visits, d.days
          FROM typed.survey_relationships rel JOIN days d ON rel.parent_id = d.parent_id
          WHERE rel.prior_visits IS NOT NULL AND d.days IS NOT NULL)
SELECT 'ran' AS kind, 'RELATIONSHIP_VISIT_RATE' AS code, 'survey_relationships' AS resource, 'prior_visits' AS field,
       count(*) AS checked
FROM known
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RELATIONSHIP_VISIT_RATE' AS code, 'survey_relationships' AS resource, 'prior_visits' AS field,
       __row AS row, __record AS record, plain(CAST(visits AS VARCHAR)) AS value, words(days) AS detail,
       words(printf('%g', CAST(${RELATIONSHIP_VISIT_RATE.max_visits_per_day} AS DOUBLE))) AS expected
FROM known WHERE visits > CAST(${RELATIONSHIP_VISIT_RATE.max_visits_per_day} AS DOUBLE) * days

-- check: PARENT_RELATIONSHIPS_EXCESS
-- needs: survey_relationships
WITH per_parent AS (SELECT parent_id, min(__row) AS first_row, count(*) AS n
                    FROM typed.survey_relationships WHERE parent_id IS NOT NULL GROUP BY parent_id)
SELECT 'ran' AS kind, 'PARENT_RELATIONSHIPS_EXCESS' AS code, 'survey_relationships' AS resource, 'parent_id' AS field,
       count(*) AS checked
FROM per_parent
UNION ALL BY NAME
SELECT 'finding' AS kind, 'PARENT_RELATIONSHIPS_EXCESS' AS code, 'survey_relationships' AS resource, 'parent_id' AS field,
       rel.__row AS row, rel.__record AS record, show(survey_relationships.parent_id, p.parent_id) AS value,
       words(p.n) AS detail
FROM per_parent p JOIN typed.survey_relationships rel ON rel.__row = p.first_row
WHERE p.n > ${PARENT_RELATIONSHIPS_EXCESS.max_relationships}

-- check: REPORT_RESPONSES_MISSING, RESPONSES_WITHOUT_REPORT
-- needs: survey_relationships, survey_responses, survey_items
WITH owners(respondent, instrument, k) AS (VALUES ${instrument_of}),
n_items AS (SELECT o.respondent, count(i.item_id) AS n_items
            FROM owners o LEFT JOIN typed.survey_items i ON i.instrument = o.instrument GROUP BY o.respondent),
first_rel AS (SELECT relationship_id, min(__row) AS rel_row FROM typed.survey_relationships
              WHERE relationship_id IS NOT NULL GROUP BY relationship_id),
first_item AS (SELECT item_id, first(instrument ORDER BY __row) AS instrument FROM typed.survey_items
               WHERE item_id IS NOT NULL GROUP BY item_id),
counted AS (SELECT f.rel_row, r.respondent, count(*) AS n_stray,
                   count(*) FILTER (WHERE fi.instrument = o.instrument) AS n_have
            FROM typed.survey_responses r JOIN first_rel f ON r.relationship_id = f.relationship_id
            JOIN owners o ON r.respondent = o.respondent
            LEFT JOIN first_item fi ON r.item_id = fi.item_id
            GROUP BY ALL),
per_rel AS (SELECT rel.__row, rel.__record, o.respondent, o.k, o.respondent || '_report' AS field,
                   CASE o.respondent WHEN 'parent' THEN rel.parent_report ELSE rel.clinician_report END AS flag,
                   coalesce(c.n_have, 0) AS n_have, coalesce(c.n_stray, 0) AS n_stray, ni.n_items
            FROM typed.survey_relationships rel CROSS JOIN owners o
            JOIN n_items ni ON ni.respondent = o.respondent
            LEFT JOIN counted c ON c.rel_row = rel.__row AND c.respondent = o.respondent)
SELECT 'ran' AS kind, 'REPORT_RESPONSES_MISSING' AS code, 'survey_relationships' AS resource, field,
       count(*) FILTER (WHERE flag) AS checked
FROM per_rel GROUP BY field
UNION ALL BY NAME
SELECT 'ran' AS kind, 'RESPONSES_WITHOUT_REPORT' AS code, 'survey_relationships' AS resource, field,
       count(*) FILTER (WHERE NOT flag) AS checked
FROM per_rel GROUP BY field
UNION ALL BY NAME
SELECT 'finding' AS kind, 'REPORT_RESPONSES_MISSING' AS code, 'survey_relationships' AS resource, field,
       __row AS row, __record AS record, words(n_items - n_have) AS detail, respondent AS who,
       words(n_items) AS expected
FROM per_rel WHERE flag AND n_have < n_items
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RESPONSES_WITHOUT_REPORT' AS code, 'survey_relationships' AS resource, field,
       __row AS row, __record AS record, words(n_stray) AS detail, respondent AS who
FROM per_rel WHERE NOT flag AND n_stray > 0

-- check: RESPONSE_OUT_OF_RANGE, RESPONSE_RESPONDENT_MISMATCH
-- needs: survey_responses, survey_items
WITH owners(respondent, instrument, k) AS (VALUES ${instrument_of}),
first_item AS (SELECT item_id, first(response_min ORDER BY __row) AS lo, first(response_max ORDER BY __row) AS hi,
                      first(instrument ORDER BY __row) AS instrument
               FROM typed.survey_items WHERE item_id IS NOT NULL GROUP BY item_id),
resp AS (SELECT r.*, i.lo, i.hi, i.instrument, i.item_id IS NOT NULL AS found, own.respondent AS owner,
                mine.k AS want
         FROM typed.survey_responses r LEFT JOIN first_item i ON r.item_id = i.item_id
         LEFT JOIN owners own ON own.instrument = i.instrument
         LEFT JOIN owners mine ON mine.respondent = r.respondent)
SELECT 'ran' AS kind, 'RESPONSE_OUT_OF_RANGE' AS code, 'survey_responses' AS resource, 'response' AS field,
       count(*) FILTER (WHERE found AND response IS NOT NULL) AS checked
FROM resp
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RESPONSE_OUT_OF_RANGE' AS code, 'survey_responses' AS resource, 'response' AS field,
       __row AS row, __record AS record, plain(CAST(response AS VARCHAR)) AS value,
       show(survey_responses.item_id, item_id) AS detail, words(CAST(lo AS VARCHAR) || '-' || CAST(hi AS VARCHAR)) AS expected
FROM resp WHERE found AND response IS NOT NULL AND (response < lo OR response > hi)
UNION ALL BY NAME
SELECT 'ran' AS kind, 'RESPONSE_RESPONDENT_MISMATCH' AS code, 'survey_responses' AS resource, 'respondent' AS field,
       count(*) FILTER (WHERE owner IS NOT NULL AND want IS NOT NULL) AS checked
FROM resp
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RESPONSE_RESPONDENT_MISMATCH' AS code, 'survey_responses' AS resource, 'respondent' AS field,
       __row AS row, __record AS record, show(survey_responses.respondent, respondent) AS value,
       show(survey_responses.item_id, item_id) AS detail, words(owner) AS expected
FROM resp WHERE owner IS NOT NULL AND want IS NOT NULL AND owner <> respondent

-- check: SURVEY_TIMING
-- needs: survey_children
SELECT 'ran' AS kind, 'SURVEY_TIMING' AS code, 'survey_children' AS resource, 'days_since_diagnosis' AS field,
       count(days_since_diagnosis) AS checked
FROM typed.survey_children
UNION ALL BY NAME
SELECT 'finding' AS kind, 'SURVEY_TIMING' AS code, 'survey_children' AS resource, 'days_since_diagnosis' AS field,
       __row AS row, __record AS record, plain(CAST(days_since_diagnosis AS VARCHAR)) AS value,
       words(days_since_diagnosis) AS detail
FROM typed.survey_children WHERE days_since_diagnosis > ${SURVEY_TIMING.window_days}
