-- Semantic rules of the survey study (Mack et al. 2021), one check per block, run by the check
-- engine (pedcomm.validation.engine) on the typed tables: typed.<table>, one row per row of the
-- file (__row: its row number, header = 1; __record: its record id, masked where needed).
-- A block is headed by the codes it reports ('-- check:') and the tables it needs ('-- needs:');
-- it returns rows by column name: 'ran' rows (code, resource, field, checked) and one 'finding'
-- row per failure (row, value, detail, expected, who, n); the engine counts and lists them and
-- adds the record id of each listed finding's row (a rule that carried __record through its joins
-- would compute it for every row: leave it to the engine).
-- ${CODE.name} is a parameter of the registry (validation/checks.yaml), ${name} a constant of the
-- study (checks.py), show(table.field, value) the field's masking path.

-- check: ITEM_RANGE_INVALID
-- needs: survey_items
SELECT 'ran' AS kind, 'ITEM_RANGE_INVALID' AS code, 'survey_items' AS resource, NULL AS field, count(*) AS checked
FROM typed.survey_items
UNION ALL BY NAME
SELECT 'finding' AS kind, 'ITEM_RANGE_INVALID' AS code, 'survey_items' AS resource, 'challenge_cutoff' AS field,
       __row AS row, show(survey_items.item_id, item_id) AS value,
       words(CASE WHEN empty THEN 'response_min is not below response_max'
            ELSE 'the challenge cutoff is outside the response range' END) AS detail
FROM (SELECT * EXCLUDE (__record), coalesce(response_min >= response_max, false) AS empty,
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
    WHERE r.relationship_id IS NOT NULL AND r.respondent IN ('parent', 'clinician')),
