#define _GNU_SOURCE
#include "CQwenLinux.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

int CQwenLinux_peerUID(int descriptor, uid_t *uid) {
    struct ucred credentials;
    socklen_t length = sizeof(credentials);
    if (getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    *uid = credentials.uid;
    return 0;
}

int CQwenLinux_pipeCloseOnExec(int ends[2], int nonBlocking) {
    return pipe2(ends, O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0));
}

int CQwenLinux_acceptCloseOnExec(int descriptor) {
    return accept4(descriptor, NULL, NULL, SOCK_CLOEXEC);
}

int CQwenLinux_addChdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int CQwenLinux_wallClockTimer(void) {
    return timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
}

int CQwenLinux_armWallClockTimer(int descriptor, long long atMs) {
    // it_value 0 would disarm the timer: the earliest time is one nanosecond after the epoch.
    struct itimerspec value = {0};
    if (atMs > 0) {
        value.it_value.tv_sec = (time_t)(atMs / 1000);
        value.it_value.tv_nsec = (long)(atMs % 1000) * 1000000L;
    } else {
        value.it_value.tv_nsec = 1;
    }
    return timerfd_settime(descriptor, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &value, NULL);
}
