#!/bin/sh
# Builds the qwen-sync man page: swift-argument-parser's generate-manual renders the commands
# from the binary's own definitions, then the hand-written EXIT STATUS, ENVIRONMENT, FILES,
# EXAMPLES and SEE ALSO sections (contrib/qwen-sync.1.sections) replace the empty EXIT STATUS
# section it ends with.
#
#   sh contrib/manpage.sh QWEN_SYNC_BINARY OUTPUT_DIR   writes OUTPUT_DIR/qwen-sync.1
#   sh contrib/manpage.sh --check                       builds from .build/debug, checks the sections
set -eu
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--check" ]; then
    out=$(mktemp -d "${TMPDIR:-/tmp}/qwen-sync-man.XXXXXX")
    trap 'rm -rf "$out"' EXIT
    swift build --product qwen-sync >/dev/null
    sh contrib/manpage.sh "$(swift build --show-bin-path)/qwen-sync" "$out"
    page="$out/qwen-sync.1"
    for section in NAME SYNOPSIS DESCRIPTION '"EXIT STATUS"' ENVIRONMENT FILES EXAMPLES '"SEE ALSO"'; do
        count=$(grep -c "^\.Sh $section\$" "$page" || true)
        [ "$count" = 1 ] || { echo "manpage: section $section appears $count times in qwen-sync.1" >&2; exit 1; }
    done
    for command in login accounts refresh daemon status doctor logs exec; do
        grep -q "^\.It Em $command\$" "$page" || { echo "manpage: no $command command in qwen-sync.1" >&2; exit 1; }
    done
    if command -v groff >/dev/null 2>&1; then
        warnings=$(groff -mandoc -Tutf8 -z "$page" 2>&1 | grep -v "Empty input line" || true)
        [ -z "$warnings" ] || { echo "manpage: groff: $warnings" >&2; exit 1; }
    fi
    echo "manpage: qwen-sync.1 has NAME, SYNOPSIS, DESCRIPTION, EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES, SEE ALSO"
    exit 0
fi

binary=${1:?usage: manpage.sh QWEN_SYNC_BINARY OUTPUT_DIR | --check}
output=${2:?usage: manpage.sh QWEN_SYNC_BINARY OUTPUT_DIR | --check}
mkdir -p "$output"
swift build --product generate-manual >/dev/null
"$(swift build --show-bin-path)/generate-manual" "$binary" --output-directory "$output" >/dev/null
page="$output/qwen-sync.1"
# generate-manual ends the page with an empty `.Sh "EXIT STATUS"`: drop it, append ours.
awk '$0 == ".Sh \"EXIT STATUS\"" { exit } { print }' "$page" > "$page.tmp"
cat contrib/qwen-sync.1.sections >> "$page.tmp"
mv "$page.tmp" "$page"
