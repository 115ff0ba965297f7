-- The guards of a batch of the plan's steps ({batch}), in one query on pc.guards (the steps' guards
-- as data), pc.tables and pc.columns: one row (i: the step, go, reason) per guarded step.
--   readable: the table was read, wholly or partly;
--   fk:       both tables were read and hold the key's columns (else the reason, naming them);
--   needs:    every table a rule needs is complete and keyed; when none is in the package the rule
--             does not apply (go false, no reason).
WITH t AS (SELECT resource, state, why, keyed, coalesce(state IN ('partial', 'complete'), false) AS readable,
                  coalesce(why, '''' || resource || ''' could not be read') AS unread
           FROM pc.tables),
c AS (SELECT resource, list(field) AS fields FROM pc.columns WHERE first AND field IS NOT NULL GROUP BY resource),
g AS (SELECT g.*, t.state, t.readable, t.unread, coalesce(c.fields, []::VARCHAR[]) AS have,
             tt.readable AS t_readable, tt.unread AS t_unread, coalesce(tc.fields, []::VARCHAR[]) AS t_have
      FROM pc.guards g LEFT JOIN t ON t.resource = g.resource LEFT JOIN c ON c.resource = g.resource
      LEFT JOIN t tt ON tt.resource = g.target LEFT JOIN c tc ON tc.resource = g.target
      WHERE g.batch = {batch}),
fk AS (SELECT i, state,
              list_filter(fields, f -> NOT list_contains(have, f)) AS lacks,
              list_filter(rfields, f -> NOT list_contains(t_have, f)) AS t_lacks, readable, unread,
              t_readable, t_unread, resource, target
       FROM g WHERE kind = 'fk'),
fk_reason AS (SELECT i, state, CASE
         WHEN NOT readable THEN unread
         WHEN len(lacks) > 0 THEN '''' || resource || ''' lacks the column '
              || array_to_string(list_transform(lacks, f -> '''' || f || ''''), ', ')
         WHEN NOT coalesce(t_readable, false) THEN coalesce(t_unread, '''' || target || ''' could not be read')
         WHEN len(t_lacks) > 0 THEN '''' || target || ''' lacks the column '
              || array_to_string(list_transform(t_lacks, f -> '''' || f || ''''), ', ')
         END AS reason
       FROM fk),
needs AS (SELECT g.i, n.k, n.need, coalesce(t.state, 'absent') AS state, t.keyed, t.unread
          FROM g, unnest(g.needs) WITH ORDINALITY AS n(need, k) LEFT JOIN t ON t.resource = n.need
          WHERE g.kind = 'needs'),
rules AS (SELECT i, bool_or(state <> 'absent') AS applies,
                 arg_min(CASE WHEN state <> 'complete' THEN unread ELSE '''' || need || ''' has duplicate keys' END, k)
                   FILTER (WHERE state <> 'complete' OR NOT keyed) AS reason
          FROM needs GROUP BY i)
SELECT i, readable AS go, NULL AS reason FROM g WHERE kind = 'readable'
UNION ALL SELECT i, reason IS NULL AND state <> 'absent', CASE WHEN state <> 'absent' THEN reason END FROM fk_reason
UNION ALL SELECT i, applies AND reason IS NULL, CASE WHEN applies THEN reason END FROM rules
