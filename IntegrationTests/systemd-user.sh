#!/usr/bin/env bash
# Runs the qwen-sync user service under a real `systemd --user` and a real systemd-journald
# (see lib/user-manager.sh for how, without systemd as PID 1), and checks what a user relies
# on: it starts, is ready when `start` returns, reports STATUS=, is sandboxed, reloads, pings
# and obeys the watchdog, stops cleanly, logs queryable fields, is socket-activated, survives
# its socket unit being disabled, restarts after a crash, and shares no control socket with a
# daemon for another qwen directory; and that qwen-sync-serve.socket starts `qwen-sync serve`
# on the first request only, which exits again after its quiet period.
#
# Usage (as root):
#   IntegrationTests/systemd-user.sh --binary PATH   contrib/ units unmodified in
#                                                    ~/.config/systemd/user, PATH copied to
#                                                    ~/.local/bin/qwen-sync (what install.sh does)
#   IntegrationTests/systemd-user.sh --installed     the units in /usr/lib/systemd/user and
#                                                    /usr/bin/qwen-sync (the Debian package)
# Prints "ok - …" / "FAIL - …" per check; exit 1 when any failed. Prints "skipped: <why>"
# and exits 0 when this machine cannot host a user manager.
set -u

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo=$(dirname "$here")
. "$here/lib/user-manager.sh"
. "$here/lib/checks.sh"

mode=
binary=
case "${1:-}" in
    --binary) mode=contrib; binary=$(realpath "${2:?--binary needs a path}") ;;
    --installed) mode=installed ;;
    *) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
if [ "$mode" = contrib ]; then
    [ -x "$binary" ] || { echo "systemd-user.sh: $binary is not an executable" >&2; exit 2; }
else
    [ -x /usr/bin/qwen-sync ] && [ -f /usr/lib/systemd/user/qwen-sync.service ] \
        || { echo "systemd-user.sh: the qwen-sync package is not installed" >&2; exit 2; }
fi

um_require
um_enter_namespace "$0" "$@"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/qwen-sync-systemd.XXXXXX")
chmod 0755 "$workdir"
trap 'um_stop; rm -rf "$workdir"' EXIT
um_start "$workdir/manager.log" || exit 1

# MARK: helpers
unit=qwen-sync.service
sc() { um_as_user systemctl --user "$@"; }
prop() { sc show -p "$2" --value "$1"; }
main_pid() { prop "$unit" MainPID; }
jn() { um_as_user journalctl --user --no-pager "$@" 2>/dev/null; }
if [ "$mode" = contrib ]; then qs_bin=$UM_HOME/.local/bin/qwen-sync; else qs_bin=/usr/bin/qwen-sync; fi
qs() { um_as_user "$qs_bin" "$@"; }
# Succeeds when the user's journal has an entry for these matches / options.
journal_has() { [ -n "$(jn "$@" -o cat)" ]; }
# Counts the entries for these matches / options.
journal_count() { jn "$@" -o cat | wc -l; }
dropins=$UM_HOME/.config/systemd/user/$unit.d
runtime=/run/user/$UM_UID/qwen-sync
active_running() {
    expect_eq "$unit ActiveState" "$(prop "$unit" ActiveState)" active \
        && expect_eq "$unit SubState" "$(prop "$unit" SubState)" running
}
# Waits until the service runs with a main pid other than $1.
restarted_from() { local pid; pid=$(main_pid); [ "$pid" != 0 ] && [ "$pid" != "$1" ] && [ "$(prop "$unit" SubState)" = running ]; }

# MARK: install
if [ "$mode" = contrib ]; then
    install -d -o "$UM_UID" -g "$UM_GID" "$UM_HOME/.local" "$UM_HOME/.local/bin" "$UM_HOME/.local/libexec" "$UM_HOME/.local/libexec/qwen-sync" \
        "$UM_HOME/.config" "$UM_HOME/.config/systemd" "$UM_HOME/.config/systemd/user"
    install -o "$UM_UID" -g "$UM_GID" -m 0755 "$binary" "$qs_bin"
    # Where contrib/install.sh puts the daemon's executable.
    install -o "$UM_UID" -g "$UM_GID" -m 0755 "$(dirname "$binary")/qwen-syncd" "$UM_HOME/.local/libexec/qwen-sync/qwen-syncd"
    install -o "$UM_UID" -g "$UM_GID" -m 0755 "$(dirname "$binary")/qwen-sync-serve" "$UM_HOME/.local/libexec/qwen-sync/qwen-sync-serve"
    install -o "$UM_UID" -g "$UM_GID" -m 0644 "$repo/contrib/qwen-sync.service" "$repo/contrib/qwen-sync.socket" \
        "$repo/contrib/qwen-sync-serve.service" "$repo/contrib/qwen-sync-serve.socket" "$UM_HOME/.config/systemd/user/"
    unit_file=$UM_HOME/.config/systemd/user/$unit
