import QwenSyncCore

/// Renders the daemon's status document as text for people.
enum StatusReport {
    static func render(_ status: JSONValue, nowMs: Int64) -> String {
        guard let root = status.objectValue else { return status.serialized(.pretty) }
        var lines: [String] = []
        if let daemon = root["daemon"]?.objectValue {
            lines.append(
                "qwen-sync daemon: running, pid \(daemon["pid"]?.int64Value ?? 0), version \(daemon["version"]?.stringValue ?? "?"), up \(Duration.relative(-(daemon["uptime_s"]?.int64Value ?? 0) * 1000).replacingSuffix(" ago"))"
            )
        }
        lines.append("qwen dir: \(root["qwen_dir"]?.stringValue ?? "?")")
        lines.append("active account: \(root["active_account"]?.stringValue ?? "none")")
        if let counters = root["counters"]?.objectValue {
            lines.append(
                "since start: \(counters["syncs"]?.int64Value ?? 0) syncs, \(counters["refreshes"]?.int64Value ?? 0) refreshes, \(counters["refresh_failures"]?.int64Value ?? 0) refresh failures"
            )
        }
        let header = ["", "ID", "LABEL", "IDENTITY", "STATE", "TOKEN EXPIRES", "NEXT REFRESH", "LAST REFRESH"]
        let rows: [[String]] = (root["accounts"]?.arrayValue ?? []).compactMap { $0.objectValue }.map { account in
            let last = account["last_refresh"]?.objectValue
            return [
                account["active"]?.boolValue == true ? "*" : "",
                account["id"]?.stringValue ?? "?",
                account["label"]?.stringValue.map(TerminalText.escaped) ?? "-",
                account["identity"]?.stringValue ?? "unknown",
                (account["state"]?.stringValue ?? "?") + (account["cooldown_until_ms"]?.int64Value.map { " until " + Duration.relative($0 - nowMs) } ?? ""),
                account["expires_at_ms"]?.int64Value.map { Duration.relative($0 - nowMs) } ?? "-",
                account["next_refresh_at_ms"]?.int64Value.map { Duration.relative($0 - nowMs) } ?? "-",
                last.map { ($0["result"]?.stringValue ?? "?") + ", " + Duration.relative(($0["at_ms"]?.int64Value ?? nowMs) - nowMs) } ?? "-",
            ]
        }
        if !rows.isEmpty { lines.append(""); lines.append(TextTable.render(header: header, rows: rows, stateColumn: 4)) }
        for lock in root["locks"]?.arrayValue ?? [] where lock.objectValue?["held"]?.boolValue == true {
            let object = lock.objectValue!
            lines.append(
                "lock held: \(object["path"]?.stringValue ?? "?") by \(object["holder_pid"]?.int64Value.map { "pid \($0)" } ?? "an unknown process"), \((object["age_ms"]?.int64Value ?? 0) / 1000) s old"
            )
        }
        if let event = root["last_event"]?.objectValue {
            lines.append("last event: \(event["message"]?.stringValue ?? "") (\(Duration.relative((event["at_ms"]?.int64Value ?? nowMs) - nowMs)))")
        }
        if let clock = root["clock"]?.objectValue, let atMs = clock["last_jump_at_ms"]?.int64Value {
            let what = clock["kind"]?.stringValue == "resume" ? "the machine resumed" : "the clock was set (\(clock["step_s"]?.int64Value ?? 0) s)"
            lines.append("\(what) \(Duration.relative(atMs - nowMs)): \(clock["action"]?.stringValue ?? "?")")
        }
        if let problem = root["credentials_problem"]?.stringValue { lines.append("warning: oauth_creds.json: \(problem)") }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func replacingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
