#!/bin/sh
# Builds qwen-sync_<version>_<arch>.deb from the release build (`make deb` runs this):
#   /usr/bin/qwen-sync                              the binary, Swift runtime linked in
#   /usr/libexec/qwen-sync/qwen-syncd               the daemon's executable (`qwen-sync daemon` runs it)
#   /usr/libexec/qwen-sync/qwen-sync-serve          the endpoint's executable (`qwen-sync serve` runs it)
#   /usr/lib/systemd/user/qwen-sync.{service,socket} the contrib units, ExecStart=/usr/bin/qwen-sync
#   /usr/lib/systemd/user/qwen-sync-serve.{service,socket} likewise (the socket-activated endpoint)
#   /usr/share/man/man1/qwen-sync.1.gz              from swift-argument-parser's generate-manual
#   bash, zsh and fish completions                  from `qwen-sync --generate-completion-script`
#   /usr/share/doc/qwen-sync/                       copyright, changelog, the drop-in example
# Depends: comes from the libraries the binary links (dpkg-shlibdeps) and those it loads on
# first use (libcurl, libqrencode, libsystemd, from their shlibs files).
#
# Usage: packaging/deb/build.sh [--no-build] [OUTPUT_DIR]   (default OUTPUT_DIR: the repository)
#   --no-build  package the binaries contrib/release-build.sh already built
# Needs dpkg-dev (dpkg-shlibdeps) and binutils (strip). Prints the .deb's path on standard
# output and everything else on standard error.
set -eu

build=yes
out=
for arg in "$@"; do
    case "$arg" in
        --no-build) build=no ;;
        -h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
        *) out=$arg ;;
    esac
done
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo=$(CDPATH= cd -- "$here/../.." && pwd)
out=$(mkdir -p "${out:-$repo}" && CDPATH= cd -- "${out:-$repo}" && pwd)
say() { printf 'build-deb: %s\n' "$*" >&2; }
for tool in dpkg-deb dpkg-shlibdeps strip gzip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build-deb: $tool not found (apt-get install dpkg-dev binutils)" >&2; exit 1; }
done

cd "$repo"
if [ "$build" = yes ]; then
    for product in qwen-sync qwen-syncd qwen-sync-serve; do
        say "contrib/release-build.sh --product $product"
        sh contrib/release-build.sh --product "$product" >&2
    done
fi
bin_path=$(sh contrib/release-build.sh --show-bin-path)
binary=$bin_path/qwen-sync
daemon_binary=$bin_path/qwen-syncd
serve_binary=$bin_path/qwen-sync-serve
for built in "$binary" "$daemon_binary" "$serve_binary"; do
    [ -x "$built" ] || { echo "build-deb: $built not found; run without --no-build" >&2; exit 1; }
done
version=$("$binary" --version)
arch=$(dpkg --print-architecture)
deb="$out/qwen-sync_${version}_${arch}.deb"

