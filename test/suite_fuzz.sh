#!/usr/bin/env bash
# suite_fuzz.sh -- a short libFuzzer run of the model decoder (longer runs: test/fuzz/run.sh 600).
exec bash "$(dirname "$0")/fuzz/run.sh" "${MKTDB_FUZZ_SECONDS:-15}"
