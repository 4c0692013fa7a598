#!/bin/sh
# Builds qwen-sync in release mode and installs it for the current user:
#   ~/.local/bin/qwen-sync
#   ~/.local/libexec/qwen-sync/qwen-syncd (the daemon's executable; `qwen-sync daemon` runs it)
#   ~/.local/libexec/qwen-sync/qwen-sync-serve (the endpoint's executable; `qwen-sync serve` runs it)
#   ~/.config/systemd/user/qwen-sync.service, qwen-sync.socket
#   ~/.config/systemd/user/qwen-sync-serve.service, qwen-sync-serve.socket (the endpoint,
#     socket-activated: systemctl --user enable --now qwen-sync-serve.socket)
#   shell completions for bash, zsh and fish
#   ~/.local/share/man/man1/qwen-sync.1 (when swift-argument-parser's generate-manual works)
#
# Usage: contrib/install.sh [--no-build] [--enable]
#   --no-build  install the binaries contrib/release-build.sh already built
#   --enable    then run `systemctl --user enable --now qwen-sync.service`
# Nothing under ~/.qwen is touched.
set -eu

build=yes
enable=no
for arg in "$@"; do
    case "$arg" in
        --no-build) build=no ;;
        --enable) enable=yes ;;
        -h|--help) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

repo=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
: "${HOME:?HOME must be set}"
bin_dir="$HOME/.local/bin"
libexec_dir="$HOME/.local/libexec/qwen-sync"
unit_dir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
data_dir="${XDG_DATA_HOME:-$HOME/.local/share}"
fish_dir="${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions"

say() { printf 'install.sh: %s\n' "$*"; }

cd "$repo"
if [ "$build" = yes ]; then
    for product in qwen-sync qwen-syncd qwen-sync-serve; do
        say "building (contrib/release-build.sh --product $product)"
        sh contrib/release-build.sh --product "$product"
    done
fi
bin_path=$(sh contrib/release-build.sh --show-bin-path)
for built in "$bin_path/qwen-sync" "$bin_path/qwen-syncd" "$bin_path/qwen-sync-serve"; do
    [ -x "$built" ] || { echo "install.sh: $built not found; run without --no-build" >&2; exit 1; }
done

install -d -m 0755 "$bin_dir" "$libexec_dir"
install -m 0755 "$bin_path/qwen-sync" "$bin_dir/qwen-sync"
install -m 0755 "$bin_path/qwen-syncd" "$libexec_dir/qwen-syncd"
install -m 0755 "$bin_path/qwen-sync-serve" "$libexec_dir/qwen-sync-serve"
say "installed $bin_dir/qwen-sync, $libexec_dir/qwen-syncd and $libexec_dir/qwen-sync-serve"

install -d -m 0755 "$unit_dir"
install -m 0644 contrib/qwen-sync.service contrib/qwen-sync.socket contrib/qwen-sync-serve.service contrib/qwen-sync-serve.socket "$unit_dir/"
say "installed $unit_dir/qwen-sync.service, qwen-sync.socket, qwen-sync-serve.service and qwen-sync-serve.socket"

completion() { # shell, destination
    if "$bin_dir/qwen-sync" --generate-completion-script "$1" > "$2.tmp" 2>/dev/null && [ -s "$2.tmp" ]; then
        mv "$2.tmp" "$2"
        say "installed $1 completion $2"
    else
        rm -f "$2.tmp"
        say "skipped $1 completion (qwen-sync --generate-completion-script $1 failed)"
    fi
}
install -d -m 0755 "$data_dir/bash-completion/completions" "$data_dir/zsh/site-functions" "$fish_dir"
completion bash "$data_dir/bash-completion/completions/qwen-sync"
completion zsh "$data_dir/zsh/site-functions/_qwen-sync"
completion fish "$fish_dir/qwen-sync.fish"

# The manual: swift-argument-parser's generate-manual renders the commands, then
# contrib/manpage.sh adds EXIT STATUS, ENVIRONMENT, FILES and EXAMPLES; optional.
man_out=$(mktemp -d "${TMPDIR:-/tmp}/qwen-sync-man.XXXXXX")
if sh contrib/manpage.sh "$bin_dir/qwen-sync" "$man_out" >/dev/null 2>&1 \
    && [ -f "$man_out/qwen-sync.1" ]; then
    install -d -m 0755 "$data_dir/man/man1"
    install -m 0644 "$man_out/qwen-sync.1" "$data_dir/man/man1/qwen-sync.1"
    say "installed $data_dir/man/man1/qwen-sync.1"
else
    say "skipped the man page (generate-manual could not build or run)"
fi
rm -rf "$man_out"

if command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1; then
    systemctl --user daemon-reload
    if [ "$enable" = yes ]; then
        systemctl --user enable --now qwen-sync.service
        say "enabled and started qwen-sync.service"
    else
        say "start it with: systemctl --user enable --now qwen-sync.service"
    fi
    if systemctl --user is-enabled --quiet qwen-sync-serve.socket 2>/dev/null; then
        systemctl --user restart qwen-sync-serve.socket
    else
        say "for the OpenAI-compatible endpoint on demand: systemctl --user enable --now qwen-sync-serve.socket"
    fi
else
    say "no systemd user manager reachable; units installed but not loaded"
fi
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) say "note: $bin_dir is not on PATH" ;;
esac
