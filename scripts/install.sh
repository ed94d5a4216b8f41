#!/usr/bin/env bash
# Installs Pingshen for every user of this machine:
#   bash scripts/install.sh [PREFIX] [--bin DIR]     (PREFIX default /usr/local)
# Builds in release mode (or takes the `pingshen` binary already built in DIR with --bin, so that CI does not
# build twice), then installs
#   PREFIX/bin/pingshen (a launcher), PREFIX/lib/pingshen/ (the binary and the Swift runtime it links)
#   PREFIX/share/pingshen/{Rubrics,Config}          (the binary finds them from its own location; PINGSHEN_HOME
#                                                    overrides; a user's $XDG_CONFIG_HOME/pingshen/config.yaml
#                                                    overrides the installed settings)
#   PREFIX/share/bash-completion/completions/pingshen, PREFIX/share/zsh/site-functions/_pingshen,
#   PREFIX/share/fish/vendor_completions.d/pingshen.fish
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) prefix="$1"; shift ;;
  esac
done
if [ -z "$bin" ]; then
  bash scripts/deps.sh >/dev/null
  swift build -c release --product pingshen >/dev/null
  bin="$(swift build -c release --show-bin-path)"
fi
[ -x "$bin/pingshen" ] || { echo "install.sh: no pingshen binary in $bin" >&2; exit 1; }
install -d "$prefix/bin" "$prefix/share/pingshen" "$prefix/share/bash-completion/completions" \
  "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
# The binary and the Swift runtime libraries it links (a machine without Swift has none), under PREFIX/lib/pingshen;
# PREFIX/bin/pingshen is a small launcher that points the loader there.
install -d "$prefix/lib/pingshen"
install -m 0755 "$bin/pingshen" "$prefix/lib/pingshen/pingshen"
for lib in $(ldd "$bin/pingshen" 2>/dev/null | awk '$3 ~ /\/swift\/linux\// {print $3}'); do
  install -m 0644 "$lib" "$prefix/lib/pingshen/"
done
cat > "$prefix/bin/pingshen" <<LAUNCHER
#!/bin/sh
export LD_LIBRARY_PATH="$prefix/lib/pingshen\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
exec "$prefix/lib/pingshen/pingshen" "\$@"
LAUNCHER
chmod 0755 "$prefix/bin/pingshen"
rm -rf "$prefix/share/pingshen/Rubrics" "$prefix/share/pingshen/Config"
cp -R Rubrics Config "$prefix/share/pingshen/"
chmod -R a+rX "$prefix/share/pingshen"
"$prefix/bin/pingshen" --generate-completion-script bash > "$prefix/share/bash-completion/completions/pingshen"
"$prefix/bin/pingshen" --generate-completion-script zsh > "$prefix/share/zsh/site-functions/_pingshen"
"$prefix/bin/pingshen" --generate-completion-script fish > "$prefix/share/fish/vendor_completions.d/pingshen.fish"
echo "installed $("$prefix/bin/pingshen" --version) to $prefix (data in $prefix/share/pingshen)"
