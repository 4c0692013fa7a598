import QwenSyncCore

/// A lock-holding peer written in Python, as the plugin and qwen-code hold their locks.
///
/// It creates the lock with `O_EXCL` in the plugin's `<pid>-<ms>-<hex>` form, prints `HELD`,
/// holds it without touching it (for a given time, or until ``release(_:)``), deletes it and
/// prints `RELEASED <ms>`, the CLOCK_MONOTONIC milliseconds right after the unlink (the clock
/// `WallClock.monotonicMs` reads).
public enum PythonLockHolder {
    /// The holder's script: `python3 -c script <path> <seconds> <fresh>`; a negative time holds
    /// until a line (or end of file) arrives on standard input; `fresh` `1` touches the lock
    /// every second, so that it never looks stale however long the holder is kept waiting.
    public static let script = """
        import os, select, sys, time
        path, hold, fresh = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"%d-%d-0123abcd" % (os.getpid(), time.time_ns() // 1000000))
        os.close(fd)
        print("HELD", flush=True)
        end = time.monotonic() + hold
        while True:
            wait = end - time.monotonic() if hold >= 0 else None
            if wait is not None and wait <= 0:
                break
            step = min(wait, 1.0) if fresh and wait is not None else (1.0 if fresh else wait)
            if hold < 0 and select.select([sys.stdin], [], [], step)[0]:
                sys.stdin.readline()
                break
            if hold >= 0:
                time.sleep(step)
            if fresh:
                os.utime(path)
        os.unlink(path)
        print("RELEASED %d" % (time.monotonic_ns() // 1000000), flush=True)
        """

    /// Starts a holder of the lock at `path` and waits until it holds it.
    ///
    /// Read its `RELEASED <ms>` line with ``ChildProcess/readLine(timeoutMs:)``.
    /// - Parameters:
    ///   - path: the lock file to create.
    ///   - holdSeconds: how long to hold it; `nil` holds it until ``release(_:)``, so that a
    ///     test decides when the lock goes by what it has seen, not by how fast it ran.
    ///   - keepFresh: touch the lock every second, as a live holder that must never be taken
    ///     for a dead one (a starved test may release it long after the peers' stale age).
    /// - Throws: ``TestSupportError`` when python3 cannot start or does not take the lock
    ///   within 30 s.
    public static func start(path: String, holdSeconds: Double? = nil, keepFresh: Bool = false) async throws -> ChildProcess {
        let holder = try ChildProcess(
            "/usr/bin/env", ["python3", "-c", script, path, String(holdSeconds ?? -1), keepFresh ? "1" : "0"], stdout: nil, stdinPipe: true)
        guard let line = await holder.readLine(timeoutMs: 30_000), line == "HELD" else {
            throw TestSupportError("the python lock holder did not take \(path) (exit \(holder.terminate()))")
        }
        return holder
    }

    /// Tells a holder started without a hold time to delete its lock now. Safe to call from
    /// any thread, e.g. from a lock-wait observer; does nothing once the holder has exited (it
    /// exits only after this call or a signal, so its pipe is still open).
    public static func release(_ holder: ChildProcess) {
        guard holder.isRunning, let input = holder.stdinWriter else { return }
        _ = DescriptorOutput.writeAll("\n", to: input)
    }
}
