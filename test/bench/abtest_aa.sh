#!/usr/bin/env bash
# test/bench/abtest_aa.sh -- the large version of the A/A simulation of test/unit/test_abtest.c:
# N seeded experiments (default 10,000) per design, each looked at daily for 30 days, for three
# designs (users per arm and day, conversion rate): the false-positive rate of ab_sequential's
# always-valid p-value against a naive daily prop.test, and the always-valid test's power for a
# given lift.  Pure C (src/core), no server.  Not a timed test.   N=100000 bash test/bench/abtest_aa.sh
set -euo pipefail
cd "$(dirname "$0")/../unit"
make -s test_abtest
time ./test_abtest --aa "${N:-10000}"
