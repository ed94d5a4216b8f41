#!/usr/bin/env bash
# The main job on the bundled samples: for each sample panel, load it into a fresh database, combine the
# sheets, show the results and the outlier flags, export csv/json/xlsx/html, seal and verify.
# Usage: bash scripts/demo.sh [OUT_DIR]   (default: demo-out)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-demo-out}"
bash scripts/deps.sh
swift build --product pingshen >/dev/null
P="$(swift build --show-bin-path)/pingshen"
rm -rf "$OUT"
mkdir -p "$OUT"
for dir in Samples/*/; do
  [ -f "$dir/panel.yaml" ] || continue
  panel="$(sed -n 's/^panel: *//p' "$dir/panel.yaml" | head -n 1)"
  db="$OUT/$panel.sqlite"
  echo "════════ $panel ($dir)"
  "$P" --db "$db" panel load "$dir"
  "$P" --db "$db" results "$panel" | tee "$OUT/$panel-results.txt"
  echo
  "$P" --db "$db" outliers "$panel" > "$OUT/$panel-outliers.txt"
  grep -A100 -E '^(异常标记|无异常标记)' "$OUT/$panel-outliers.txt" || true
  for f in csv json xlsx html; do
    "$P" --db "$db" export "$panel" --format "$f" --out "$OUT/$panel.$f"
  done
  "$P" --db "$db" finalize "$panel" --actor demo
  "$P" --db "$db" verify "$panel"
  echo
done
echo "Written to $OUT/:"
ls -1 "$OUT"
