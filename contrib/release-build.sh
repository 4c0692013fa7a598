#!/bin/sh
# The one release build: what `make release`, `make bench`, `make torture`, contrib/install.sh
# and packaging/deb/build.sh run. Arguments go to `swift build` (`--product qwen-sync`,
# `--show-bin-path`).
#
#   --static-swift-stdlib   the Swift runtime inside each binary, no libswift*.so to install
#   --disable-local-rpath   no `$ORIGIN` run path: the loader looks for libc & co. only where
#                           they are (24 failed opens and stats fewer per start)
#   libstdc++ statically    swiftc puts `-lstdc++` on the link line itself, so a linker script
#                           named libstdc++.so that points at the static archive is put first
#                           in the library search path. Binding the shared libstdc++'s symbols
#                           took 1.5 M of the 2.1 M instructions a one-line Swift program runs
#                           (~0.4 ms of every `status`, `token`, `--version`).
#                           Without a libstdc++.a (no libstdc++-dev) the build links it shared.
set -eu
cd "$(dirname "$0")/.."
archive=$(clang -print-file-name=libstdc++.a 2>/dev/null || true)
static_libstdcxx=""
case "$archive" in
/*)
    mkdir -p .build/static-libstdc++
    printf 'INPUT(%s)\n' "$archive" > .build/static-libstdc++/libstdc++.so
    static_libstdcxx="-Xswiftc -L$(pwd)/.build/static-libstdc++"
    ;;
*) echo "release-build: no libstdc++.a (install libstdc++-dev); linking libstdc++ shared" >&2 ;;
esac
# shellcheck disable=SC2086 # $static_libstdcxx is two words or none
exec "${SWIFT:-swift}" build -c release --static-swift-stdlib --disable-local-rpath $static_libstdcxx "$@"
