import Logging
import QwenProcess
import QwenSyncCore

/// Answers one chat-completions request with the `qwen` CLI: validates it, makes a healthy
/// account active, runs the CLI, switches account and retries once on a quota error, and
/// encodes the answer.
///
/// Logs one `exec` event per run (`duration_ms`, `exit_class`, `account`, `attempts`) and a
/// `switch` event when a quota error moves it to another account. Prompt and answer text are
/// never logged.
public struct ExecRunner: Sendable {
    /// The run's settings.
    public var configuration: ExecConfiguration
    /// The accounts.
    public var broker: any ExecAccountBroker
    /// Where events go.
    public var logger: Logger

    /// Creates a runner.
    public init(configuration: ExecConfiguration, broker: any ExecAccountBroker, logger: Logger) {
        self.configuration = configuration
        self.broker = broker
        self.logger = logger
    }

    /// Answers a request given as raw bytes.
    ///
    /// Never throws: every failure becomes an OpenAI-style error document and exit code.
    public func run(request body: [UInt8]) -> ExecResult {
        let started = WallClock.monotonicMs()
        var context = RunContext()
        let result: ExecResult
        let exitClass: String
        do {
            result = try answer(body, context: &context)
            exitClass = "ok"
        } catch {
            result = ExecResult(
                exitCode: error.exitCode,
                standardOutput: error.document.serialized(.compact) + "\n",
                notes: context.notes
            )
            exitClass = error.code
        }
        var metadata: Logger.Metadata = [
            "event": "exec",
            "duration_ms": "\(WallClock.monotonicMs() - started)",
            "exit_class": .string(exitClass),
            "exit_code": "\(result.exitCode)",
            "attempts": "\(context.attempts)",
        ]
        if let account = context.account { metadata["account"] = .string(account) }
        logger.log(
            level: result.exitCode == 0 ? .info : .warning,
            "exec finished: \(exitClass)",
            metadata: metadata
        )
        return result
    }

    /// What a run learned along the way, for the log event.
    private struct RunContext {
        var notes: [String] = []
        var account: String?
        var attempts = 0
    }

    private func answer(_ body: [UInt8], context: inout RunContext) throws(ExecFailure) -> ExecResult {
        let request = try ChatRequestParser.parse(body, sizeLimit: configuration.requestSizeLimit)
        context.notes = request.ignored.map { "ignored \($0)" }
        let prompt = PromptBuilder.prompt(for: request.messages)
        let model = configuration.model ?? request.model ?? CLIInvocation.defaultModel
        let invocation = CLIInvocation(model: model)
        let executable = try CLILocator.locate(environment: configuration.environment)

        var account = try activate()
        context.account = account.id
        var outcome = try runCLI(executable, invocation, prompt, context: &context)
        if case .quotaExceeded = outcome {
            try markExhausted(account)
            let next = try activate()
            logger.notice(
                "quota exceeded; switched account and retrying once",
                metadata: ["event": "switch", "account": .string(next.id), "from_account": .string(account.id)]
            )
            account = next
            context.account = next.id
            outcome = try runCLI(executable, invocation, prompt, context: &context)
        }
        switch outcome {
        case .answered(let answer):
            let encoder = ChatCompletionEncoder(id: ChatCompletionEncoder.makeID(), created: WallClock.nowMs() / 1000, model: model)
            let output =
                request.stream
                ? encoder.stream(answer, includeUsage: request.includeUsageInStream)
                : encoder.completion(answer).serialized(.compact) + "\n"
            return ExecResult(exitCode: 0, standardOutput: output, notes: context.notes)
        case .quotaExceeded(let message):
            try markExhausted(account)
            // Leave a healthy account active for the next caller, if there is one.
            _ = try activate()
            throw .cliFailed(
                "insufficient_quota",
                "two accounts in a row were out of quota; retried once: \(message)",
                type: "insufficient_quota"
            )
        case .failed(let failure):
            throw failure
        }
    }

    /// One CLI run in a fresh scratch directory.
    private func runCLI(
        _ executable: String,
        _ invocation: CLIInvocation,
        _ prompt: CLIPrompt,
        context: inout RunContext
    ) throws(ExecFailure) -> CLIOutcome {
        context.attempts += 1
        let scratch = try ScratchDirectory(settings: CLIInvocation.projectSettings)
        defer { scratch.remove() }
        var environment = configuration.environment
        environment.variables["QWEN_HOME"] = configuration.qwenDirectory
        if let systemPrompt = prompt.systemPrompt {
            environment.variables[CLIInvocation.systemPromptFileVariable] = try scratch.writePrivateFile(
                ".qwen/system.md", contents: systemPrompt
            )
        }
        let runner = ChildProcessRunner(
            executable: executable,
            arguments: invocation.arguments,
            environment: environment.assignments,
            workingDirectory: scratch.path,
            timeout: configuration.timeout,
            outputLimit: configuration.outputLimit,
            stopMarker: CLIResultInterpreter.deviceLoginMarker
        )
        let outcome: ChildProcessOutcome
        do { outcome = try runner.run(input: prompt.standardInput) } catch {
            switch error {
            case .notStarted(let message): throw .cliFailed("cli_not_started", message)
            case .unavailable(let message): throw .internalError(message)
            }
        }
        logger.debug(
            "qwen CLI finished",
            metadata: [
                "event": "exec",
                "termination": "\(outcome.termination)",
                "stdout_bytes": "\(outcome.standardOutput.count)",
                "stderr_bytes": "\(outcome.standardError.count)",
            ]
        )
        return CLIResultInterpreter.interpret(outcome, timeout: configuration.timeout)
    }

    private func activate() throws(ExecFailure) -> ActiveAccount {
        do {
            return try broker.activateHealthyAccount()
        } catch let error as NoHealthyAccountError {
            throw .noHealthyAccount(error.description)
        } catch {
            throw .internalError("cannot activate an account: \(error)")
        }
    }

    private func markExhausted(_ account: ActiveAccount) throws(ExecFailure) {
        do {
            try broker.markQuotaExhausted(accountID: account.id)
        } catch {
            throw .internalError("cannot mark account \(account.id) as out of quota: \(error)")
        }
    }
}

/// What `qwen-sync exec` prints and how it exits.
public struct ExecResult: Sendable {
    /// The process exit code: 0, or that of the ``ExecFailure``.
    public var exitCode: Int32
    /// The `chat.completion` JSON, the SSE stream, or the error document.
    public var standardOutput: String
    /// Remarks for standard error, such as tools that were offered and ignored.
    public var notes: [String]

    /// Creates a result.
    public init(exitCode: Int32, standardOutput: String, notes: [String] = []) {
        self.exitCode = exitCode
        self.standardOutput = standardOutput
        self.notes = notes
    }
}
