// Linux (glibc) definitions that Swift's Glibc module does not import, because it is built
// without _GNU_SOURCE: struct ucred / SO_PEERCRED, pipe2, accept4, posix_spawn_file_actions_addchdir_np.
// Each is wrapped in a function compiled with _GNU_SOURCE (shim.c), so no Swift code has to
// re-declare a C struct's layout or look a symbol up at run time.
//
// This header itself must not define _GNU_SOURCE: the system headers it includes would then
// declare types (fd_set, ...) differently from Swift's Glibc module, and the two clash.
#ifndef C_QWEN_LINUX_H
#define C_QWEN_LINUX_H

#include <spawn.h>
#include <stddef.h>
#include <sys/types.h>

/// The uid of the process at the other end of a connected AF_UNIX socket (SO_PEERCRED).
/// Returns 0 and sets *uid, or -1 with errno set.
int CQwenLinux_peerUID(int descriptor, uid_t *uid);

/// pipe2(2) with O_CLOEXEC, plus O_NONBLOCK when nonBlocking is not 0: both flags are set
/// atomically, so a process spawned by another thread meanwhile never inherits the ends.
/// Returns 0, or -1 with errno set.
int CQwenLinux_pipeCloseOnExec(int ends[2], int nonBlocking);

/// accept4(2) with SOCK_CLOEXEC: the connection is never inherited by a child that another
/// thread spawns meanwhile. Returns the new descriptor, or -1 with errno set.
int CQwenLinux_acceptCloseOnExec(int descriptor);

/// prctl(PR_SET_DUMPABLE): 0 forbids core dumps and ptrace/`/proc` access by other
/// processes of the same user (reset to 1 by execve). Returns 0, or -1 with errno set.
int CQwenLinux_setDumpable(int dumpable);

/// posix_spawn_file_actions_addchdir_np (glibc 2.29 and later): the child starts in `path`.
/// Returns 0 or an error number.
int CQwenLinux_addChdir(posix_spawn_file_actions_t *actions, const char *path);

/// A timerfd on CLOCK_REALTIME (close-on-exec, non-blocking), for deadlines that follow the
/// wall clock. Returns the descriptor, or -1 with errno set.
int CQwenLinux_wallClockTimer(void);

/// Arms `descriptor` (from CQwenLinux_wallClockTimer) to expire at `atMs` milliseconds since
/// the epoch, with TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET: a read then fails with
/// ECANCELED when the clock is set (a step) or the machine resumed. An `atMs` at or before
/// now expires at once. Returns 0, or -1 with errno set.
int CQwenLinux_armWallClockTimer(int descriptor, long long atMs);

/// An AF_NETLINK / NETLINK_ROUTE socket (non-blocking, close-on-exec) subscribed to the
/// kernel's IPv4/IPv6 address and route groups: it becomes readable when an address or a
/// route appears or goes. Returns the descriptor, or -1 with errno set.
int CQwenLinux_openRouteMonitor(void);

/// Whether the rtnetlink messages in `buffer` (one datagram of `length` bytes) announce a new
/// address or a new route (RTM_NEWADDR, RTM_NEWROUTE): the network may have come back.
int CQwenLinux_routeMessagesAnnounceReturn(const void *buffer, size_t length);

/// prctl(PR_SET_PDEATHSIG, signal): the calling process gets `signal` when its parent exits.
/// Returns 0 when set and the parent is still `parent` (else it died before: 1), or -1 with
/// errno set.
int CQwenLinux_dieWithParent(int signal, pid_t parent);

#endif