stage=$(mktemp -d "${TMPDIR:-/tmp}/qwen-sync-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
root=$stage/root
umask 022
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/libexec/qwen-sync" "$root/usr/lib/systemd/user" "$root/usr/share/man/man1" \
    "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d" "$root/usr/share/doc/qwen-sync/examples"

install -m 0755 "$binary" "$root/usr/bin/qwen-sync"
install -m 0755 "$daemon_binary" "$root/usr/libexec/qwen-sync/qwen-syncd"
install -m 0755 "$serve_binary" "$root/usr/libexec/qwen-sync/qwen-sync-serve"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/qwen-sync" "$root/usr/libexec/qwen-sync/qwen-syncd" \
    "$root/usr/libexec/qwen-sync/qwen-sync-serve"

# qwen-sync-serve links the static Swift runtime's Foundation (through Hummingbird and
# AsyncHTTPClient), which carries its own zlib: the toolchain's, not a copy of Debian's source.
install -d "$root/usr/share/lintian/overrides"
cat > "$root/usr/share/lintian/overrides/qwen-sync" <<'OVERRIDES'
# The static Swift runtime's Foundation in the endpoint's executable carries its own zlib.
qwen-sync: embedded-library zlib [usr/libexec/qwen-sync/qwen-sync-serve]
OVERRIDES
chmod 0644 "$root/usr/share/lintian/overrides/qwen-sync"

# The units, pointed at /usr/bin; everything else exactly as in contrib/.
sed -e 's|^ExecStart=%h/\.local/bin/qwen-sync |ExecStart=/usr/bin/qwen-sync |' \
    -e 's|^# Installed by contrib/install.sh into ~/.config/systemd/user/\.|# Installed by the qwen-sync Debian package into /usr/lib/systemd/user/.|' \
    contrib/qwen-sync.service > "$root/usr/lib/systemd/user/qwen-sync.service"
grep -q '^ExecStart=/usr/bin/qwen-sync daemon$' "$root/usr/lib/systemd/user/qwen-sync.service" \
    || { echo "build-deb: could not point ExecStart= at /usr/bin/qwen-sync" >&2; exit 1; }
install -m 0644 contrib/qwen-sync.socket "$root/usr/lib/systemd/user/qwen-sync.socket"
chmod 0644 "$root/usr/lib/systemd/user/qwen-sync.service"
sed -e 's|^ExecStart=%h/\.local/bin/qwen-sync |ExecStart=/usr/bin/qwen-sync |' \
    contrib/qwen-sync-serve.service > "$root/usr/lib/systemd/user/qwen-sync-serve.service"
grep -q '^ExecStart=/usr/bin/qwen-sync serve$' "$root/usr/lib/systemd/user/qwen-sync-serve.service" \
    || { echo "build-deb: could not point qwen-sync-serve.service's ExecStart= at /usr/bin/qwen-sync" >&2; exit 1; }
chmod 0644 "$root/usr/lib/systemd/user/qwen-sync-serve.service"
install -m 0644 contrib/qwen-sync-serve.socket "$root/usr/lib/systemd/user/qwen-sync-serve.socket"

# bash-completion sources the file: no #! line (lintian: bash-completion-with-hashbang).
"$root/usr/bin/qwen-sync" --generate-completion-script bash | sed '1{/^#!/d}' > "$root/usr/share/bash-completion/completions/qwen-sync"
"$root/usr/bin/qwen-sync" --generate-completion-script zsh > "$root/usr/share/zsh/vendor-completions/_qwen-sync"
"$root/usr/bin/qwen-sync" --generate-completion-script fish > "$root/usr/share/fish/vendor_completions.d/qwen-sync.fish"

# The manual: swift-argument-parser's generate-manual tool (what `swift package
# generate-manual` runs), built in debug mode: it is small and only runs here.
swift build --product generate-manual >&2
mkdir "$stage/man"
"$(swift build --show-bin-path)/generate-manual" "$root/usr/bin/qwen-sync" --output-directory "$stage/man" >/dev/null
# A blank line in a command's discussion becomes a blank mdoc line, which groff warns about:
# make it a paragraph break.
sed 's/^$/.Pp/' "$stage/man/qwen-sync.1" | gzip -9n > "$root/usr/share/man/man1/qwen-sync.1.gz"

install -m 0644 "$here/copyright" "$root/usr/share/doc/qwen-sync/copyright"
install -m 0644 contrib/without-user-namespaces.conf "$root/usr/share/doc/qwen-sync/examples/"
date=$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
printf 'qwen-sync (%s) unstable; urgency=medium\n\n  * Built from the qwen-sync repository (%s).\n\n -- qwen-sync maintainers <maintainers@users.noreply.b-seed-89b202b2.example>  %s\n' \
    "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$date" | gzip -9n > "$root/usr/share/doc/qwen-sync/changelog.gz"
find "$root" -type d -exec chmod 0755 {} +
find "$root/usr/share" -type f -exec chmod 0644 {} +

# Depends: from the binary's dynamic libraries. dpkg-shlibdeps wants a debian/control.
mkdir -p "$stage/debian"
printf 'Source: qwen-sync\n\nPackage: qwen-sync\nArchitecture: any\n' > "$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O -e root/usr/bin/qwen-sync -e root/usr/libexec/qwen-sync/qwen-syncd -e root/usr/libexec/qwen-sync/qwen-sync-serve 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# libcurl, libqrencode and libsystemd are loaded with dlopen on first use, so the binary has
# no DT_NEEDED entry for them: add their packages from the shlibs files, as dpkg-shlibdeps would.
for soname in libcurl.so.4 libqrencode.so.4 libsystemd.so.0; do
    package=$(dpkg-query -S "*/$soname" 2>/dev/null | head -n 1 | cut -d: -f1-2)
    shlibs=/var/lib/dpkg/info/$package.shlibs
    [ -f "$shlibs" ] || shlibs=/var/lib/dpkg/info/${package%%:*}.shlibs
    dependency=$(awk -v name="${soname%%.so.*}" -v major="${soname##*.so.}" \
        '$1 == name && $2 == major { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$shlibs" 2>/dev/null)
    [ -n "$dependency" ] || { echo "build-deb: no shlibs entry for $soname (install its -dev package)" >&2; exit 1; }
    depends="$depends, $dependency"
done

(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
installed_size=$(du -sk --apparent-size "$root/usr" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" -e "s|@INSTALLED_SIZE@|$installed_size|" \
    "$here/control.in" > "$root/DEBIAN/control"

dpkg-deb --build --root-owner-group -Zxz "$root" "$deb" >/dev/null
say "$(basename "$deb"): Installed-Size $installed_size KiB, Depends: $depends"
echo "$deb"
