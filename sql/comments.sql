-- comments: every user-facing function, aggregate, view and table of schema mktdb carries a
-- COMMENT ON (what it does, its units), so that \df+ mktdb.* explains it; internal helpers start
-- with "_".  The expected output is empty: a row here names an object that lacks its comment.
SELECT p.oid::regprocedure::text AS missing_comment
  FROM pg_proc p
 WHERE p.pronamespace = 'mktdb'::regnamespace AND p.proname !~ '^_'
   AND pg_catalog.obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT c.oid::regclass::text
  FROM pg_class c
 WHERE c.relnamespace = 'mktdb'::regnamespace AND c.relkind IN ('r', 'v', 'm') AND c.relname !~ '^_'
   AND pg_catalog.obj_description(c.oid, 'pg_class') IS NULL
 ORDER BY 1;
-- and the comments are one line each
SELECT count(*) AS multi_line_comments
  FROM pg_description d JOIN pg_proc p ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass
 WHERE p.pronamespace = 'mktdb'::regnamespace AND d.description LIKE E'%\n%';
