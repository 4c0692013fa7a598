/// The command line and environment of one headless `qwen` run (see `docs/INTEROP.md`,
/// "The qwen CLI in headless mode").
///
/// `--auth-type qwen-oauth` uses the active account in `oauth_creds.json`; `-o json` makes the
/// CLI print one JSON array; `--max-session-turns 1` with `--approval-mode default` lets the
/// model answer once and denies shell, edit and write tools in a headless run (a model that
/// still wants a tool ends with exit 53); `--chat-recording=false` keeps the conversation off
/// disk.
///
/// No request text is ever an argument, because every local user can read a process's argv
/// (`ps`, `/proc/PID/cmdline`). The conversation goes to standard input; system messages go
/// into a 0600 file in the run's private scratch directory, named by the CLI's
/// `QWEN_SYSTEM_MD` environment variable (the environment of a process is readable by its
/// owner only). Like `--system-prompt`, that file *replaces* qwen-code's default prompt: an
/// OpenAI caller's system message is meant to be *the* instructions, and qwen-code's default
/// prompt describes an agent that edits files and runs tools, which this text-only run denies
/// (it would only steer the model into exit 53). Without system messages the CLI keeps its own.
public struct CLIInvocation: Sendable, Equatable {
    /// The model used when neither `--model` nor the request names one.
    public static let defaultModel = "coder-model"

    /// The CLI's environment variable naming a file whose text replaces its system prompt.
    public static let systemPromptFileVariable = "QWEN_SYSTEM_MD"

    /// The model passed to `--model`.
    public var model: String

    /// Creates an invocation.
    public init(model: String) {
        self.model = model
    }

    /// The arguments after the executable.
    public var arguments: [String] {
        [
            "--auth-type", "qwen-oauth",
            "--model", model,
            "-o", "json",
            "--max-session-turns", "1",
            "--approval-mode", "default",
            "--chat-recording=false",
        ]
    }

    /// The project settings written to `<working dir>/.qwen/settings.json`: qwen-code ≥ 0.14.5
    /// refuses `qwen-oauth` in headless mode unless `security.auth.useExternal` is true.
    public static let projectSettings = #"{"security":{"auth":{"useExternal":true}}}"#
}
