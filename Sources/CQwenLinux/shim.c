#define _GNU_SOURCE
#include "CQwenLinux.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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

int CQwenLinux_setDumpable(int dumpable) {
    return prctl(PR_SET_DUMPABLE, dumpable ? 1 : 0, 0, 0, 0);
}
