import QwenSyncCore
import QwenSyncDaemon

/// Does a daemon answer on the control socket, and does it serve this qwen directory?
enum DaemonCheck {
    /// The finding, and whether a daemon answered at all (the unit check uses it).
    static func run(_ context: DoctorContext) -> (finding: DoctorFinding, answers: Bool) {
        let socket = context.settings.socketPath
        let directory = context.settings.qwenDirectory
        let reply: JSONValue
        do {
            reply = try ControlServer.request(["command": "status"], at: socket, timeoutMs: 2000)
        } catch {
            switch error {
            case .untrusted(let cause):
                return (
                    DoctorFinding(
                        "daemon", .fail, "the control socket \(socket) cannot be trusted: \(cause.reason)",
                        fix: "use a socket in a folder only you own (the default under $XDG_RUNTIME_DIR), or remove the foreign one"
                    ), false
                )
            case .unreachable(let cause):
                return (
                    DoctorFinding(
                        "daemon", .warn,
                        "no daemon answers at \(socket) (\(cause.reason)); tokens are refreshed only when a client needs one",
                        fix: "start it: `systemctl --user enable --now qwen-sync` (see contrib/README.md) or `qwen-sync daemon`"
                    ), false
                )
            }
        }
        let status = reply.objectValue
        if let message = status?["error"]?.stringValue {
            return (
                DoctorFinding(
                    "daemon", .fail, "the daemon at \(socket) answers with an error: \(message)",
                    fix: "see `qwen-sync logs --event error`, then restart the daemon"), true
            )
        }
        let served = status?["qwen_dir"]?.stringValue
        guard served == directory else {
            return (
                DoctorFinding(
                    "daemon", .fail,
                    "the daemon at \(socket) serves \(served ?? "an unknown directory"), not \(directory)",
                    fix: "run the daemon with the same --qwen-dir/QWEN_HOME as your clients, or pass --socket for the right one"
                ), true
            )
        }
        let daemon = status?["daemon"]?.objectValue
        let pid = daemon?["pid"]?.int64Value.map { "pid \($0)" } ?? "unknown pid"
        let version = daemon?["version"]?.stringValue.map { "version \($0)" } ?? "unknown version"
        let uptime = daemon?["uptime_s"]?.int64Value.map { ", up \(durationText(ms: $0 * 1000))" } ?? ""
        let clock = status?["clock"]?.objectValue
        let jump =
            clock.flatMap { clock in
                clock["last_jump_at_ms"]?.int64Value.map { atMs in
                    let what = clock["kind"]?.stringValue == "resume" ? "the machine resumed" : "the clock was set"
                    return "; \(what) \(durationText(ms: WallClock.nowMs() - atMs)) ago: \(clock["action"]?.stringValue ?? "?")"
                }
            } ?? ""
        return (DoctorFinding("daemon", .ok, "the daemon answers (\(pid), \(version)\(uptime)) and serves \(directory)\(jump)"), true)
    }
}
