#!/usr/bin/env bash
# Checks a qwen-sync .deb the way a user meets it: its file list and dependencies, lintian
# (when installed), `apt-get install ./qwen-sync_….deb`, the packaged unit started under a
# real user manager (IntegrationTests/systemd-user.sh --installed), then `apt-get remove`.
#
# Usage (as root): IntegrationTests/debian-package.sh path/to/qwen-sync_<version>_<arch>.deb
# Prints "skipped: <why>" and exits 0 when this machine cannot install packages, or already
# has qwen-sync installed (it is never replaced or removed).
set -u

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
. "$here/lib/checks.sh"

deb=$(realpath "${1:?usage: debian-package.sh path/to/qwen-sync_<version>_<arch>.deb}")
[ -f "$deb" ] || { echo "debian-package.sh: $deb not found" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "skipped: needs root to install the package"; exit 0; }
command -v apt-get >/dev/null 2>&1 || { echo "skipped: no apt-get here"; exit 0; }
if dpkg-query -W -f '${Status}' qwen-sync 2>/dev/null | grep -q 'install ok installed'; then
    echo "skipped: the qwen-sync package is already installed here; not replacing it"
    exit 0
fi

expected_files="/usr/bin/qwen-sync
/usr/lib/systemd/user/qwen-sync-serve.service
/usr/lib/systemd/user/qwen-sync-serve.socket
/usr/lib/systemd/user/qwen-sync.service
/usr/lib/systemd/user/qwen-sync.socket
/usr/libexec/qwen-sync/qwen-sync-serve
/usr/libexec/qwen-sync/qwen-syncd
/usr/share/bash-completion/completions/qwen-sync
/usr/share/doc/qwen-sync/changelog.gz
/usr/share/doc/qwen-sync/copyright
/usr/share/doc/qwen-sync/examples/without-user-namespaces.conf
/usr/share/fish/vendor_completions.d/qwen-sync.fish
/usr/share/lintian/overrides/qwen-sync
/usr/share/man/man1/qwen-sync.1.gz
/usr/share/zsh/vendor-completions/_qwen-sync"

file_list() {
    local files
    files=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -n 's|^\./|/|; /[^/]$/p' | sort)
    expect_eq "files in the package" "$files" "$expected_files"
}
check "file list: binary, the daemon's and the endpoint's executables in libexec, user units, man page, three completions, docs, a lintian override" file_list

unit_paths() {
    local unit
    unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/user/qwen-sync.service)
    expect_contains "packaged qwen-sync.service" "$unit" "ExecStart=/usr/bin/qwen-sync daemon" || return 1
    if grep -q '%h/.local/bin' <<<"$unit"; then echo "the packaged unit still points at ~/.local/bin"; return 1; fi
    unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/user/qwen-sync-serve.service)
    expect_contains "packaged qwen-sync-serve.service" "$unit" "ExecStart=/usr/bin/qwen-sync serve" || return 1
    if grep -q '%h/.local/bin' <<<"$unit"; then echo "the packaged serve unit still points at ~/.local/bin"; return 1; fi
}
check "the packaged units run /usr/bin/qwen-sync" unit_paths

dependencies() {
    local depends library
    depends=$(dpkg-deb -f "$deb" Depends)
    echo "Depends: $depends"
    for library in libc6 libcurl4 libsystemd0 libqrencode4; do
        grep -Eq "(^|, )$library( \(|,|$)" <<<"$depends" || { echo "Depends lacks $library"; return 1; }
    done
    # The Swift runtime and libstdc++ are linked in (contrib/release-build.sh): no dependency on a
    # toolchain outside the package, no libstdc++ symbols to bind at each start.
    local path
    for path in usr/bin/qwen-sync usr/libexec/qwen-sync/qwen-syncd usr/libexec/qwen-sync/qwen-sync-serve; do
        if dpkg-deb --fsys-tarfile "$deb" | tar -xO "./$path" > "$workdir/binary" \
            && ldd "$workdir/binary" | grep -q -e 'libswift' -e 'libstdc++' -e 'not found'; then
            ldd "$workdir/binary"; return 1
        fi
    done
}
workdir=$(mktemp -d "${TMPDIR:-/tmp}/qwen-sync-deb-check.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
check "Depends: computed from the linked and the first-use libraries (libc6, libcurl4, libsystemd0, libqrencode4), no Swift runtime or libstdc++ needed" dependencies

if command -v lintian >/dev/null 2>&1; then
    lintian_clean() {
        local report
        report=$(lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v "running with root privileges")
        [ -n "$report" ] && printf 'lintian: %s\n' "$report" >&2
        ! grep -q '^E:' <<<"$report"
    }
    check "lintian: no errors (warnings, if any, printed above)" lintian_clean
else
    echo "skipped: lintian is not installed (apt-get install lintian)"
fi

# Installed through apt, as the README tells users. apt reads the file as _apt: make it readable.
install -m 0644 "$deb" "$workdir/$(basename "$deb")"
chmod 0755 "$workdir"
installs() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$workdir/$(basename "$deb")" >"$workdir/apt.log" 2>&1 \
        || { cat "$workdir/apt.log"; return 1; }
    local listed
    listed=$(dpkg -L qwen-sync | while read -r path; do [ -d "$path" ] || echo "$path"; done | sort)
    expect_eq "dpkg -L qwen-sync (files)" "$listed" "$expected_files" || return 1
    /usr/bin/qwen-sync --version >/dev/null || return 1
    if command -v man >/dev/null 2>&1; then
        man -w qwen-sync >/dev/null 2>&1 || { echo "man cannot find qwen-sync(1)"; return 1; }
    fi
}
check "apt-get install ./$(basename "$deb")" installs

if [ -x /usr/bin/qwen-sync ]; then
    bash "$here/systemd-user.sh" --installed 2>&1 | tee "$workdir/systemd-user.log"
    if [ "${PIPESTATUS[0]}" != 0 ]; then
        CHECKS_FAILED=$((CHECKS_FAILED + 1)); echo "FAIL - the packaged unit under a real user manager"
    elif grep -q '^skipped:' "$workdir/systemd-user.log"; then
        echo "skipped: the packaged unit under a real user manager (see above)"
    else
        CHECKS_PASSED=$((CHECKS_PASSED + 1)); echo "ok - the packaged unit under a real user manager"
    fi
fi

removes() {
    DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq qwen-sync >"$workdir/apt-remove.log" 2>&1 || { cat "$workdir/apt-remove.log"; return 1; }
    local path
    while read -r path; do
        [ ! -e "$path" ] || { echo "$path is still there"; return 1; }
    done <<<"$expected_files"
    ! dpkg-query -W -f '${Status}' qwen-sync 2>/dev/null | grep -q 'install ok installed'
}
check "apt-get remove qwen-sync removes every file" removes

checks_summary "debian-package ($(basename "$deb"))"
