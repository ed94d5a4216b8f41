#!/usr/bin/env bash
# Renders an HTML report to a PNG with headless Chromium (installs chromium and CJK fonts when missing),
# to look at what a printed report shows. Usage: bash scripts/render-report.sh REPORT.html OUT.png [WIDTH]
set -euo pipefail
in="$1"; out="$2"; width="${3:-1240}"
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk
fi
# Height: long enough for the whole report (Chromium does not size the screenshot to the page).
lines=$(wc -l < "$in")
height=$(( lines * 12 + 2000 ))
[ "$height" -gt 16000 ] && height=16000
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out" \
  --window-size="$width,$height" "file://$(realpath "$in")" 2>/dev/null
echo "$out"
