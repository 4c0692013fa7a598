import QwenControl
import QwenSyncCore

/// Does a daemon answer on the control socket, and does it serve this qwen directory?
enum DaemonCheck {
    /// The finding, and whether a daemon answered at all (the unit check uses it).
    static func run(_ context: DoctorContext) -> (finding: DoctorFinding, answers: Bool) {
        let socket = context.settings.socketPath
        let directory = context.settings.qwenDirectory
        let reply: JSONValue
        do {
            reply = try ControlClient.request(.status, at: socket, timeout: .seconds(2))
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
        let status: DaemonStatus
        do { status = try DaemonStatus(json: reply) } catch {
            let message = ControlReply.errorMessage(of: reply).map { "answers with an error: \($0)" } ?? "answers, but \(error.description)"
            return (
                DoctorFinding(
                    "daemon", .fail, "the daemon at \(socket) \(message)",
                    fix: "see `qwen-sync logs --event error`, then restart the daemon"), true
            )
        }
        guard status.qwenDirectory == directory else {
            return (
                DoctorFinding(
                    "daemon", .fail,
                    "the daemon at \(socket) serves \(status.qwenDirectory), not \(directory)",
                    fix: "run the daemon with the same --qwen-dir/QWEN_HOME as your clients, or pass --socket for the right one"
                ), true
            )
        }
        let daemon = status.daemon
        let uptime = durationText(ms: daemon.uptimeSeconds * 1000)
        if let error = status.syncError {
            return (
                DoctorFinding(
                    "daemon", .fail,
                    "the daemon (pid \(daemon.pid)) cannot write the files since \(UTCTimestamp.iso8601(ms: error.sinceMs)): \(error.message)",
                    fix: "fix what the message names (a full disk, a broken symlink, permissions); the daemon retries by itself"), true
            )
        }
        let jump =
            status.clock.map { clock in
                let what = clock.kind == "resume" ? "the machine resumed" : "the clock was set"
                return "; \(what) \(durationText(ms: WallClock.nowMs() - clock.lastJumpAtMs)) ago: \(clock.action)"
            } ?? ""
        return (
            DoctorFinding("daemon", .ok, "the daemon answers (pid \(daemon.pid), version \(daemon.version), up \(uptime)) and serves \(directory)\(jump)"),
            true
        )
    }
}
