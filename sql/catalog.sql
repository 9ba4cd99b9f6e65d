-- catalog: the extension's objects, the model catalog, and the binary format's checks.
\set VERBOSITY terse

-- installed into schema mktdb, not relocatable
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace FROM pg_extension WHERE extname = 'mktdb';

-- user data is registered for pg_dump
SELECT unnest(extconfig)::regclass::text AS dumped FROM pg_extension WHERE extname = 'mktdb' ORDER BY 1;

-- catalog columns exactly as the SPEC says
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'mktdb.model'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT attname FROM pg_attribute WHERE attrelid = 'mktdb.models'::regclass AND attnum > 0 ORDER BY attnum;
SELECT attname FROM pg_attribute WHERE attrelid = 'mktdb.model_versions'::regclass AND attnum > 0 ORDER BY attnum;
SELECT count(*) AS models FROM mktdb.models;


-- model names
SELECT mktdb.retrain('nosuch');
SELECT mktdb.drop_model('nosuch');
SELECT mktdb.retrain('');
SELECT mktdb.grant_model('nosuch', current_user::regrole);

-- the binary format refuses foreign and damaged data with SQLSTATE 22P03 (or XX001 for a bad checksum)
\set VERBOSITY sqlstate
SELECT * FROM mktdb.model_header(''::bytea);
SELECT * FROM mktdb.model_header('hello world, this is not a model'::bytea);
SELECT * FROM mktdb.model_header(decode('4d4b4442' || repeat('00', 20), 'hex'));
-- a well-formed empty test blob: magic, version 1, kind 99, length 0, CRC-32C of nothing (0), reserved 0
SELECT * FROM mktdb.model_header(decode('4d4b444201006300' || '0000000000000000' || '00000000' || '00000000', 'hex'));
-- the same header claiming one payload byte that is not there
SELECT * FROM mktdb.model_header(decode('4d4b444201006300' || '0100000000000000' || '00000000' || '00000000', 'hex'));
-- one payload byte with a wrong checksum
SELECT * FROM mktdb.model_header(decode('4d4b444201006300' || '0100000000000000' || '00000000' || '00000000' || '2a', 'hex'));
-- format version from the future
SELECT * FROM mktdb.model_header(decode('4d4b444209006300' || '0000000000000000' || '00000000' || '00000000', 'hex'));
\set VERBOSITY terse

-- GUCs and their defaults (the library is loaded now)
SELECT name, setting FROM pg_settings WHERE name LIKE 'mktdb.%' ORDER BY name;

-- the cache starts empty
SELECT count(*) FROM mktdb.model_cache();

-- scheduling needs pg_cron in this database; without it a clear error
\set VERBOSITY sqlstate
SELECT mktdb.schedule_retrain('nosuch', '0 3 * * *');
SELECT mktdb.unschedule_retrain('nosuch');
\set VERBOSITY terse

-- model references: "name@N" reads version N; malformed references are refused
SELECT mktdb.retrain('a@b');

-- a name belongs to one kind: another kind of model cannot take it over
CREATE TABLE pts AS SELECT g AS id, (g % 3)::float8 AS x FROM generate_series(1, 30) g;
SELECT model, version FROM mktdb.kmeans_segment('taken', 'pts', ARRAY['x'], 2);
\set VERBOSITY sqlstate
SELECT count(*) FROM mktdb.rfm_score('taken', 'SELECT id AS c, now() AS d, 1 AS a FROM pts', 'c', 'd', 'a');
\set VERBOSITY terse
SELECT name, version, kind FROM mktdb.models;
-- version references read explicit versions; an unknown version is 42704
SELECT model, version FROM mktdb.kmeans_segment('taken', 'pts', ARRAY['x'], 2);
SELECT mktdb.segment_of('taken@1', ARRAY[2.0]) = mktdb.segment_of('taken@2', ARRAY[2.0]) AS same_segment;
\set VERBOSITY sqlstate
SELECT mktdb.segment_of('taken@3', ARRAY[2.0]);
SELECT mktdb.segment_of('taken@x', ARRAY[2.0]);
\set VERBOSITY terse

-- retrain returns one typed row: the summary columns, the kind's own columns, and the whole result as jsonb
SELECT model, version, n_rows, train_ms > 0 AS timed, k, inertia >= 0 AS has_inertia, iterations > 0 AS iterated,
       n_users, n_items, n_interactions, result->>'model' AS result_model
  FROM mktdb.retrain('taken');
CREATE TABLE orders AS SELECT g % 7 AS customer, date '2024-01-01' + g AS day, g * 1.5 AS amount FROM generate_series(1, 50) g;
SELECT count(*) FROM mktdb.rfm_score('scores', 'orders', 'customer', 'day', 'amount');
SELECT model, version, n_rows, train_ms >= 0 AS timed, k, inertia, iterations FROM mktdb.retrain('scores');