else
    install -d -o "$UM_UID" -g "$UM_GID" "$UM_HOME/.config" "$UM_HOME/.config/systemd" "$UM_HOME/.config/systemd/user"
    unit_file=/usr/lib/systemd/user/$unit
fi
sc daemon-reload

unit_is_the_shipped_one() {
    expect_eq FragmentPath "$(prop "$unit" FragmentPath)" "$unit_file" || return 1
    if [ "$mode" = contrib ]; then
        cmp "$repo/contrib/qwen-sync.service" "$unit_file"
    else
        expect_contains ExecStart "$(prop "$unit" ExecStart)" "path=/usr/bin/qwen-sync"
    fi
}
check "the unit loaded is the shipped one, unmodified ($unit_file)" unit_is_the_shipped_one
check "before the first start there is no ~/.qwen" test ! -e "$UM_HOME/.qwen"

# MARK: start, readiness, STATUS=
starts_and_answers() {
    sc start "$unit" || { sc status --no-pager "$unit"; jn -u "$unit"; return 1; }
    # Type=notify: `start` returns after READY=1, which the daemon sends once it serves.
    qs status --json >"$workdir/status.json" || { echo "qwen-sync status exited $? right after start"; return 1; }
    active_running
}
check "systemctl --user start: active (running), and the control socket answers as soon as start returns" starts_and_answers
# READY=1 is judged by what it promises, in one ordered source: `start` returns only after the
# manager received READY=1, and the very next connect must find the socket served (above). Comparing
# the manager's READY timestamp with journald's *receive* time of the daemon's log line compared two
# receivers, and could fail on a busy machine while the daemon was right.
start_logged() {
    um_wait 30 journal_has -u "$unit" QWEN_EVENT=start || { echo "no QWEN_EVENT=start entry in the journal"; return 1; }
    journal_has -u "$unit" -g "control socket" || { echo "the start entry does not name the control socket"; return 1; }
}
check "the daemon logged that it serves the control socket (QWEN_EVENT=start)" start_logged
status_text() { expect_contains StatusText "$(prop "$unit" StatusText)" "accounts"; }
check "STATUS= line reported to systemd" status_text
first_start() { expect_eq "~/.qwen mode and owner" "$(stat -c '%a %U' "$UM_HOME/.qwen")" "700 $UM_USER"; }
check "first start created ~/.qwen 0700 (the home is read-only to the daemon)" first_start
handed_over() {
    local exe
    exe=$(readlink "/proc/$(main_pid)/exe")
    case "$exe" in */libexec/qwen-sync/qwen-syncd) ;; *) echo "the main process runs $exe, not qwen-syncd"; return 1 ;; esac
    if journal_has -u "$unit" -g "running the daemon in this process"; then echo "qwen-sync daemon fell back to running in-process"; return 1; fi
}
check "ExecStart's qwen-sync daemon handed over to libexec/qwen-sync/qwen-syncd (same main PID)" handed_over

