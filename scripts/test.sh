#!/usr/bin/env bash
# The test command: installs what is missing, then runs the whole test suite. The server tests also run on
# a throwaway PostgreSQL cluster (scripts/postgres.sh) through PINGSHEN_TEST_POSTGRES_URL; under CI=true a
# PostgreSQL that cannot start fails the run. Then schemathesis drives a live server from docs/openapi.yaml
# (scripts/schemathesis.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
swift build --build-tests
pgdir=""
if [ -z "${PINGSHEN_TEST_POSTGRES_URL:-}" ]; then
  pgdir=$(mktemp -d /tmp/pingshen-pg.XXXXXX)
  if url=$(bash scripts/postgres.sh start "$pgdir"); then
    export PINGSHEN_TEST_POSTGRES_URL="$url"
    trap 'bash scripts/postgres.sh stop "$pgdir"' EXIT
  else
    rm -rf "$pgdir"
    echo "test.sh: PostgreSQL did not start; the server tests run on SQLite only" >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
  fi
fi
swift test --skip-build
# The property-based API fuzz (schemathesis, from PyPI) on both backends, then the server's audit verification.
bash scripts/schemathesis.sh
