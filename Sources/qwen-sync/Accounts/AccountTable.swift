import QwenSyncCore

/// Renders account summaries as an aligned text table (labels escaped, states coloured on a
/// terminal).
enum AccountTable {
    static func render(_ summaries: [AccountSummary], nowMs: Int64) -> String {
        let header = ["", "ID", "LABEL", "IDENTITY", "STATE", "TOKEN EXPIRES", "COOLDOWN ENDS"]
        let rows = summaries.map { summary in
            [
                summary.active ? "*" : "",
                summary.id,
                summary.label.map(TerminalText.escaped) ?? "-",
                summary.identity ?? "unknown",
                summary.state.rawValue,
                Duration.relative(summary.expiresAtMs - nowMs),
                summary.cooldownUntilMs.map { Duration.relative($0 - nowMs) } ?? "-",
            ]
        }
        return TextTable.render(header: header, rows: rows, stateColumn: 4)
    }
}

/// Plain-text tables with columns padded to their widest cell.
enum TextTable {
    /// The table; cells of `stateColumn` (below the header) are coloured by account state after
    /// padding, so colour never disturbs the alignment.
    static func render(header: [String], rows: [[String]], stateColumn: Int? = nil) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        // Appended in place: a generic `joined` costs `status` its first-use metadata look-ups.
        var text = ""
        for (index, row) in all.enumerated() {
            if index > 0 { text += "\n" }
            for (column, cell) in row.enumerated() {
                if column > 0 { text += "  " }
                let padded = column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
                text += index > 0 && column == stateColumn ? TerminalText.coloured(state: padded) : padded
            }
        }
        return text
    }
}

extension Duration {
    /// "in 1h 04m", "3m 05s ago", for a difference in milliseconds.
    static func relative(_ milliseconds: Int64) -> String {
        let seconds = abs(milliseconds) / 1000
        let text: String
        if seconds >= 86_400 {
            text = "\(seconds / 86_400)d \(seconds % 86_400 / 3600)h"
        } else if seconds >= 3600 {
            text = "\(seconds / 3600)h \(String(format2: seconds % 3600 / 60))m"
        } else if seconds >= 60 {
            text = "\(seconds / 60)m \(String(format2: seconds % 60))s"
        } else {
            text = "\(seconds)s"
        }
        return milliseconds >= 0 ? "in \(text)" : "\(text) ago"
    }
}

extension String {
    /// Two-digit zero padding.
    init(format2 value: Int64) { self = value < 10 ? "0\(value)" : "\(value)" }
}
