import QwenSyncCore

/// Everything one `exec` run needs besides the request and the accounts.
public struct ExecConfiguration: Sendable {
    /// The qwen directory; the CLI gets it as `QWEN_HOME` so it reads the same credentials.
    public var qwenDirectory: String
    /// The environment the CLI inherits, and where `QWEN_CLI_PATH`/`PATH` are read.
    public var environment: ProcessEnvironment
    /// `--model`, which wins over the request's `model`.
    public var model: String?
    /// How long one CLI run may take.
    public var timeout: Duration
    /// The largest request accepted, in bytes.
    public var requestSizeLimit: Int
    /// The most CLI output accepted, in bytes.
    public var outputLimit: Int

    /// The default timeout, 180 s.
    public static let defaultTimeout = Duration.seconds(180)

    /// Creates a configuration.
    public init(
        qwenDirectory: String,
        environment: ProcessEnvironment,
        model: String? = nil,
        timeout: Duration = defaultTimeout,
        requestSizeLimit: Int = ChatRequestParser.defaultSizeLimit,
        outputLimit: Int = 16 << 20
    ) {
        self.qwenDirectory = qwenDirectory
        self.environment = environment
        self.model = model
        self.timeout = timeout
        self.requestSizeLimit = requestSizeLimit
        self.outputLimit = outputLimit
    }
}
