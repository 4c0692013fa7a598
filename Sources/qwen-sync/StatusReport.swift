import QwenControl
import QwenSyncCore

/// Renders the daemon's status document as text for people.
enum StatusReport {
    static func render(_ status: DaemonStatus, nowMs: Int64) -> String {
        var lines: [String] = []
        let daemon = status.daemon
        lines.append(
            "qwen-sync daemon: running, pid \(daemon.pid), version \(daemon.version), up \(Duration.relative(-daemon.uptimeSeconds * 1000).replacingSuffix(" ago"))"
        )
        lines.append("qwen dir: \(status.qwenDirectory)")
        lines.append("active account: \(status.activeAccount ?? "none")")
        let counters = status.counters
        lines.append("since start: \(counters.syncs) syncs, \(counters.refreshes) refreshes, \(counters.refreshFailures) refresh failures")
        let header = ["", "ID", "LABEL", "IDENTITY", "STATE", "TOKEN EXPIRES", "NEXT REFRESH", "LAST REFRESH"]
        let rows: [[String]] = status.accounts.map { account in
            [
                account.active ? "*" : "",
                account.id,
                account.label.map(TerminalText.escaped) ?? "-",
                account.identity ?? "unknown",
                account.state + (account.cooldownUntilMs.map { " until " + Duration.relative($0 - nowMs) } ?? ""),
                Duration.relative(account.expiresAtMs - nowMs),
                account.nextRefreshAtMs.map { Duration.relative($0 - nowMs) } ?? "-",
                account.lastRefreshAtMs.map { (account.lastRefreshResult ?? "?") + ", " + Duration.relative($0 - nowMs) } ?? "-",
            ]
        }
        if !rows.isEmpty { lines.append(""); lines.append(TextTable.render(header: header, rows: rows, stateColumn: 4)) }
        for lock in status.locks {
            guard let holder = lock.holder else { continue }
            lines.append("lock held: \(lock.path) by \(holder.pid.map { "pid \($0)" } ?? "an unknown process"), \(holder.ageMs / 1000) s old")
        }
        if let event = status.lastEvent {
            lines.append("last event: \(event.message) (\(Duration.relative(event.atMs - nowMs)))")
        }
        if let problem = status.credentialsProblem { lines.append("warning: oauth_creds.json: \(problem)") }
        if let error = status.syncError {
            lines.append("error: cannot write the files since \(Duration.relative(error.sinceMs - nowMs)): \(error.message)")
        }
        if let clock = status.clock {
            let what = clock.kind == "resume" ? "the machine resumed" : "the clock was set (\(clock.stepSeconds) s)"
            lines.append("\(what) \(Duration.relative(clock.lastJumpAtMs - nowMs)): \(clock.action)")
        }
        // Not `joined(separator:)`: its unspecialized generic code costs `status` ~0.05 ms at first use.
        return lines.dropFirst().reduce(into: lines.first ?? "") { $0 += "\n" + $1 }
    }
}

extension String {
    func replacingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