# MARK: sandbox
sandboxed() {
    local pid proc
    pid=$(main_pid)
    proc=$(cat "/proc/$pid/status")
    expect_contains NoNewPrivs "$proc" "NoNewPrivs:	1" || return 1
    expect_contains Seccomp "$proc" "Seccomp:	2" || return 1
    expect_contains CapBnd "$proc" "CapBnd:	0000000000000000" || return 1
    expect_eq "uid_map (PrivateUsers=yes)" "$(awk '{print $1, $2, $3}' "/proc/$pid/uid_map")" "$UM_UID $UM_UID 1" || return 1
    local inside="nsenter -t $pid -U -m --preserve-credentials"
    if um_as_user $inside sh -c 'touch "$HOME/.probe"' 2>/dev/null; then echo "the daemon can write to the home directory"; return 1; fi
    um_as_user $inside sh -c 'touch "$HOME/.qwen/.probe" && rm "$HOME/.qwen/.probe"' || { echo "the daemon cannot write to ~/.qwen"; return 1; }
    um_as_user $inside sh -c "touch $runtime/.probe && rm $runtime/.probe" || { echo "the daemon cannot write to its runtime directory"; return 1; }
    if um_as_user $inside sh -c 'touch /usr/.probe' 2>/dev/null; then echo "the daemon can write to /usr"; return 1; fi
    [ "$(um_as_user $inside ls /dev | wc -l)" -lt 20 ] || { echo "the daemon sees the host's /dev"; return 1; }
}
check "sandbox applied in the running daemon: NoNewPrivs, seccomp, no capabilities, own user namespace, read-only home but ~/.qwen, private /dev" sandboxed

# MARK: exposure score, on the unit that runs
exposure() {
    local report score
    report=$(um_as_user systemd-analyze --user security --no-pager "$unit" 2>&1) || { printf '%s\n' "$report" | tail -5; return 1; }
    score=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    echo "systemd-analyze --user security $unit: $score"
    [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.1) }'
}
check "systemd-analyze --user security on the running unit: exposure at most 2.1" exposure
printf '%s\n' "$(um_as_user systemd-analyze --user security --no-pager "$unit" 2>/dev/null | grep 'Overall exposure')"

# MARK: journal
journal_fields() {
    local entries
    entries=$(jn -u "$unit" QWEN_EVENT=start -o json)
    expect_contains "journalctl --user -u $unit QWEN_EVENT=start" "$entries" '"SYSLOG_IDENTIFIER":"qwen-sync"' || return 1
    expect_contains "the entry's unit" "$entries" '"_SYSTEMD_USER_UNIT":"qwen-sync.service"' || return 1
    [ -n "$(jn -u "$unit" -p info QWEN_EVENT=start -o cat)" ] || { echo "nothing at -p info"; return 1; }
    [ -z "$(jn -u "$unit" -p err QWEN_EVENT=start -o cat)" ] || { echo "the start was logged as an error"; return 1; }
}
check "journalctl --user -u qwen-sync QWEN_EVENT=start finds the start, with -p priorities" journal_fields

