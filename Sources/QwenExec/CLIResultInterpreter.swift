import QwenProcess
import QwenSyncCore

/// Reads the outcome of a `qwen -o json` run: its JSON array, exit status and standard error.
///
/// The answer is the `result` of the last element with `"type": "result"` (`docs/INTEROP.md`, "The qwen CLI in headless mode").
/// Failures are classified, in order: device login started (auth), timeout, output too large,
/// killed by a signal, exit 53 (the model wanted tools), a quota error (`docs/INTEROP.md`, "Quota errors", in the
/// result's error or on standard error), exit 41 or an auth error, `is_error`, a non-zero exit,
/// and output that is not the expected JSON.
public enum CLIResultInterpreter {
    /// The text that shows the CLI fell into its interactive device login.
    public static let deviceLoginMarker = "Qwen OAuth Device Authorization"

    /// Classifies a finished run.
    ///
    /// - Parameters:
    ///   - outcome: what the child process left behind.
    ///   - timeout: the timeout used, for the message.
    public static func interpret(_ outcome: ChildProcessOutcome, timeout: Duration) -> CLIOutcome {
        switch outcome.interruption {
        case .stopMarkerSeen?:
            return .failed(authFailure("the qwen CLI started an interactive device login: the active account's credentials are unusable"))
        case .timedOut?:
            return .failed(.cliFailed("cli_timeout", "the qwen CLI did not finish within \(format(timeout)) s and was stopped"))
        case .outputLimitExceeded?:
            return .failed(.cliFailed("cli_output_too_large", "the qwen CLI wrote more than \(outcome.standardOutput.count) bytes and was stopped"))
        case nil:
            break
        }
        let status: Int32
        switch outcome.termination {
        case .signaled(let signal):
            return .failed(.cliFailed("cli_failed", "the qwen CLI was killed by signal \(signal)"))
        case .exited(let code):
            status = code
        }
        let errorText = String(decoding: outcome.standardError, as: UTF8.self)
        let result = resultElement(outcome.standardOutput)
        let resultError =
            result?["error"]?.objectValue?["message"]?.stringValue
            ?? result?["error"]?.stringValue

        if status == 53 {
            return .failed(
                .cliFailed(
                    "model_wanted_tools",
                    "the model wanted to use tools, which the text-only runner denies (qwen exit 53)"
                ))
        }
        for text in [resultError, errorText].compactMap({ $0 }) where QuotaErrorDetector.isQuotaError(text) {
            return .quotaExceeded(summary(text))
        }
        if status == 41 || AuthErrorDetector.isAuthError(resultError ?? "") {
            return .failed(authFailure("the qwen CLI could not authenticate (qwen exit \(status)): \(summary(resultError ?? lastLine(errorText)))"))
        }
        if let result, result["is_error"]?.boolValue == true {
            return .failed(.cliFailed("cli_failed", "the qwen CLI reported an error (exit \(status)): \(summary(resultError ?? "no message"))"))
        }
        guard status == 0 else {
            return .failed(.cliFailed("cli_failed", "the qwen CLI exited with status \(status): \(summary(lastLine(errorText)))"))
        }
        guard let result, let text = result["result"]?.stringValue else {
            return .failed(.cliFailed("invalid_cli_output", "the qwen CLI's output is not a JSON array with a result element"))
        }
        let usage = result["usage"]?.objectValue.flatMap(TokenUsage.init(cliUsage:))
        return .answered(CLIAnswer(text: text, usage: usage))
    }

    /// The last `{"type": "result"}` element of the output array, if the output is one.
    static func resultElement(_ bytes: [UInt8]) -> JSONObject? {
        guard let elements = (try? JSON.parse(bytes))?.arrayValue else { return nil }
        return elements.last { $0.objectValue?["type"]?.stringValue == "result" }?.objectValue
    }

    private static func authFailure(_ message: String) -> ExecFailure {
        .cliFailed("auth_failed", message, type: "authentication_error")
    }

    /// A message shortened to one line of at most 300 characters.
    private static func summary(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }

    /// The last non-empty line of `text`.
    private static func lastLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).last.map(String.init) ?? "no message"
    }

    private static func format(_ timeout: Duration) -> String {
        let milliseconds = timeout.inMilliseconds
        return milliseconds % 1000 == 0 ? String(milliseconds / 1000) : String(Double(milliseconds) / 1000)
    }
}

/// Recognises authentication failures in the CLI's error text.
enum AuthErrorDetector {
    /// Phrases of qwen-code's auth errors and HTTP 401 answers, lower-cased.
    static let phrases = [
        "api error: 401", "status 401", "http 401", "unauthorized", "invalid access token", "failed to authenticate", "authentication", "invalid_token",
    ]

    /// Whether `text` reports that the credentials were refused.
    static func isAuthError(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return phrases.contains { lowered.contains($0) }
    }
}

/// Recognises quota errors in the CLI's error text (`docs/INTEROP.md`, "Quota errors").
public enum QuotaErrorDetector {
    /// The phrases that mark a quota error, lower-cased.
    static let phrases = [
        "insufficient_quota",
        "quota_exceeded",
        "quota exceeded",
        "free allocated quota exceeded",
        "exceeded your current quota",
    ]

    /// Whether `text` reports an exhausted quota (not a mere rate limit).
    public static func isQuotaError(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return phrases.contains { lowered.contains($0) }
    }
}