-- one row per relationship (both respondents' answers), one pass over the responses
derived AS (
    SELECT relationship_id,
           bool_or(hit) FILTER (WHERE respondent = 'parent') AS parent_hit,
           bool_or(answered) FILTER (WHERE respondent = 'parent') AS parent_answered,
           bool_or(hit) FILTER (WHERE respondent = 'clinician') AS clinician_hit,
           bool_or(answered) FILTER (WHERE respondent = 'clinician') AS clinician_answered
    FROM answered GROUP BY relationship_id),
-- the stored flags and the flags the answers give (NULL: nothing answered), for the rows that differ
flags AS (
    SELECT * FROM (
        SELECT rel.__row, rel.parent_challenging AS parent_stored, rel.clinician_challenging AS clinician_stored,
               CASE WHEN coalesce(d.parent_answered, false) THEN d.parent_hit END AS parent_expected,
               CASE WHEN coalesce(d.clinician_answered, false) THEN d.clinician_hit END AS clinician_expected
        FROM typed.survey_relationships rel LEFT JOIN derived d ON d.relationship_id = rel.relationship_id)
    WHERE parent_stored IS DISTINCT FROM parent_expected OR clinician_stored IS DISTINCT FROM clinician_expected),
differ AS (
    SELECT __row, 'parent_challenging' AS field, parent_stored AS stored, parent_expected AS expected
    FROM flags WHERE parent_stored IS DISTINCT FROM parent_expected
    UNION ALL
    SELECT __row, 'clinician_challenging' AS field, clinician_stored AS stored, clinician_expected AS expected
    FROM flags WHERE clinician_stored IS DISTINCT FROM clinician_expected)
SELECT 'ran' AS kind, 'CHALLENGE_FLAG_MISMATCH' AS code, 'survey_relationships' AS resource, f.field, n.n AS checked
FROM (SELECT count(*) AS n FROM typed.survey_relationships) n,
     (VALUES ('parent_challenging'), ('clinician_challenging')) f(field)
WHERE n.n > 0
UNION ALL BY NAME
SELECT 'finding' AS kind, 'CHALLENGE_FLAG_MISMATCH' AS code, 'survey_relationships' AS resource, field,
       __row AS row, plain(pc_bool(stored)) AS value, words(pc_bool(expected)) AS expected
FROM differ

-- check: RELATIONSHIP_PRIOR_VISITS
-- needs: survey_relationships
SELECT 'ran' AS kind, 'RELATIONSHIP_PRIOR_VISITS' AS code, 'survey_relationships' AS resource,
       'prior_visits' AS field, count(prior_visits) AS checked
FROM typed.survey_relationships
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RELATIONSHIP_PRIOR_VISITS' AS code, 'survey_relationships' AS resource, 'prior_visits' AS field,
       __row AS row, plain(CAST(prior_visits AS VARCHAR)) AS value,
       words(prior_visits) AS detail
FROM typed.survey_relationships WHERE prior_visits < ${RELATIONSHIP_PRIOR_VISITS.min_prior_visits}

-- check: RELATIONSHIP_VISIT_RATE
-- needs: survey_relationships, survey_children
WITH days AS (SELECT parent_id, first(days_since_diagnosis ORDER BY __row) AS days
              FROM typed.survey_children WHERE parent_id IS NOT NULL GROUP BY parent_id),
known AS (SELECT rel.__row, rel.prior_visits AS visits, d.days
          FROM typed.survey_relationships rel JOIN days d ON rel.parent_id = d.parent_id
          WHERE rel.prior_visits IS NOT NULL AND d.days IS NOT NULL)
SELECT 'ran' AS kind, 'RELATIONSHIP_VISIT_RATE' AS code, 'survey_relationships' AS resource, 'prior_visits' AS field,
       count(*) AS checked
FROM known
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RELATIONSHIP_VISIT_RATE' AS code, 'survey_relationships' AS resource, 'prior_visits' AS field,
       __row AS row, plain(CAST(visits AS VARCHAR)) AS value, words(days) AS detail,
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
       rel.__row AS row, show(survey_relationships.parent_id, p.parent_id) AS value,
       words(p.n) AS detail
FROM per_parent p JOIN typed.survey_relationships rel ON rel.__row = p.first_row
WHERE p.n > ${PARENT_RELATIONSHIPS_EXCESS.max_relationships}

-- check: REPORT_RESPONSES_MISSING, RESPONSES_WITHOUT_REPORT
-- needs: survey_relationships, survey_responses, survey_items
WITH owners(respondent, instrument, k) AS (VALUES ${instrument_of}),
n_items AS (SELECT o.respondent, count(i.item_id) AS n_items
            FROM owners o LEFT JOIN typed.survey_items i ON i.instrument = o.instrument GROUP BY o.respondent),
-- per relationship and respondent: the answers, and those to the respondent's own instrument
-- (relationship and item ids are keys here: the rule runs on keyed tables)
counted AS (SELECT r.relationship_id, r.respondent, count(*) AS n_stray,
                   count(*) FILTER (WHERE i.instrument = o.instrument) AS n_have
            FROM typed.survey_responses r JOIN owners o ON r.respondent = o.respondent
            LEFT JOIN typed.survey_items i ON r.item_id = i.item_id
            WHERE r.relationship_id IS NOT NULL
            GROUP BY ALL),
per_rel AS (SELECT rel.__row, o.respondent, o.respondent || '_report' AS field,
                   CASE o.respondent WHEN 'parent' THEN rel.parent_report ELSE rel.clinician_report END AS flag,
                   coalesce(c.n_have, 0) AS n_have, coalesce(c.n_stray, 0) AS n_stray, ni.n_items
            FROM typed.survey_relationships rel CROSS JOIN owners o
            JOIN n_items ni ON ni.respondent = o.respondent
            LEFT JOIN counted c ON c.relationship_id = rel.relationship_id AND c.respondent = o.respondent),
flagged AS (SELECT * FROM per_rel WHERE (flag AND n_have < n_items) OR (NOT flag AND n_stray > 0)),
flags AS (SELECT o.respondent || '_report' AS field,
                 count(*) FILTER (WHERE CASE o.respondent WHEN 'parent' THEN rel.parent_report ELSE rel.clinician_report END)
                   AS with_report,
                 count(*) FILTER (WHERE NOT CASE o.respondent WHEN 'parent' THEN rel.parent_report
                                                            ELSE rel.clinician_report END) AS without_report
          FROM typed.survey_relationships rel CROSS JOIN owners o GROUP BY ALL)
SELECT 'ran' AS kind, 'REPORT_RESPONSES_MISSING' AS code, 'survey_relationships' AS resource, field,
       with_report AS checked
FROM flags
UNION ALL BY NAME
SELECT 'ran' AS kind, 'RESPONSES_WITHOUT_REPORT' AS code, 'survey_relationships' AS resource, field,
       without_report AS checked
FROM flags
UNION ALL BY NAME
SELECT 'finding' AS kind, 'REPORT_RESPONSES_MISSING' AS code, 'survey_relationships' AS resource, field,
       __row AS row, words(n_items - n_have) AS detail, respondent AS who,
       words(n_items) AS expected
FROM flagged WHERE flag AND n_have < n_items
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RESPONSES_WITHOUT_REPORT' AS code, 'survey_relationships' AS resource, field,
       __row AS row, words(n_stray) AS detail, respondent AS who
FROM flagged WHERE NOT flag AND n_stray > 0

-- check: RESPONSE_OUT_OF_RANGE, RESPONSE_RESPONDENT_MISMATCH
-- needs: survey_responses, survey_items
WITH owners(respondent, instrument, k) AS (VALUES ${instrument_of}),
first_item AS (SELECT item_id, first(response_min ORDER BY __row) AS lo, first(response_max ORDER BY __row) AS hi,
                      first(instrument ORDER BY __row) AS instrument
               FROM typed.survey_items WHERE item_id IS NOT NULL GROUP BY item_id),
-- the answers judged once per (item, respondent, response): few distinct ones however many rows
combos AS (SELECT item_id, respondent, response, count(*) AS n FROM typed.survey_responses GROUP BY ALL),
judged AS (SELECT c.*, i.lo, i.hi, i.instrument, i.item_id IS NOT NULL AS found, own.respondent AS owner,
                  mine.k AS want
           FROM combos c LEFT JOIN first_item i ON c.item_id = i.item_id
           LEFT JOIN owners own ON own.instrument = i.instrument
           LEFT JOIN owners mine ON mine.respondent = c.respondent),
bad AS (SELECT *, coalesce(found AND response IS NOT NULL AND (response < lo OR response > hi), false) AS out_of_range,
               coalesce(owner IS NOT NULL AND want IS NOT NULL AND owner <> respondent, false) AS mismatch
        FROM judged
        WHERE coalesce(found AND response IS NOT NULL AND (response < lo OR response > hi), false)
           OR coalesce(owner IS NOT NULL AND want IS NOT NULL AND owner <> respondent, false)),
resp AS (SELECT r.__row, r.item_id, r.respondent, r.response, b.lo, b.hi, b.owner, b.out_of_range, b.mismatch
         FROM typed.survey_responses r JOIN bad b ON r.item_id = b.item_id
              AND r.respondent IS NOT DISTINCT FROM b.respondent AND r.response IS NOT DISTINCT FROM b.response)
SELECT 'ran' AS kind, 'RESPONSE_OUT_OF_RANGE' AS code, 'survey_responses' AS resource, 'response' AS field,
       coalesce(sum(n) FILTER (WHERE found AND response IS NOT NULL), 0) AS checked
FROM judged
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RESPONSE_OUT_OF_RANGE' AS code, 'survey_responses' AS resource, 'response' AS field,
       __row AS row, plain(CAST(response AS VARCHAR)) AS value,
       show(survey_responses.item_id, item_id) AS detail, words(CAST(lo AS VARCHAR) || '-' || CAST(hi AS VARCHAR)) AS expected
FROM resp WHERE out_of_range
UNION ALL BY NAME
SELECT 'ran' AS kind, 'RESPONSE_RESPONDENT_MISMATCH' AS code, 'survey_responses' AS resource, 'respondent' AS field,
       coalesce(sum(n) FILTER (WHERE owner IS NOT NULL AND want IS NOT NULL), 0) AS checked
FROM judged
UNION ALL BY NAME
SELECT 'finding' AS kind, 'RESPONSE_RESPONDENT_MISMATCH' AS code, 'survey_responses' AS resource, 'respondent' AS field,
       __row AS row, show(survey_responses.respondent, respondent) AS value,
       show(survey_responses.item_id, item_id) AS detail, words(owner) AS expected
FROM resp WHERE mismatch

-- check: SURVEY_TIMING
-- needs: survey_children
SELECT 'ran' AS kind, 'SURVEY_TIMING' AS code, 'survey_children' AS resource, 'days_since_diagnosis' AS field,
       count(days_since_diagnosis) AS checked
FROM typed.survey_children
UNION ALL BY NAME
SELECT 'finding' AS kind, 'SURVEY_TIMING' AS code, 'survey_children' AS resource, 'days_since_diagnosis' AS field,
       __row AS row, plain(CAST(days_since_diagnosis AS VARCHAR)) AS value,
       words(days_since_diagnosis) AS detail
FROM typed.survey_children WHERE days_since_diagnosis > ${SURVEY_TIMING.window_days}
