#!/usr/bin/env bash
# Every performance figure of the issues, measured on generated data, in one command:
#   bash bench/run.sh
# Builds in release mode, then prints one line per figure — measured value, target, ratio
# (measured / target: below 1 meets a "less than" target) — and, as its last line, a JSON summary.
# Takes a few minutes on 2 cores. docs/performance.md records the latest run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh >/dev/null
python3 -c 'import pandas' 2>/dev/null || python3 -m pip install --quiet pandas
swift build -c release >/dev/null
BIN="$(swift build -c release --show-bin-path)"
work="$(mktemp -d /tmp/pingshen-bench-run.XXXXXX)"
trap 'rm -rf "$work"' EXIT

echo "== scoring: line commit, start-up, import (scripts/bench-scoring.sh)" >&2
PINGSHEN_BIN="$BIN/pingshen" bash scripts/bench-scoring.sh | tee "$work/scoring.log" >&2
tail -n 1 "$work/scoring.log" > "$work/scoring.json"

echo "== aggregation + flags of 2 000 applicants × 9 reviewers, xlsx export, memory" >&2
"$BIN/pingshen-bench" aggregate --root . --applicants 2000 --reviewers 9 --csv "$work/scores.csv" | tee "$work/aggregate.json" >&2
echo "== the same trimmed-mean aggregation in pandas (bench/baseline_aggregate.py)" >&2
python3 bench/baseline_aggregate.py "$work/scores.csv" | tee "$work/pandas.json" >&2
echo "== outlier detection against planted truth (20 generated panels per rubric)" >&2
for r in tech-innovation-demo-enterprise manufacturing-innovation-center; do
  "$BIN/pingshen-bench" detection --root . --rubric "$r" --seeds 20 --applicants 40 --reviewers 7
done | tee "$work/detection.jsonl" >&2
echo "== calibration: 2 000 applicants × 300 reviewers × 5 sheets (grade stability included); partial designs vs planted truth" >&2
"$BIN/pingshen-bench" calibration --applicants 2000 --reviewers 300 --per 5 --seeds 20 | tee "$work/calibration.json" >&2
echo "== draw from a pool of 10 000 experts; assign 2 000 applicants × K = 5 among 300 reviewers (issue 11)" >&2
"$BIN/pingshen-bench" draw --pool 10000 --applicants 200 | tee "$work/draw.json" >&2
"$BIN/pingshen-bench" assign --applicants 2000 --reviewers 300 --per 5 | tee "$work/assign.json" >&2

if [ -x scripts/server-load.sh ] || [ -f scripts/server-load.sh ]; then
  echo "== server: 64 concurrent writers on loopback, first sync of 100 000 lines (scripts/server-load.sh)" >&2
  command -v wrk >/dev/null 2>&1 || { SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo; $SUDO apt-get install -y -qq wrk >/dev/null; }
  LOAD_BUILD=release bash scripts/server-load.sh sqlite 2>&1 | tee "$work/server-sqlite.log" >&2 || true
  if [ -f scripts/postgres.sh ]; then
    pgdir="$(mktemp -d /tmp/pingshen-bench-pg.XXXXXX)"
    pgurl="$(bash scripts/postgres.sh start "$pgdir" 2>/dev/null | tail -n 1)" || pgurl=""
    if [ -n "$pgurl" ]; then
      LOAD_BUILD=release bash scripts/server-load.sh postgres "$pgurl" 2>&1 | tee "$work/server-postgres.log" >&2 || true
    fi
    bash scripts/postgres.sh stop "$pgdir" >/dev/null 2>&1 || true
  fi
fi

python3 - "$work" <<'PY'
import json, os, re, sys
work = sys.argv[1]
def load(name):
    p = os.path.join(work, name)
    return json.load(open(p)) if os.path.exists(p) and os.path.getsize(p) else {}
scoring, agg, pd = load("scoring.json"), load("aggregate.json"), load("pandas.json")
det = [json.loads(l) for l in open(os.path.join(work, "detection.jsonl")) if l.strip()]
cal = load("calibration.json")
drw, asg = load("draw.json"), load("assign.json")
rows = []  # (figure, measured, unit, target, ratio)
def add(name, value, unit, target):
    ratio = (value / target) if (value is not None and target) else None
    rows.append((name, value, unit, target, ratio))
