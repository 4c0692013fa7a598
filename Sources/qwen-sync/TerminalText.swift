import Glibc
import QwenSyncCore

/// Text shown on a terminal: control characters escaped, state colours when allowed.
enum TerminalText {
    /// `text` with every control character written as an escape (`\n`, `\t`, `\u{1B}`), so a
    /// label or an argument can never move the cursor or change the terminal's state.
    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            case "\\": result += "\\\\"
            default:
                if LabelRules.isControl(scalar) {
                    result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// Whether standard output gets colour: a terminal that is not `TERM=dumb`, and `NO_COLOR`
    /// unset or empty (no-color.org).
    static let colourOnStandardOutput: Bool = {
        guard isatty(STDOUT_FILENO) == 1 else { return false }
        let environment = ProcessEnvironment.current
        return (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }()

    /// `text` in the colour of an account state (healthy green, cooldown yellow,
    /// auth_invalid red) when `colour` is on; unchanged otherwise or for another word.
    static func coloured(state text: String, colour: Bool = colourOnStandardOutput) -> String {
        guard colour else { return text }
        let code: String
        switch text.prefix(while: { $0 != " " }) {
        case AccountState.healthy.rawValue: code = "32"
        case AccountState.cooldown.rawValue: code = "33"
        case AccountState.authInvalid.rawValue: code = "31"
        default: return text
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}
