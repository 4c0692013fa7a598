import CQwenLinux
import Glibc

/// What a process holding refresh tokens does first, as ssh-agent and gpg-agent do: a crash
/// must not write its memory (every token it read) into a core file, and other processes of
/// the same user must not read that memory through `ptrace` or `/proc/<pid>/mem`.
public enum ProcessHardening {
    /// Sets `RLIMIT_CORE` to 0 (inherited by children and kept across `execve`) and clears
    /// the dumpable flag (`PR_SET_DUMPABLE` 0, reset by `execve`, so every executable calls
    /// this itself). Failures are ignored: neither call can fail for an unprivileged process
    /// lowering its own limits.
    public static func forbidCoreDumps() {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
        _ = CQwenLinux_setDumpable(0)
    }
}
