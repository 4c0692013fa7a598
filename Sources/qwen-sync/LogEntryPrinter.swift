import Glibc
import QwenSyncCore
import QwenSystemd

/// Prints journal entries for `qwen-sync logs`: one line each, a JSON array, or JSON lines.
struct LogEntryPrinter {
    /// JSON instead of text.
    let json: Bool
    /// Entries keep coming (`--follow`): JSON goes out one object per line.
    let streaming: Bool

    /// Prints the entries found at start.
    func printBatch(_ entries: [JournalEntry]) {
        if json && !streaming {
            _ = write(JSONValue.array(entries.map(Self.document)).serialized(.pretty) + "\n")
        } else {
            for entry in entries { _ = printStreamed(entry) }
        }
    }

    /// Prints one entry as it arrives; `false` once standard output is gone.
    func printStreamed(_ entry: JournalEntry) -> Bool {
        write(json ? Self.document(entry).serialized(.compact) + "\n" : Self.line(entry) + "\n")
    }

    /// `2026-12-04 23:50:01 refresh acct_x: message`, continuation lines indented, control
    /// characters shown as `\u{…}` escapes.
    static func line(_ entry: JournalEntry) -> String {
        var head = JournalTime.localText(us: entry.realtimeUs) + " " + (entry.event.map(visible) ?? "-")
        if let account = entry.account { head += " " + visible(account) }
        let message = entry.message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { visible(String($0)) }.joined(separator: "\n    ")
        return head + ": " + message
    }

    /// The JSON form: time, priority, event, account, message, pid and every other `QWEN_*` field.
    static func document(_ entry: JournalEntry) -> JSONValue {
        let extra = entry.fields.filter { $0.key.hasPrefix("QWEN_") && $0.key != "QWEN_EVENT" && $0.key != "QWEN_ACCOUNT" }
        return .object(
            JSONObject([
                ("time", .string(JournalTime.iso8601(us: entry.realtimeUs))),
                ("realtime_us", .int(Int64(entry.realtimeUs))),
                ("priority", entry.priority.map { .int(Int64($0)) } ?? .null),
                ("event", .optionalString(entry.event)),
                ("account", .optionalString(entry.account)),
                ("message", .string(entry.message)),
                ("pid", entry.pid.map { .int(Int64($0)) } ?? .null),
                ("fields", .object(JSONObject(extra.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))),
            ]))
    }

    /// `text` with control characters other than tab escaped, so a terminal shows them safely.
    static func visible(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Writes all of `text` to standard output; `false` when the reader is gone.
    private func write(_ text: String) -> Bool {
        DescriptorOutput.writeAll(text, to: STDOUT_FILENO)
    }
}
