#!/usr/bin/env bash
# Property-based API fuzzing of the panel server with schemathesis (PyPI), driven by docs/openapi.yaml.
#
#   scripts/schemathesis.sh [sqlite] [postgres]      (default: both)
#
# For each backend: a throwaway store and `pingshen serve` on a free loopback port; an admin token (server
# init's code), a panel P1, a chair token and a reviewer token (enrol + exchange); then schemathesis with all
# its checks and all its phases (examples, coverage, fuzzing, stateful) once per token, bounded in examples
# and time; then the server's own audit verification (GET /v1/audit/verify must answer ok) and a scan of the
# server's log for faults. Exits non-zero on any failure.
#
# Knobs: ST_MAX_EXAMPLES (per operation and phase, default 30), ST_MAX_TIME (seconds per run, default 40),
# ST_SEED (default 20261201), PINGSHEN_BIN (default: the debug build's pingshen), PINGSHEN_TEST_POSTGRES_URL (a
# cluster to create the database in; otherwise a throwaway one is started with scripts/postgres.sh),
# ST_OUT (reports, default .build/schemathesis). The figures go to $ST_OUT/summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

backends=("$@")
[ ${#backends[@]} -eq 0 ] && backends=(sqlite postgres)
max_examples=${ST_MAX_EXAMPLES:-30}
max_time=${ST_MAX_TIME:-40}
seed=${ST_SEED:-20261201}
out=${ST_OUT:-$root/.build/schemathesis}
st_version=4.32.5
venv=${ST_VENV:-$root/.build/schemathesis-venv}

# schemathesis, in its own virtual environment (pinned version).
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$st_version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$st_version"
fi
# CPython 3.11's ast.parse can fail with "SystemError: AST constructor recursion depth mismatch" when called
# deep in a stack (CPython gh-106905); hypothesis calls it only to describe a filter lambda in a repr, and that
# error aborted whole schemathesis phases. Inside this virtual environment only, such a description falls back
# to hypothesis's own "<unknown>" form.
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cat >"$site/pingshen_hypothesis_fix.py" <<'PY'
import hypothesis.internal.lambda_sources as _ls
_describe = _ls._lambda_description
def _lambda_description(f, *args, **kwargs):
    try:
        return _describe(f, *args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"
_ls._lambda_description = _lambda_description
PY
echo "import pingshen_hypothesis_fix" >"$site/pingshen_hypothesis_fix.pth"
st="$venv/bin/schemathesis"

if [ -z "${PINGSHEN_BIN:-}" ]; then
  swift build --product pingshen >/dev/null
  PINGSHEN_BIN="$(swift build --show-bin-path)/pingshen"
fi
bin=$PINGSHEN_BIN

rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d /tmp/pingshen-st.XXXXXX)
server_pid=""
pgdir=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$pgdir" ]; then bash scripts/postgres.sh stop "$pgdir"; fi
  rm -rf "$work"
}
trap cleanup EXIT

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# A request with curl: prints the body; fails on a status other than the expected one.
call() {
  local expect=$1 method=$2 path=$3 token=${4:-} body=${5:-}
  local args=(-sS -o "$work/body" -w '%{http_code}' -X "$method" "$url$path" -H 'Content-Type: application/json')
  [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
  [ -n "$body" ] && args+=(--data-binary "$body")
  local status
  status=$(curl "${args[@]}")
  if [ "$status" != "$expect" ]; then
    echo "schemathesis.sh: $method $path answered $status, expected $expect: $(cat "$work/body")" >&2
    return 1
  fi
  cat "$work/body"
}

failed=0
summary="$out/summary.txt"
: >"$summary"

for backend in "${backends[@]}"; do
  echo "== schemathesis on $backend" >&2
  store=()
  case "$backend" in
    sqlite) store=(--db "$work/server.sqlite") ;;
    postgres)
      base=${PINGSHEN_TEST_POSTGRES_URL:-}
      if [ -z "$base" ]; then
        pgdir=$(mktemp -d /tmp/pingshen-pg.XXXXXX)
        base=$(bash scripts/postgres.sh start "$pgdir")
      fi
      db="pingshen_st_$$_$RANDOM"
      psql=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql | head -1)
      "$psql" "$base" -q -c "CREATE DATABASE $db" >/dev/null
      store=(--postgres "${base%/*}/$db")
      ;;
    *) echo "schemathesis.sh: unknown backend $backend" >&2; exit 2 ;;
  esac

  code=$("$bin" server init "${store[@]}" | tail -1)
  "$bin" serve "${store[@]}" --port 0 --exchanges-per-minute 100000 >"$work/serve.out" 2>"$work/serve-$backend.log" &
  server_pid=$!
  url=""
  for _ in $(seq 1 300); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.out" | head -1 || true)
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "schemathesis.sh: the server did not start" >&2; cat "$work/serve-$backend.log" >&2; exit 1; }

  # Tokens: the admin, a panel, its chair and one of its reviewers (with a sheet to read).
  admin=$(call 200 POST /v1/auth/exchange "" "{\"code\":\"$code\",\"device\":\"st-admin\"}" | json "['token']")
  panel=$(python3 - "$root/Rubrics/tech-innovation-demo-enterprise.yaml" <<'EOF'
import json, sys
print(json.dumps({"title": "schemathesis", "round": "初评", "rubric_id": "tech-innovation-demo-enterprise",
                  "rubric_yaml": open(sys.argv[1], encoding="utf-8").read(),
                  "reviewers": [{"id": "r1", "name": "专家一"}, {"id": "r2", "name": "专家二"}],
                  "applicants": [{"id": "a1", "name": "某某公司", "data": {}}, {"id": "a2", "name": "另一公司", "data": {}}],
                  "recusals": [{"reviewer": "r2", "applicant": "a2", "reason": "回避"}]}, ensure_ascii=False))
EOF
)
  call 201 PUT /v1/panels/P1 "$admin" "$panel" >/dev/null
  chair_code=$(call 201 POST /v1/panels/P1/enrol "$admin" '{"role":"chair","reviewer":"chair-p1"}' | json "['code']")
  chair=$(call 200 POST /v1/auth/exchange "" "{\"code\":\"$chair_code\",\"device\":\"st-chair\"}" | json "['token']")
  reviewer_code=$(call 201 POST /v1/panels/P1/enrol "$chair" '{"role":"reviewer","reviewer":"r1"}' | json "['code']")
  reviewer=$(call 200 POST /v1/auth/exchange "" "{\"code\":\"$reviewer_code\",\"device\":\"st-r1\"}" | json "['token']")
  call 200 POST /v1/panels/P1/changes "$reviewer" \
    '{"changes":[{"change_id":"st-seed-1","device":"st-r1","kind":"set_note","reviewer":"r1","applicant":"a1","round":"初评","leaf":"rd-intensity","note":"种子\t数据","client_time":"2026-12-01T00:00:00.000Z"}]}' >/dev/null

  # The reviewer first, while P1 is open; the admin last (its runs replace and seal panels).
  for role in reviewer chair admin; do
    token=${!role}
    report="$out/$backend-$role.json"
    echo "-- $backend, $role token" >&2
    set +e
    # From the output folder: schemathesis keeps its cache (.schemathesis/) in the working directory.
    (cd "$out" && "$st" --config-file "$root/scripts/schemathesis.toml" run "$root/docs/openapi.yaml" --url "$url" \
      -H "Authorization: Bearer $token" -H "Accept-Language: en" \
      --checks all --phases examples,coverage,fuzzing,stateful --max-examples "$max_examples" --max-time "$max_time" \
      --seed "$seed" --workers 2 --request-timeout 20 --no-color \
      --report json --report-json-path "$report") >"$out/$backend-$role.txt" 2>&1
    rc=$?
    set -e
    tail -n 25 "$out/$backend-$role.txt" >&2
    if [ $rc -ne 0 ]; then
      echo "schemathesis.sh: schemathesis found failures ($backend, $role): see $out/$backend-$role.txt" >&2
      failed=1
    fi
    python3 - "$report" "$out/$backend-$role.txt" "$backend" "$role" >>"$summary" <<'EOF' || true
