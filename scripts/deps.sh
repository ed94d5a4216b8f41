#!/usr/bin/env bash
# Installs the Debian packages Pingshen builds and tests with (only those missing). python3-venv: the
# schemathesis API fuzz (scripts/schemathesis.sh) installs schemathesis from PyPI into its own virtual environment.
set -euo pipefail
pkgs=(libsqlite3-dev libcurl4-openssl-dev sqlite3 python3 python3-venv postgresql openssl curl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}"
fi
# The printed documents are checked as a person gets them: headless Chromium prints the HTML to PDF (with the CJK
# fonts), poppler-utils (pdftotext, pdfinfo) reads the PDF back, LibreOffice's calc converter lays the xlsx out.
# Without recommends: the converters alone, not the desktop.
doc_pkgs=(chromium fonts-noto-cjk poppler-utils libreoffice-calc)
doc_missing=()
for p in "${doc_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || doc_missing+=("$p")
done
if [ ${#doc_missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${doc_missing[@]}"
fi
# openpyxl: the tests read the exported .xlsx back with a real reader.
if ! python3 -c "import openpyxl" >/dev/null 2>&1; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip
  fi
  python3 -m pip install --quiet openpyxl 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages openpyxl
fi
# statsmodels: the calibration test compares Pingshen's REML fit with statsmodels' MixedLM
# (scripts/check-calibration.py; it also installs statsmodels itself when missing).
if ! python3 -c "import statsmodels" >/dev/null 2>&1; then
  python3 -m pip install --quiet statsmodels 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages statsmodels
fi