# MARK: reload, tokens stay out of the journal
secret_refresh=rt-systemd-harness-0f3c9a
secret_access=at-systemd-harness-77d1e2
reloads() {
    local pid before
    pid=$(main_pid)
    before=$(journal_count -u "$unit" -g reloading)
    um_as_user sh -c "umask 077; printf '%s' '{\"access_token\":\"$secret_access\",\"refresh_token\":\"$secret_refresh\",\"token_type\":\"Bearer\",\"resource_url\":\"portal.qwen.ai\",\"expiry_date\":4102444800000}' > \$HOME/.qwen/oauth_creds.json"
    sc reload "$unit" || return 1
    active_running || return 1
    expect_eq "MainPID after reload" "$(main_pid)" "$pid" || return 1
    reloaded() { [ "$(journal_count -u "$unit" -g reloading)" -gt "$before" ]; }
    um_wait 30 reloaded || { echo "no 'reloading' entry after systemctl --user reload"; return 1; }
}
check "systemctl --user reload: same process, rescans, logs it" reloads
# MARK: a real refresh from inside the sandbox (libcurl, DNS-free loopback HTTP, file writes)
if [ "$mode" = contrib ]; then standin=$(dirname "$binary")/qwen-oauth-standin; else standin=$repo/.build/debug/qwen-oauth-standin; fi
http() { python3 -c 'import sys, urllib.request as u; d = sys.argv[2].encode() if len(sys.argv) > 2 else None; print(u.urlopen(u.Request(sys.argv[1], data=d, method="POST" if d else "GET")).read().decode())' "$@"; }
refreshes_in_sandbox() {
    local seeded
    um_wait 50 grep -q '^LISTENING ' "$workdir/standin.out" || { echo "the stand-in did not start"; return 1; }
    url=$(sed -n 's/^LISTENING //p' "$workdir/standin.out")
    seeded=$(http "$url/__admin/seed" '{"sub":"harness"}' | sed -n 's/.*"refresh_token" *: *"\([^"]*\)".*/\1/p')
    [ -n "$seeded" ] || { echo "seeding the stand-in failed"; return 1; }
    um_as_user sh -c "printf '[Service]\nEnvironment=QWEN_SYNC_OAUTH_BASE_URL=$url\n' > $dropins/oauth.conf"
    # A fresh login that expires in a minute: inside the refresh lead, so the daemon refreshes at once.
    sc stop "$unit" || return 1
    rm -f "$UM_HOME/.qwen/"*.json
    um_as_user sh -c "umask 077; printf '%s' '{\"access_token\":\"at-expiring\",\"refresh_token\":\"$seeded\",\"token_type\":\"Bearer\",\"resource_url\":\"portal.qwen.ai\",\"expiry_date\":$(( $(date +%s) * 1000 + 60000 ))}' > \$HOME/.qwen/oauth_creds.json"
    sc daemon-reload && sc start "$unit" || return 1
    refreshed() { http "$url/__admin/stats" | grep -q '"successful_refreshes" *: *[1-9]'; }
    um_wait 100 refreshed || { echo "no refresh reached the stand-in"; jn -u "$unit" | tail -5; return 1; }
    um_wait 30 sh -c "! grep -q '$seeded' '$UM_HOME/.qwen/oauth_creds.json'" || { echo "oauth_creds.json still has the old refresh token"; return 1; }
    um_wait 30 journal_has -u "$unit" QWEN_EVENT=refresh || { echo "no QWEN_EVENT=refresh entry"; return 1; }
    # The request ran in a child (qwen-syncd --http-exchange): the daemon never maps libcurl.
    if grep -q libcurl "/proc/$(main_pid)/maps"; then echo "the daemon mapped libcurl"; return 1; fi
}
mkdir -p "$dropins" && chown "$UM_UID:$UM_GID" "$dropins"
if [ -x "$standin" ] && command -v python3 >/dev/null 2>&1; then
    "$standin" --port 0 >"$workdir/standin.out" 2>"$workdir/standin.err" &
    standin_pid=$!
    check "a refresh from inside the sandbox reaches the OAuth server (from a child process: libcurl never in the daemon) and rewrites oauth_creds.json" refreshes_in_sandbox
    kill "$standin_pid"; wait "$standin_pid" 2>/dev/null
    rm -f "$dropins/oauth.conf"
    sc daemon-reload && sc restart "$unit"
else
    echo "skipped: a refresh from inside the sandbox ($standin or python3 missing)"
fi

no_secrets() {
    if jn -o export | grep -a -q -e "$secret_refresh" -e "$secret_access" -e "SECRET"; then echo "a token is in the journal"; return 1; fi
}
check "no token in the journal" no_secrets

# MARK: one control socket per qwen directory
other_dir() {
    local other=$UM_HOME/other pid ok=0
    um_as_user mkdir -m 0700 "$other"
    um_spawn_as_user "$qs_bin" daemon --qwen-dir "$other" >"$workdir/other.log" 2>&1
    pid=$UM_SPAWNED_PID
    if ! um_wait 50 qs status --qwen-dir "$other"; then
        echo "the daemon for $other does not answer"; cat "$workdir/other.log"; ok=1
    fi
    qs status --json | grep -q "\"qwen_dir\" *: *\"$UM_HOME/.qwen\"" || { echo "the service no longer answers for ~/.qwen"; ok=1; }
    qs status --qwen-dir "$other" --json | grep -q "\"qwen_dir\" *: *\"$other\"" || { echo "status --qwen-dir $other got another dir's daemon"; ok=1; }
    kill -TERM "$pid"; wait "$pid"
    qs status >/dev/null || { echo "the service is unreachable after the other daemon stopped"; ok=1; }
    return $ok
}
check "a daemon for another qwen dir gets its own socket; the service stays reachable when it stops" other_dir
wrong_dir() {
    local code=0
    qs status --socket "$runtime/control.sock" --qwen-dir "$UM_HOME/other" >"$workdir/wrong.out" 2>&1 || code=$?
    expect_eq "exit code of status asked about ~/other at the service's socket" "$code" 3 || { cat "$workdir/wrong.out"; return 1; }
    grep -q "$UM_HOME/.qwen" "$workdir/wrong.out" || { echo "the message does not name the dir the daemon serves"; cat "$workdir/wrong.out"; return 1; }
}
check "status asked about another dir than the daemon serves: says so, exit 3" wrong_dir