import json, re, sys
report, text, backend, role = sys.argv[1:5]
try:
    r = json.load(open(report))
except Exception as e:
    print(f"{backend} {role}: no report ({e})")
    sys.exit(0)
out = open(text, encoding="utf-8", errors="replace").read()
scenarios = re.search(r"Scenarios:\s+(\d+)", out)
links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", out)
t = r["test_cases"]
print(f"{backend} {role}: operations={r['operations']['tested']}/{r['operations']['total']} "
      f"cases={t['generated']} stateful_scenarios={scenarios.group(1) if scenarios else 0} "
      f"links_covered={links.group(1) + '/' + links.group(2) if links else '-'} "
      f"failures={t['unique_failures']} errored={t['errored'] + len(r['errors'])} seconds={r['running_time']:.0f} "
      f"phases={','.join(k for k, v in r['phases'].items() if v['status'] in ('success', 'failure', 'error'))}")
EOF
  done

  # The server's own audit verification must pass after all that, and its log must hold no fault.
  verify=$(call 200 GET /v1/audit/verify "$admin")
  echo "$backend audit: $verify" | tee -a "$summary" >&2
  if [ "$(echo "$verify" | json "['ok']")" != "True" ]; then
    echo "schemathesis.sh: the audit chain does not verify on $backend" >&2
    failed=1
  fi
  faults=$(grep -c ' 500 ' "$work/serve-$backend.log" || true)
  echo "$backend server log: $faults faults (500)" | tee -a "$summary" >&2
  [ "$faults" = "0" ] || { grep ' 500 ' "$work/serve-$backend.log" | head -5 >&2; failed=1; }
  cp "$work/serve-$backend.log" "$out/"

  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
done

cat "$summary" >&2
exit $failed
