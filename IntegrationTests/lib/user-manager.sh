# A real `systemd --user` manager and a real `systemd-journald`, on a machine whose PID 1 is
# not systemd (a CI container or VM). Sourced by the IntegrationTests scripts; needs bash.
#
# What it sets up, as root, inside a private mount namespace (the caller runs under
# `unshare -m --propagation private`, see `um_enter_namespace`):
#   - a fresh tmpfs /run with /run/systemd/system (so tools see a systemd system) and
#     /run/systemd/unit-root (systemd builds a service's mount namespace there and cannot
#     create it itself as an unprivileged user);
#   - a tmpfs /var/log/journal and a real systemd-journald, flushed to it, so user journals
#     are split out (user-UID.journal) as on a normal persistent-journal system;
#   - a fresh test user (UM_USER, default qsync-it; removed again at the end), /run/user/UID
#     (0700), and its user@UID.service cgroup created and
#     delegated (chowned) in every hierarchy systemd uses: unified (cgroup v2), hybrid
#     (v2 at /sys/fs/cgroup/unified plus name=systemd) or legacy (name=systemd);
#   - `systemd --user` started as that user with the environment pam_systemd would give it.
# `um_stop` undoes all of it; callers run it on exit (`trap um_stop EXIT`).

UM_USER=${UM_USER:-qsync-it}
UM_STARTED_USER=no
UM_JOURNALD_PID=
UM_MANAGER_PID=
UM_CGROUP_ROOTS=
UM_SPAWNED=

um_say() { printf '%s\n' "$*"; }

# Prints "skipped: <why>" and exits 0: the machine cannot run this, which is not a pass.
um_skip() { printf 'skipped: %s\n' "$*"; exit 0; }

# Re-runs the calling script in a private mount namespace (once).
um_enter_namespace() {
    [ "${UM_IN_NAMESPACE:-}" = 1 ] && return 0
    exec env UM_IN_NAMESPACE=1 unshare --mount --propagation private -- bash "$@"
}

# Skips (exit 0, saying why) when this machine cannot host the private user manager.
um_require() {
    [ "$(id -u)" = 0 ] || um_skip "needs root (creates a user, mounts /run, delegates a cgroup)"
    local tool
    for tool in unshare setpriv useradd mountpoint journalctl systemctl; do
        command -v "$tool" >/dev/null 2>&1 || um_skip "$tool is not installed"
    done
    [ -x /lib/systemd/systemd ] || um_skip "/lib/systemd/systemd is not installed (apt-get install systemd)"
    [ -x /lib/systemd/systemd-journald ] || um_skip "/lib/systemd/systemd-journald is not installed"
    [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ] \
        || um_skip "systemd is PID 1 here: use the real user manager (systemctl --user) instead of this harness"
    if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
        UM_CGROUP_ROOTS=/sys/fs/cgroup
    elif mountpoint -q /sys/fs/cgroup/unified && mountpoint -q /sys/fs/cgroup/systemd; then
        UM_CGROUP_ROOTS="/sys/fs/cgroup/unified /sys/fs/cgroup/systemd"
    elif mountpoint -q /sys/fs/cgroup/systemd; then
        UM_CGROUP_ROOTS=/sys/fs/cgroup/systemd
    else
        um_skip "no cgroup hierarchy systemd can use (neither cgroup2 nor name=systemd under /sys/fs/cgroup)"
    fi
    local root
    for root in $UM_CGROUP_ROOTS; do
        [ -w "$root" ] || um_skip "$root is read-only here; cannot delegate a cgroup to the test user"
    done
    [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] \
        || um_skip "user namespaces are disabled (user.max_user_namespaces=0); the unit needs PrivateUsers=yes"
}

# Runs a command as the test user, with the session environment of a login.
um_as_user() { (um_exec_as_user "$@"); }

# Starts a command as the test user in the background; its pid is in UM_SPAWNED_PID and it
# is killed by `um_stop` if still running.
um_spawn_as_user() {
    um_exec_as_user "$@" &
    UM_SPAWNED_PID=$!
    UM_SPAWNED="$UM_SPAWNED $UM_SPAWNED_PID"
}

# Replaces the current (sub)shell with the command, run as the test user.
um_exec_as_user() {
    exec setpriv --reuid="$UM_UID" --regid="$UM_GID" --init-groups \
        env -i HOME="$UM_HOME" USER="$UM_USER" LOGNAME="$UM_USER" SHELL=/bin/sh \
        PATH=/usr/local/bin:/usr/bin:/bin \
        XDG_RUNTIME_DIR="/run/user/$UM_UID" \
        DBUS_SESSION_BUS_ADDRESS="unix:path=/run/user/$UM_UID/bus" \
        "$@"
}