# MARK: stop
stops_cleanly() {
    sc stop "$unit" || return 1
    expect_eq Result "$(prop "$unit" Result)" success || return 1
    expect_eq ExecMainStatus "$(prop "$unit" ExecMainStatus)" 0 || return 1
    [ ! -e "$runtime/control.sock" ] || { echo "the socket was left behind"; return 1; }
    um_wait 30 journal_has -u "$unit" QWEN_EVENT=stop || { echo "no QWEN_EVENT=stop entry"; return 1; }
}
check "systemctl --user stop: exit 0, socket removed, QWEN_EVENT=stop logged" stops_cleanly

# MARK: socket activation
socket_activates() {
    sc enable --now qwen-sync.socket || return 1
    expect_eq "service before the first client" "$(prop "$unit" ActiveState)" inactive || return 1
    qs status >/dev/null || { echo "status through the socket unit exited $?"; return 1; }
    active_running
}
check "socket activation: the first client starts the service" socket_activates
socket_disabled_while_running() {
    sc disable --now qwen-sync.socket || return 1
    expect_eq "socket unit" "$(prop qwen-sync.socket ActiveState)" inactive || return 1
    active_running || return 1
    qs status >/dev/null || { echo "the running daemon became unreachable (exit $?)"; return 1; }
}
check "systemctl --user disable --now qwen-sync.socket while the service runs: still reachable" socket_disabled_while_running

# MARK: crash
restarts_after_crash() {
    local pid restarts
    pid=$(main_pid); restarts=$(prop "$unit" NRestarts)
    kill -KILL "$pid"
    um_wait 150 restarted_from "$pid" || { echo "not restarted within 15 s"; sc status --no-pager "$unit"; return 1; }
    expect_eq NRestarts "$(prop "$unit" NRestarts)" $((restarts + 1)) || return 1
    # The socket unit's file is still there; nobody answers on it, so the daemon replaces it.
    um_wait 30 qs status || { echo "the restarted daemon does not answer"; return 1; }
}
check "kill -9: restarted (Restart=on-failure) and answering" restarts_after_crash

# MARK: watchdog
watchdog() {
    local pid first restarts
    um_as_user mkdir -p "$dropins"
    um_as_user sh -c "printf '[Service]\nWatchdogSec=2s\nTimeoutStopSec=2s\nRestartSec=1s\n' > $dropins/watchdog.conf"
    sc daemon-reload && sc restart "$unit" || return 1
    pid=$(main_pid); restarts=$(prop "$unit" NRestarts)
    first=$(prop "$unit" WatchdogTimestampMonotonic)
    sleep 3
    expect_eq "MainPID 3 s into a 2 s watchdog" "$(main_pid)" "$pid" || return 1
    [ "$(prop "$unit" WatchdogTimestampMonotonic)" -gt "$first" ] || { echo "no WATCHDOG=1 ping in 3 s"; return 1; }
    kill -STOP "$pid"
    um_wait 150 restarted_from "$pid" || { echo "a stopped daemon was not restarted within 15 s"; sc status --no-pager "$unit"; return 1; }
    expect_eq NRestarts "$(prop "$unit" NRestarts)" $((restarts + 1)) || return 1
    journal_has -u "$unit" -g "Watchdog timeout" || { echo "the manager did not log a watchdog timeout"; jn -u "$unit" | tail; return 1; }
}
check "watchdog: pings keep it alive; a SIGSTOPped daemon is killed and restarted" watchdog
rm -f "$dropins/watchdog.conf"

# MARK: the documented fallback for kernels without user namespaces
fallback_dropin() {
    install -o "$UM_UID" -g "$UM_GID" -m 0644 "$repo/contrib/without-user-namespaces.conf" "$dropins/"
    sc daemon-reload && sc restart "$unit" || { sc status --no-pager "$unit"; return 1; }
    active_running || return 1
    qs status >/dev/null || return 1
    grep -q "NoNewPrivs:	1" "/proc/$(main_pid)/status" || { echo "NoNewPrivileges= lost"; return 1; }
}
check "contrib/without-user-namespaces.conf drop-in starts (no 218/CAPABILITIES)" fallback_dropin
rm -f "$dropins/without-user-namespaces.conf"
sc daemon-reload

