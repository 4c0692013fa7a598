#!/bin/sh
# Checks contrib/qwen-sync.{service,socket} and contrib/qwen-sync-serve.{service,socket} with `systemd-analyze --user verify`, offline.
#
# The check runs with a throw-away HOME holding a stub ~/.local/bin/qwen-sync (verify
# insists that ExecStart= is executable) and a throw-away XDG_RUNTIME_DIR (needed to
# resolve %t). Exit status is systemd-analyze's. Set QWEN_SYNC_VERIFY_SECURITY=1 to also
# print the `systemd-analyze security` exposure report for both services.
set -eu

contrib=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
command -v systemd-analyze >/dev/null 2>&1 || { echo "verify-units: systemd-analyze not found" >&2; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/qwen-sync-verify.XXXXXX")
marker=/run/systemd/systemd-units-load
had_marker=no
[ -e "$marker" ] && had_marker=yes
cleanup() {
    rm -rf "$scratch"
    # systemd-analyze leaves this empty marker behind when run as root.
    if [ "$had_marker" = no ] && [ -e "$marker" ] && [ -w "$marker" ]; then rm -f "$marker"; fi
}
trap cleanup EXIT INT TERM

mkdir -p "$scratch/home/.local/bin" "$scratch/home/.qwen" "$scratch/units"
mkdir -m 0700 "$scratch/run"
printf '#!/bin/sh\nexit 0\n' > "$scratch/home/.local/bin/qwen-sync"
chmod 0755 "$scratch/home/.local/bin/qwen-sync"
units="qwen-sync.service qwen-sync.socket qwen-sync-serve.service qwen-sync-serve.socket"
for name in $units; do cp "$contrib/$name" "$scratch/units/"; done

export HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/run"
status=0
# shellcheck disable=SC2086 # $units holds plain file names
systemd-analyze --user verify --man=no $(for name in $units; do printf '%s ' "$scratch/units/$name"; done) || status=$?
if [ "$status" -eq 0 ]; then
    echo "verify-units: $units OK"
else
    echo "verify-units: systemd-analyze verify failed (exit $status)" >&2
fi
if [ "${QWEN_SYNC_VERIFY_SECURITY:-0}" = 1 ]; then
    systemd-analyze --user security --offline=true "$scratch/units/qwen-sync.service" || true
    systemd-analyze --user security --offline=true "$scratch/units/qwen-sync-serve.service" || true
fi
exit "$status"
