# Tiny test reporting for the IntegrationTests scripts (sourced; bash).
# `check NAME CMD...` runs CMD and prints "ok - NAME" or "FAIL - NAME"; `expect_eq` compares.

CHECKS_FAILED=0
CHECKS_PASSED=0
CHECKS_STARTED=$(date +%s)

check() {
    local name=$1; shift
    local output
    if output=$("$@" 2>&1); then
        CHECKS_PASSED=$((CHECKS_PASSED + 1))
        printf 'ok - %s\n' "$name"
    else
        CHECKS_FAILED=$((CHECKS_FAILED + 1))
        printf 'FAIL - %s\n' "$name"
        [ -n "$output" ] && printf '%s\n' "$output" | sed 's/^/    /' | head -40
    fi
}

# Succeeds when $2 equals $3, else says what differed ($1 names the value).
expect_eq() {
    [ "$2" = "$3" ] && return 0
    printf '%s: expected "%s", got "%s"\n' "$1" "$3" "$2"
    return 1
}

# Succeeds when the text $2 contains $3.
expect_contains() {
    case "$2" in *"$3"*) return 0 ;; esac
    printf '%s: "%s" does not contain "%s"\n' "$1" "$2" "$3"
    return 1
}

# Prints the summary; returns 1 when any check failed.
checks_summary() {
    printf '%s: %d passed, %d failed in %d s\n' "$1" "$CHECKS_PASSED" "$CHECKS_FAILED" $(( $(date +%s) - CHECKS_STARTED ))
    [ "$CHECKS_FAILED" -eq 0 ]
}
