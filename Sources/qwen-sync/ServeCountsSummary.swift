import Glibc
import QwenSyncCore

/// The endpoint's counts for `status`: the one small file `qwen-sync-serve` writes
/// (`serve-counts.json` beside the control socket), read as it is, so neither the HTTP stack
/// nor the daemon is on the `status` path.
struct ServeCountsSummary {
    /// The file's document with `running` added (whether its process still exists).
    let document: JSONObject

    /// The counts, `nil` when the endpoint never ran (no file) or the file is not a JSON object.
    static func read(_ settings: Settings) -> ServeCountsSummary? {
        guard let contents = try? SecureFile.read(ServeLocation.countsPath(settings: settings), limit: 64 << 10),
            var document = (try? JSON.parse(contents.bytes))?.objectValue
        else { return nil }
        let pid = document["pid"]?.int64Value.map { pid_t(truncatingIfNeeded: $0) }
        document["running"] = .bool(pid.map { $0 > 0 && (kill($0, 0) == 0 || errno == EPERM) } ?? false)
        return ServeCountsSummary(document: document)
    }

    /// The `serve` member of `status --json`: the document, or `null` when there is none.
    static func json(_ summary: ServeCountsSummary?) -> JSONValue {
        summary.map { .object($0.document) } ?? .null
    }

    /// One line for people: `serve: running, pid 4242, 12 requests (1 error), 0 fallbacks, …`.
    var line: String {
        func number(_ key: String) -> Int64 { document[key]?.int64Value ?? 0 }
        let errors = (document["errors"]?.objectValue).map { $0.reduce(0) { $0 + ($1.value.int64Value ?? 0) } } ?? 0
        let running = document["running"]?.boolValue == true
        let state = running ? "running, pid \(number("pid"))" : "not running"
        let last = document["last_request_at"]?.stringValue.map { "last request \($0)" } ?? "no request yet"
        return "serve: \(state), \(number("requests")) requests (\(errors) errors), \(number("fallbacks")) CLI fallbacks, "
            + "\(number("retries")) retries, \(number("accounts_switched")) account switches; \(last)"
    }
}
