#!/usr/bin/env bash
# suite_cron.sh -- scheduled retraining with the real pg_cron (preloaded by test/run.sh's cluster,
# cron.database_name = postgres): schedule a retrain every minute, wait for pg_cron to report
# success, check the new version.  Takes up to ~2 minutes (pg_cron 1.4 schedules by the minute).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
ok() { if [ "$1" = "$2" ]; then echo "ok - cron: $3"; else echo "not ok - cron: $3 (got '$1', want '$2')"; fi; }
q() { psql -X -At -d postgres -c "$1" 2>&1 | tail -1; }
echo "1..7"   # the plan: a suite that dies early prints fewer results and fails (test/tap.sh)

mk_psql -d postgres <<'SQL' >/dev/null 2>&1
CREATE EXTENSION IF NOT EXISTS pg_cron;
DROP EXTENSION IF EXISTS mktdb CASCADE;
CREATE EXTENSION mktdb;
DROP TABLE IF EXISTS cron_pts;
CREATE TABLE cron_pts AS SELECT g AS id, (g % 4) * 3.0 AS x, (g % 7) * 0.5 AS y FROM generate_series(1, 500) g;
SELECT * FROM mktdb.kmeans_segment('cron_seg', 'cron_pts', ARRAY['x', 'y'], 4);
SQL
ok "$(q "SELECT mktdb.schedule_retrain('cron_seg', '* * * * *')")" "$(q "SELECT jobid FROM cron.job WHERE jobname = 'mktdb retrain cron_seg'")" \
   "mktdb.schedule_retrain creates a pg_cron job named after the model"
ok "$(q "SELECT command FROM cron.job WHERE jobname = 'mktdb retrain cron_seg'")" "SELECT mktdb.retrain('cron_seg')" "the job retrains the model"
# new data arrives before the next run
q "INSERT INTO cron_pts SELECT g, 100.0, 100.0 FROM generate_series(501, 600) g" >/dev/null
status=""
for i in $(seq 1 150); do
    status=$(q "SELECT status FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                WHERE j.jobname = 'mktdb retrain cron_seg' AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
    [ -n "$status" ] && break
    sleep 1
done
ok "$status" succeeded "pg_cron ran the retrain and reported success"
ok "$(q "SELECT version || ':' || n_rows FROM mktdb.models WHERE name = 'cron_seg'")" "2:600" "the scheduled run stored version 2 trained on the new rows"
ok "$(q "SELECT return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'mktdb retrain cron_seg' ORDER BY runid LIMIT 1")" "SELECT 1" \
   "pg_cron logged the retrain's result row"
ok "$(q "SELECT mktdb.unschedule_retrain('cron_seg')")" t "mktdb.unschedule_retrain removes the job"
ok "$(q "SELECT count(*) FROM cron.job WHERE jobname = 'mktdb retrain cron_seg'")" 0 "no job is left"
q "DROP EXTENSION mktdb CASCADE" >/dev/null; q "DROP TABLE cron_pts" >/dev/null