# Waits up to $1 tenths of a second for the command that follows to succeed.
um_wait() {
    local tenths=$1; shift
    while [ "$tenths" -gt 0 ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
        tenths=$((tenths - 1))
    done
    "$@" >/dev/null 2>&1
}

# Sets everything up (the caller traps EXIT to `um_stop`). $1: a file for the manager's own output.
um_start() {
    local manager_log=$1
    trap um_stop EXIT
    # A fresh user every run: one left by an interrupted run goes first, with its home.
    if id "$UM_USER" >/dev/null 2>&1; then
        userdel --remove "$UM_USER" 2>&1 | grep -v "mail spool" >&2
    fi
    useradd --create-home --shell /bin/sh "$UM_USER" || return 1
    UM_STARTED_USER=yes
    UM_UID=$(id -u "$UM_USER")
    UM_GID=$(id -g "$UM_USER")
    UM_HOME=$(getent passwd "$UM_USER" | cut -d: -f6)

    mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
    mkdir -p /run/systemd/system /run/systemd/unit-root /run/systemd/journal /run/user
    install -d -o "$UM_UID" -g "$UM_GID" -m 0700 "/run/user/$UM_UID"
    mkdir -p /var/log/journal
    local journal_gid
    journal_gid=$(getent group systemd-journal | cut -d: -f3)
    mount -t tmpfs -o mode=2755,gid="${journal_gid:-0}" tmpfs /var/log/journal

    /lib/systemd/systemd-journald >"$manager_log.journald" 2>&1 &
    UM_JOURNALD_PID=$!
    um_wait 50 test -S /run/systemd/journal/socket || { um_say "FAIL: systemd-journald did not start"; cat "$manager_log.journald"; return 1; }
    journalctl --flush   # write to /var/log/journal: split per user, as on a normal system

    local root cgroup="user.slice/user-$UM_UID.slice/user@$UM_UID.service"
    for root in $UM_CGROUP_ROOTS; do
        mkdir -p "$root/$cgroup"
        chown -R "$UM_UID:$UM_GID" "$root/$cgroup"
    done
    (
        for root in $UM_CGROUP_ROOTS; do echo "$BASHPID" > "$root/$cgroup/cgroup.procs"; done
        # user@.service gives the manager a journal stream, so it logs to the journal; here
        # its stderr is a file, so say where to log explicitly.
        um_exec_as_user env SYSTEMD_LOG_TARGET=journal-or-kmsg /lib/systemd/systemd --user
    ) >"$manager_log" 2>&1 &
    UM_MANAGER_PID=$!
    if ! um_wait 100 um_as_user systemctl --user is-system-running; then
        um_say "FAIL: systemd --user did not reach running: $(um_as_user systemctl --user is-system-running 2>&1)"
        cat "$manager_log"
        return 1
    fi
    um_say "user manager: systemd --user pid $UM_MANAGER_PID for $UM_USER (uid $UM_UID), journald pid $UM_JOURNALD_PID, cgroups in $UM_CGROUP_ROOTS"
}

# Stops the manager and journald, removes the cgroups and the test user (if created here).
um_stop() {
    local root pid cgroup="user.slice/user-${UM_UID:-x}.slice"
    for pid in $UM_SPAWNED; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    UM_SPAWNED=
    if [ -n "$UM_MANAGER_PID" ]; then
        kill -TERM "$UM_MANAGER_PID" 2>/dev/null
        um_wait 100 sh -c "! kill -0 $UM_MANAGER_PID" || kill -KILL "$UM_MANAGER_PID" 2>/dev/null
        wait "$UM_MANAGER_PID" 2>/dev/null
        UM_MANAGER_PID=
    fi
    for root in $UM_CGROUP_ROOTS; do
        [ -d "$root/$cgroup" ] || continue
        # Anything the manager left behind (it should have stopped it all).
        for pid in $(find "$root/$cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        sleep 0.2
        find "$root/$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
        rmdir "$root/user.slice" 2>/dev/null
    done
    if [ -n "$UM_JOURNALD_PID" ]; then
        kill -TERM "$UM_JOURNALD_PID" 2>/dev/null
        wait "$UM_JOURNALD_PID" 2>/dev/null
        UM_JOURNALD_PID=
    fi
    if [ "$UM_STARTED_USER" = yes ]; then
        userdel --remove "$UM_USER" 2>&1 | grep -v "mail spool" >&2
        UM_STARTED_USER=no
    fi
}
