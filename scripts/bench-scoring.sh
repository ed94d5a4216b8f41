#!/usr/bin/env bash
# Scoring benchmarks of issue 3 (docs/performance.md, "Scoring (issue 3)"):
#   - per accepted line: commit time inside the session, and the round trip seen from outside
#     (line written → next prompt), on a piped session;
#   - start-up: process start → first prompt;
#   - import of 100 000 sheet lines (one `pingshen import`).
# Builds in release mode and works in a temporary directory. PINGSHEN_BIN overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PINGSHEN_BIN:-}" ]; then
  swift build -c release --product pingshen >/dev/null
  PINGSHEN_BIN="$(swift build -c release --show-bin-path)/pingshen"
fi
exec python3 - "$PINGSHEN_BIN" <<'PY'
import json, os, random, shutil, statistics, subprocess, sys, tempfile, time

BIN = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="pingshen-bench-")
DB = os.path.join(tmp, "bench.sqlite")
ENV = dict(os.environ, PINGSHEN_LANG="en")
ENV.pop("PINGSHEN_DB", None)

def run(*args, stdin=None):
    r = subprocess.run([BIN, "--db", DB, *args], input=stdin, capture_output=True, env=ENV)
    if r.returncode != 0:
        sys.exit(f"pingshen {' '.join(args)} failed: {r.stderr.decode()}")
    return r

RUBRIC = "manufacturing-innovation-center"
# The rubric's points leaves and a valid value for each (from rubric show --json).
tree = json.loads(run("rubric", "show", RUBRIC, "--json").stdout)
leaves = []
def walk(n):
    if n["children"]:
        for c in n["children"]: walk(c)
    elif n["input"] == "points":
        leaves.append(n)
walk(tree["root"])
rng = random.Random(42)
def value(leaf):
    rule = leaf["rule"]
    if rule["type"] == "award": return rng.choice(["0", str(int(rule["max"]))])
    if rule["type"] == "tiers": return f"{rng.choice(rule['tiers'])['points']:g}"
    step = rule.get("step") or 1
    k = rng.randint(0, int(round(rule["max"] / step)))
    return f"{k * step:g}"

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(p / 100 * len(xs) + 0.5)) - 1))]

# A panel big enough for 100 000 sheet lines: 50 reviewers × 112 applicants × 18 indicators.
REVIEWERS, APPLICANTS, LINES = 50, 112, 100_000
run("panel", "create", "B1", "--rubric", RUBRIC)
for i in range(1, REVIEWERS + 1): run("reviewer", "add", "B1", f"r{i}", "--name", f"专家{i}")
for i in range(1, APPLICANTS + 1): run("applicant", "add", "B1", f"a{i}", "--name", f"申报单位{i}")
blocks, n = [], 0
for r in range(1, REVIEWERS + 1):
    for a in range(1, APPLICANTS + 1):
        if n >= LINES: break
        body = []
        for leaf in leaves:
            if n >= LINES: break
            body.append(f"{leaf['id']} = {value(leaf)}")
            n += 1
        blocks.append(f"panel: B1\nreviewer: r{r}\napplicant: a{a}\n" + "\n".join(body) + "\n")
sheets = os.path.join(tmp, "sheets.txt")
with open(sheets, "w", encoding="utf-8") as f:
    f.write("---\n".join(blocks))
t0 = time.perf_counter()
run("import", "B1", sheets)
import_s = time.perf_counter() - t0

# Sessions on a second panel in the same (now large) database.
SESSIONS = 20
run("panel", "create", "S1", "--rubric", RUBRIC)
run("reviewer", "add", "S1", "r1", "--name", "专家")
for i in range(1, SESSIONS + 1): run("applicant", "add", "S1", f"a{i}", "--name", f"单位{i}")

def read_until_prompt(fd, buf):
    while not buf.rstrip(b" ").endswith(b">"):
        chunk = os.read(fd, 65536)
        if not chunk: raise SystemExit("session ended before its prompt")
        buf += chunk
    return b""

startup, roundtrip, commit = [], [], []
for i in range(1, SESSIONS + 1):
    t0 = time.perf_counter()
    p = subprocess.Popen([BIN, "--db", DB, "score", "S1", "--reviewer", "r1", "--applicant", f"a{i}", "--timing"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    fd = p.stderr.fileno()
    buf = read_until_prompt(fd, b"")
    startup.append((time.perf_counter() - t0) * 1000)
    for leaf in leaves:
        t1 = time.perf_counter()
        p.stdin.write((value(leaf) + "\n").encode()); p.stdin.flush()
        buf = read_until_prompt(fd, buf)
        roundtrip.append((time.perf_counter() - t1) * 1000)
    p.stdin.close()
    rest = p.stderr.read().decode()
    p.wait()
    for line in rest.splitlines():
        if line.startswith("timing-ms "):
            commit += [float(x) for x in line.split()[1:]]

# The disk's own cost of a durable commit: fsync of a 4 KiB append in the same directory.
fsyncs = []
probe = os.path.join(tmp, "fsync-probe")
fd = os.open(probe, os.O_WRONLY | os.O_CREAT)
for _ in range(200):
    os.write(fd, b"x" * 4096)
    t0 = time.perf_counter(); os.fsync(fd); fsyncs.append((time.perf_counter() - t0) * 1000)
os.close(fd)

integrity = subprocess.run(["sqlite3", DB, "PRAGMA integrity_check"], capture_output=True, text=True).stdout.strip() \
    if subprocess.run(["which", "sqlite3"], capture_output=True).returncode == 0 else "n/a"
summary = {
    "binary": BIN,
    "import_100k_lines_s": round(import_s, 3), "import_target_s": 3,
    "startup_to_prompt_ms_median": round(statistics.median(startup), 1),
    "startup_to_prompt_ms_max": round(max(startup), 1), "startup_target_ms": 150,
    "line_commit_ms_median": round(statistics.median(commit), 3), "line_commit_ms_p99": round(pct(commit, 99), 3),
    "line_roundtrip_ms_median": round(statistics.median(roundtrip), 3), "line_roundtrip_ms_p99": round(pct(roundtrip, 99), 3),
    "line_target_ms": 5, "lines_timed": len(commit), "sessions": SESSIONS, "integrity_check": integrity,
    "fsync_ms_median": round(statistics.median(fsyncs), 3), "fsync_ms_p99": round(pct(fsyncs, 99), 3),
    "load_average_1min": round(os.getloadavg()[0], 2),
}
print(f"import of {LINES} sheet lines ({len(blocks)} sheets): {import_s:.3f} s (target 3 s)")
print(f"start-up to first prompt: median {summary['startup_to_prompt_ms_median']} ms, max {summary['startup_to_prompt_ms_max']} ms "
      f"over {SESSIONS} sessions (target 150 ms)")
print(f"per accepted line, commit inside the session: median {summary['line_commit_ms_median']} ms, "
      f"p99 {summary['line_commit_ms_p99']} ms over {len(commit)} lines (target 5 ms)")
print(f"per accepted line, written → next prompt: median {summary['line_roundtrip_ms_median']} ms, "
      f"p99 {summary['line_roundtrip_ms_p99']} ms")
print(f"fsync of a 4 KiB append on this disk: median {summary['fsync_ms_median']} ms, p99 {summary['fsync_ms_p99']} ms "
      f"(each accepted line waits for one; load average {summary['load_average_1min']})")
shutil.rmtree(tmp, ignore_errors=True)
print(json.dumps(summary, ensure_ascii=False))
PY
