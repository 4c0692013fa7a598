import ArgumentParser
import Glibc
import Logging
import QwenExec
import QwenSyncCore
import QwenSystemd

/// `qwen-sync exec`: answers an OpenAI chat-completions request with the `qwen` CLI.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Answer an OpenAI chat-completions request (text only) with the qwen CLI.",
        discussion: """
            Reads the request from standard input (or --input FILE) and prints a chat.completion \
            JSON document, or an SSE stream ending in `data: [DONE]` when the request says \
            "stream": true. Only text passes: images, audio, files and required tool calls are \
            refused. A healthy account is made active first; on a quota error the account cools \
            down and the request is retried once on the next healthy account. The CLI is \
            $QWEN_CLI_PATH, else `qwen` on PATH. No request text is ever an argument of the \
            CLI: the conversation goes to its standard input, system messages to a 0600 file in \
            a private scratch directory named by QWEN_SYSTEM_MD. Sampling hints (temperature, \
            top_p, seed, penalties) are ignored with a note on standard error.

            Errors are printed on standard output as {"error": {"message", "type", "code"}}. \
            Exit codes: 0 answered; 1 internal error; 2 usage error; 4 refused input \
            (malformed, too large, multimodal, tools required, a parameter it cannot honour \
            such as max_tokens or response_format); 5 no healthy account (the message says \
            whether to wait for a cooldown or to log in again); \
            6 the CLI failed or timed out.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Read the request from FILE instead of standard input.", valueName: "file"), completion: .file())
    var input: String?

    @Option(name: .long, help: ArgumentHelp("Stop the CLI after this many seconds.", valueName: "seconds"))
    var timeout: Double = Double(ExecConfiguration.defaultTimeout.inMilliseconds) / 1000

    @Option(name: .long, help: ArgumentHelp("The model for the CLI (default: the request's model, else coder-model).", valueName: "model"))
    var model: String?

    func validate() throws {
        guard timeout > 0, timeout <= 86_400 else {
            throw ValidationError("--timeout must be more than 0 and at most 86400 seconds")
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        LoggingBootstrap.bootstrap()
        let result = execute()
        for note in result.notes {
            DescriptorOutput.writeAll("qwen-sync exec: note: \(note)\n", to: STDERR_FILENO)
        }
        DescriptorOutput.writeAll(result.standardOutput, to: STDOUT_FILENO)
        if result.exitCode != 0 {
            throw ExitCode(result.exitCode)
        }
    }

    /// Resolves the settings, reads the request and runs it.
    private func execute() -> ExecResult {
        let settings: Settings
        let body: [UInt8]
        do {
            settings = try global.settings()
            body = try RequestReader.read(path: input, limit: ChatRequestParser.defaultSizeLimit)
        } catch let failure as ExecFailure {
            return ExecResult(exitCode: failure.exitCode, standardOutput: failure.document.serialized(.compact) + "\n")
        } catch {
            let failure = ExecFailure.internalError("\(error)")
            return ExecResult(exitCode: failure.exitCode, standardOutput: failure.document.serialized(.compact) + "\n")
        }
        let runner = ExecRunner(
            configuration: ExecConfiguration(
                qwenDirectory: settings.qwenDirectory,
                environment: .current,
                model: model,
                timeout: .seconds(timeout)
            ),
            broker: makeExecAccountBroker(settings: settings),
            logger: Logger(label: "qwen-sync")
        )
        return runner.run(request: body)
    }
}
