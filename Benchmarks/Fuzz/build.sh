#!/bin/sh
# Builds the libFuzzer binary for the parsers (Fuzz.swift, with the JSON mutator in
# WideDeepMutator.swift) into $1 (default /tmp/qwen-sync-fuzz).
#
# QwenSyncCore and the parser half of QwenExec are compiled as their own modules with
# -sanitize=fuzzer,address, straight from Sources/ (no SwiftPM, no Subprocess, no Logging).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-/tmp/qwen-sync-fuzz}
mkdir -p "$out"
flags="-O -g -sanitize=fuzzer,address -parse-as-library -I $out"
core=$(find "$root/Sources/QwenSyncCore" -name '*.swift' | sort)
# The parsers and the CLI-output interpreter only; the process runner needs Subprocess/Logging.
execfiles=""
for name in CLIOutcome CLIResultInterpreter ChatMessage ChatRequest ChatRequestParser ExecFailure TokenUsage; do
    execfiles="$execfiles $root/Sources/QwenExec/$name.swift"
done
# QwenSyncCore's C shim (pipe2, prctl, ...): a module map for swiftc and an object to link.
printf 'module CQwenLinux {\n    header "%s"\n    export *\n}\n' "$root/Sources/CQwenLinux/include/CQwenLinux.h" > "$out/module.modulemap"
clang -O1 -g -fsanitize=fuzzer-no-link,address -I "$root/Sources/CQwenLinux/include" -c "$root/Sources/CQwenLinux/shim.c" -o "$out/CQwenLinux.o"
swiftc $flags -wmo -module-name QwenSyncCore -emit-module -emit-module-path "$out/QwenSyncCore.swiftmodule" \
    -c $core -o "$out/QwenSyncCore.o"
# The one type of QwenProcess the interpreter reads (the runner itself needs Subprocess/Logging).
swiftc $flags -wmo -module-name QwenProcess -emit-module -emit-module-path "$out/QwenProcess.swiftmodule" \
    -c "$root/Sources/QwenProcess/ChildProcessOutcome.swift" -o "$out/QwenProcess.o"
swiftc $flags -wmo -enable-testing -module-name QwenExec -emit-module -emit-module-path "$out/QwenExec.swiftmodule" \
    -c $execfiles -o "$out/QwenExec.o"
swiftc $flags "$root/Benchmarks/Fuzz/Fuzz.swift" "$root/Benchmarks/Fuzz/WideDeepMutator.swift" "$out/QwenSyncCore.o" "$out/QwenProcess.o" "$out/QwenExec.o" "$out/CQwenLinux.o" -o "$out/fuzz"
echo "$out/fuzz"