# MARK: serve, socket-activated (zero cost when unused)
serve_unit=qwen-sync-serve.service
serve_dropins=$UM_HOME/.config/systemd/user/$serve_unit.d
serve_idle() { [ "$(prop "$serve_unit" ActiveState)" = inactive ] && [ "$(prop "$serve_unit" MainPID)" = 0 ]; }
serve_healthz() { um_as_user curl -sS --max-time 20 --unix-socket "$runtime/serve.sock" http://localhost/healthz; }
# Seconds curl took for /healthz through the Unix socket (for the log: activation's cost).
serve_seconds() { um_as_user curl -s -o /dev/null -w '%{time_total}' --max-time 20 --unix-socket "$runtime/serve.sock" http://localhost/healthz; }
serve_socket_activates() {
    local answer cold key models denied
    # A short quiet period, so the test sees the exit (the shipped unit says 300 s).
    um_as_user mkdir -p "$serve_dropins"
    um_as_user sh -c "printf '[Service]\nEnvironment=QWEN_SYNC_SERVE_IDLE_EXIT=2\n' > $serve_dropins/quiet.conf"
    sc daemon-reload && sc enable --now qwen-sync-serve.socket || return 1
    expect_eq "qwen-sync-serve.socket" "$(prop qwen-sync-serve.socket ActiveState)" active || return 1
    serve_idle || { echo "a serve process runs before the first request ($(prop "$serve_unit" ActiveState))"; return 1; }
    expect_eq "serve.sock mode" "$(stat -c '%a %U' "$runtime/serve.sock")" "600 $UM_USER" || return 1
    cold=$(serve_seconds) || { echo "no answer through the Unix socket"; sc status --no-pager "$serve_unit"; jn -u "$serve_unit" | tail; return 1; }
    expect_eq "serve after the first request" "$(prop "$serve_unit" ActiveState)" active || return 1
    answer=$(serve_healthz) || return 1
    expect_contains "/healthz through the socket" "$answer" '"ok"' || return 1
    echo "# serve: first request (starts the endpoint) ${cold} s, the next $(serve_seconds) s" >"$workdir/serve-timing"
    # The TCP socket systemd passed answers with the key only (the key file was made on start).
    key=$(cat "$UM_HOME/.qwen/qwen-sync-serve.key")
    models=$(um_as_user curl -sS --max-time 20 -H "Authorization: Bearer $key" http://127.0.0.1:8741/v1/models) || return 1
    expect_contains "/v1/models over TCP" "$models" coder-model || return 1
    denied=$(um_as_user curl -s -o /dev/null -w '%{http_code}' --max-time 20 http://127.0.0.1:8741/v1/models)
    expect_eq "TCP without the key" "$denied" 401 || return 1
    um_wait 200 serve_idle || { echo "still $(prop "$serve_unit" ActiveState) 20 s after the last request"; return 1; }
    expect_eq "Result after the quiet period" "$(prop "$serve_unit" Result)" success || return 1
    expect_eq "socket unit after the quiet period" "$(prop qwen-sync-serve.socket ActiveState)" active || return 1
    [ -S "$runtime/serve.sock" ] || { echo "the socket file is gone after the quiet period"; return 1; }
    answer=$(serve_healthz) || { echo "the second request was not answered"; return 1; }
    expect_contains "/healthz after the quiet period" "$answer" '"ok"'
}
check "serve: qwen-sync-serve.socket listens, no process until the first request, it answers, exits after the quiet period, starts again" \
    serve_socket_activates
cat "$workdir/serve-timing" 2>/dev/null
serve_counts() {
    um_wait 100 serve_idle || return 1
    qs status --json >"$workdir/serve-status.json"
    python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["serve"]; assert s["requests"] == 1 and s["running"] is False and s["last_request_at"], s' \
        "$workdir/serve-status.json"
}
check "serve: status shows the counts of the last endpoint process (one request) after it exited" serve_counts
sc disable --now qwen-sync-serve.socket >/dev/null 2>&1
rm -rf "$serve_dropins"
sc daemon-reload

final_stop() { sc stop "$unit" && expect_eq Result "$(prop "$unit" Result)" success; }
check "final stop" final_stop

checks_summary "systemd-user ($mode)"