add("per accepted line, commit (median)", scoring.get("line_commit_ms_median"), "ms", 5)
add("per accepted line, commit (p99)", scoring.get("line_commit_ms_p99"), "ms", 5)
add("start-up to first prompt (median)", scoring.get("startup_to_prompt_ms_median"), "ms", 150)
add("import 100 000 sheet lines", scoring.get("import_100k_lines_s"), "s", 3)
add(f"aggregate + flag {agg.get('applicants')}×{agg.get('reviewers')} ({agg.get('leaf_scores')} leaf scores, median)",
    agg.get("aggregate_s"), "s", 1)
add("xlsx export of that panel", agg.get("xlsx_s"), "s", 5)
add("peak memory of the aggregation process", agg.get("peak_rss_mib"), "MiB", 500)
if cal:
    add(f"calibrate {cal.get('applicants')}×{cal.get('reviewers')}×{cal.get('per_applicant')} ({cal.get('sheets')} sheets, "
        f"{cal.get('replicates')} stability refits, median)", cal.get("calibrate_s"), "s", 1)
if drw:
    add(f"draw 15 from a pool of {drw.get('pool')} ({drw.get('candidates')} eligible, median)", drw.get("draw_s"), "s", 0.1)
if asg:
    add(f"assign {asg.get('applicants')}×K={asg.get('per_applicant')} among {asg.get('reviewers')} "
        f"(loads {asg.get('load_min')}–{asg.get('load_max')}, connected {asg.get('connected')}, median)", asg.get("assign_s"), "s", 2)
if pd:
    add("pandas trimmed mean of the same scores (compute only)", pd.get("aggregate_s"), "s", None)
def server_figures(log, label):
    p = os.path.join(work, log)
    if not os.path.exists(p): return
    text = open(p).read()
    m = re.search(r"Requests/sec:\s*([\d.]+)", text)
    if m: add(f"server writes/s, 64 clients ({label})", float(m.group(1)), "req/s", 5000)
    m = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", text)
    if m:
        v = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
        add(f"server write p99 ({label})", v, "ms", 50)
    m = re.search(r"first sync:.*total ([\d.]+) s", text)
    if m: add(f"first sync of 100 000 sheet lines ({label})", float(m.group(1)), "s", 10)
server_figures("server-sqlite.log", "SQLite")
server_figures("server-postgres.log", "PostgreSQL")
w = max(len(r[0]) for r in rows)
print(f"{'figure'.ljust(w)}  {'measured':>12}  {'target':>10}  ratio")
for name, value, unit, target, ratio in rows:
    v = "—" if value is None else f"{value:.4g} {unit}"
    t = "—" if target is None else f"{target} {unit}"
    r = "—" if ratio is None else f"{ratio:.3f}"
    print(f"{name.ljust(w)}  {v:>12}  {t:>10}  {r}")
if pd and agg.get("aggregate_s"):
    same = abs(pd.get("checksum", 0) - agg.get("checksum", 0)) < 1e-3
    print(f"pandas / Swift aggregation time: {pd['aggregate_s'] / agg['aggregate_s']:.2f}× "
          f"(Swift's figure includes every outlier flag and both views; checksums {'agree' if same else 'DIFFER'}: "
          f"{agg.get('checksum')} vs {pd.get('checksum')})")
for d in det:
    print(f"outlier detection on {d['seeds']} generated {d['rubric']} panels: biased reviewers precision {d['bias_precision']:.2f} "
          f"recall {d['bias_recall']:.2f}; wild scores precision {d['wild_precision']:.2f} recall {d['wild_recall']:.2f}")
for d in (cal or {}).get("designs", []):
    print(f"calibration, {d['panels']} panels of 40 applicants × 12 reviewers, {d['per_applicant']} per applicant: "
          f"grades wrong raw {d['raw_grades_wrong']} → adjusted {d['adjusted_grades_wrong']} of {d['applicants']}; "
          f"score RMSE raw {d['raw_rmse']:.2f} → adjusted {d['adjusted_rmse']:.2f}; severity RMSE {d['severity_rmse']:.2f}; "
          f"harsh found {d['harsh_found']}/{d['panels']}, lenient {d['lenient_found']}/{d['panels']}")
summary = {"figures": [{"figure": r[0], "measured": r[1], "unit": r[2], "target": r[3], "ratio": r[4]} for r in rows],
           "pandas": pd, "aggregate": agg, "scoring": scoring, "detection": det, "calibration": cal,
           "load_average_1min": round(os.getloadavg()[0], 2)}
print(json.dumps(summary, ensure_ascii=False))
PY
