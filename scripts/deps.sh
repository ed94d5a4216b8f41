#!/usr/bin/env bash
# Installs the Debian packages Pingshen builds and tests with (only those missing).
set -euo pipefail
pkgs=(libsqlite3-dev libcurl4-openssl-dev sqlite3 python3 postgresql openssl curl)
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
