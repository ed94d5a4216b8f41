#!/usr/bin/env bash
# Score-write throughput of the panel server on loopback, with wrk (apt-get install wrk): 64 connections,
# each request one set_points change with a new change id (so every request is a real write: a change row,
# a cell upsert and an audit row in one transaction).
#   scripts/server-load.sh [sqlite | postgres URL]   (LOAD_SECONDS=10, LOAD_BUILD=debug|release)
# Prints wrk's latency distribution (p50/p90/p99) and requests per second, then times a first sync of
# SYNC_LINES (100 000) sheet lines: pushed in batches of 5000 and pulled back. Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
pgurl=${2:-}
secs=${LOAD_SECONDS:-10}
config=${LOAD_BUILD:-debug}
bin=.build/$config/pingshen
[ -x "$bin" ] || swift build -c "$config" --product pingshen
work=$(mktemp -d /tmp/pingshen-load.XXXXXX)
if [ "$backend" = sqlite ]; then store=(--db "$work/server.sqlite"); else store=(--postgres "$pgurl"); fi
export PINGSHEN_LANG=en
code=$("$bin" server init --new-admin-code "${store[@]}" | tail -1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
LOG_LEVEL=error "$bin" serve "${store[@]}" --port "$port" --exchanges-per-minute 1000 >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$url/v1/health" >/dev/null && break; sleep 0.1; done
admin=$(curl -sf -XPOST "$url/v1/auth/exchange" -d "{\"code\":\"$code\",\"device\":\"load\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
python3 - "$work/panel.json" <<'PY'
import json, sys
yaml = open("Rubrics/tech-innovation-demo-enterprise.yaml", encoding="utf-8").read()
panel = {"title": "load", "round": "初评", "rubric_id": "tech-innovation-demo-enterprise", "rubric_yaml": yaml,
         "reviewers": [{"id": "r1", "name": "r1"}],
         "applicants": [{"id": f"a{i}", "name": f"a{i}", "data": {}} for i in range(1, 51)], "recusals": []}
json.dump(panel, open(sys.argv[1], "w"), ensure_ascii=False)
PY
curl -sf -XPUT "$url/v1/panels/LOAD" -H "Authorization: Bearer $admin" --data-binary @"$work/panel.json" >/dev/null
rcode=$(curl -sf -XPOST "$url/v1/panels/LOAD/enrol" -H "Authorization: Bearer $admin" -d '{"role":"reviewer","reviewer":"r1"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
export TOKEN=$(curl -sf -XPOST "$url/v1/auth/exchange" -d "{\"code\":\"$rcode\",\"device\":\"wrk\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
export REVIEWER=r1
export APPLICANTS=$(python3 -c 'print(",".join(f"a{i}" for i in range(1, 51)))')
export LEAVES=$(curl -sf "$url/v1/panels/LOAD/rubric" -H "Authorization: Bearer $TOKEN" | python3 -c '
import json, sys, re
y = json.load(sys.stdin)["rubric_yaml"]
print(",".join(sorted(set(re.findall(r"^\s*- id: (\S+)", y, re.M)))))')
# Only points leaves are accepted; keep the ids the server accepts by a probe push of each.
ok=()
for leaf in ${LEAVES//,/ }; do
  r=$(curl -s -XPOST "$url/v1/panels/LOAD/changes" -H "Authorization: Bearer $TOKEN" \
    -d "{\"changes\":[{\"change_id\":\"probe-$leaf\",\"device\":\"probe\",\"kind\":\"set_points\",\"reviewer\":\"r1\",\"applicant\":\"a1\",\"round\":\"初评\",\"leaf\":\"$leaf\",\"value\":0,\"client_time\":\"2025-01-01T00:00:00Z\"}]}")
  case "$r" in *'"applied"'*) ok+=("$leaf");; esac
done
export LEAVES=$(IFS=,; echo "${ok[*]}")
echo "backend=$backend build=$config leaves=${#ok[@]} applicants=50 connections=64 seconds=$secs"
wrk -t2 -c64 -d"${secs}s" --latency -s scripts/server-load.lua "$url"
# The first sync goes to a fresh panel, so that the pull returns exactly the lines pushed.
curl -sf -XPUT "$url/v1/panels/SYNC" -H "Authorization: Bearer $admin" --data-binary @"$work/panel.json" >/dev/null
scode=$(curl -sf -XPOST "$url/v1/panels/SYNC/enrol" -H "Authorization: Bearer $admin" -d '{"role":"reviewer","reviewer":"r1"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["code"])')
stoken=$(curl -sf -XPOST "$url/v1/auth/exchange" -d "{\"code\":\"$scode\",\"device\":\"sync\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
python3 scripts/server-sync-load.py "$url" "$stoken" SYNC r1 "$LEAVES" "$APPLICANTS" "${SYNC_LINES:-100000}"
rows=$(curl -sf "$url/v1/audit/verify" -H "Authorization: Bearer $admin")
echo "audit after the run: $rows"
