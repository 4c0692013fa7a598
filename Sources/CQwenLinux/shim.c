#define _GNU_SOURCE
#include "CQwenLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/prctl.h>
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

int CQwenLinux_openRouteMonitor(void) {
    int descriptor = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (descriptor < 0) return -1;
    struct sockaddr_nl address;
    memset(&address, 0, sizeof(address));
    address.nl_family = AF_NETLINK;
    address.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
    if (bind(descriptor, (struct sockaddr *)&address, sizeof(address)) != 0) {
        int saved = errno;
        close(descriptor);
        errno = saved;
        return -1;
    }
    return descriptor;
}

int CQwenLinux_routeMessagesAnnounceReturn(const void *buffer, size_t length) {
    int remaining = (int)length;
    for (const struct nlmsghdr *message = buffer; NLMSG_OK(message, remaining); message = NLMSG_NEXT(message, remaining)) {
        if (message->nlmsg_type == RTM_NEWADDR || message->nlmsg_type == RTM_NEWROUTE) return 1;
    }
    return 0;
}

int CQwenLinux_dieWithParent(int signal, pid_t parent) {
    if (prctl(PR_SET_PDEATHSIG, signal) != 0) return -1;
    return getppid() == parent ? 0 : 1;
}

int CQwenLinux_setDumpable(int dumpable) {
    return prctl(PR_SET_DUMPABLE, dumpable ? 1 : 0, 0, 0, 0);
}
