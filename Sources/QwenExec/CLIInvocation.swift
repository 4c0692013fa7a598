/// The command line of one headless `qwen` run (INTEROP.md §7).
///
/// `--auth-type qwen-oauth` uses the active account in `oauth_creds.json`; `-o json` makes the
/// CLI print one JSON array; `--max-session-turns 1` with `--approval-mode default` lets the
/// model answer once and denies shell, edit and write tools in a headless run (a model that
/// still wants a tool ends with exit 53); `--chat-recording=false` keeps the conversation off
/// disk. The prompt itself is never an argument: it goes to standard input.
///
/// System messages use `--system-prompt` (replace) rather than `--append-system-prompt`: an
/// OpenAI caller's system message is meant to be *the* instructions, and qwen-code's default
/// prompt describes an agent that edits files and runs tools, which this text-only run denies
/// (it would only steer the model into exit 53). Without system messages the CLI keeps its own.
public struct CLIInvocation: Sendable, Equatable {
    /// The model used when neither `--model` nor the request names one.
    public static let defaultModel = "coder-model"

    /// The model passed to `--model`.
    public var model: String
    /// The text for `--system-prompt`, if any.
    public var systemPrompt: String?

    /// Creates an invocation.
    public init(model: String, systemPrompt: String?) {
        self.model = model
        self.systemPrompt = systemPrompt
    }

    /// The arguments after the executable.
    public var arguments: [String] {
        var arguments = [
            "--auth-type", "qwen-oauth",
            "--model", model,
            "-o", "json",
            "--max-session-turns", "1",
            "--approval-mode", "default",
            "--chat-recording=false",
        ]
        if let systemPrompt {
            arguments += ["--system-prompt", systemPrompt]
        }
        return arguments
    }

    /// The project settings written to `<working dir>/.qwen/settings.json`: qwen-code ≥ 0.14.5
    /// refuses `qwen-oauth` in headless mode unless `security.auth.useExternal` is true.
    public static let projectSettings = #"{"security":{"auth":{"useExternal":true}}}"#
}
