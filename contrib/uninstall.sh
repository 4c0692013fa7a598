#!/bin/sh
# Removes what contrib/install.sh installed: the units (stopped and disabled first), the
# binaries, the completions and the man page. Credentials and accounts under ~/.qwen stay.
set -eu

: "${HOME:?HOME must be set}"
unit_dir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
data_dir="${XDG_DATA_HOME:-$HOME/.local/share}"
fish_dir="${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions"

if command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1; then
    systemctl --user disable --now qwen-sync-serve.socket qwen-sync-serve.service qwen-sync.socket qwen-sync.service 2>/dev/null || true
fi

for path in \
    "$unit_dir/qwen-sync.service" \
    "$unit_dir/qwen-sync.socket" \
    "$unit_dir/qwen-sync-serve.service" \
    "$unit_dir/qwen-sync-serve.socket" \
    "$HOME/.local/bin/qwen-sync" \
    "$HOME/.local/libexec/qwen-sync/qwen-syncd" \
    "$HOME/.local/libexec/qwen-sync/qwen-sync-serve" \
    "$data_dir/bash-completion/completions/qwen-sync" \
    "$data_dir/zsh/site-functions/_qwen-sync" \
    "$fish_dir/qwen-sync.fish" \
    "$data_dir/man/man1/qwen-sync.1"
do
    if [ -e "$path" ]; then
        rm -f "$path"
        printf 'uninstall.sh: removed %s\n' "$path"
    fi
done

if command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1; then
    systemctl --user daemon-reload
    systemctl --user reset-failed qwen-sync.service qwen-sync.socket qwen-sync-serve.service qwen-sync-serve.socket 2>/dev/null || true
fi
rmdir "$HOME/.local/libexec/qwen-sync" 2>/dev/null || true
echo "uninstall.sh: done; ~/.qwen was left as it is"
