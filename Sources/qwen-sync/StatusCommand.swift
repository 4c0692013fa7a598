import ArgumentParser
import QwenControl
import QwenSyncCore

/// `qwen-sync status [--json]`: asks the running daemon; exit 3 with a file-based summary when none
/// answers, or when the daemon that answers serves another qwen directory than the one asked about.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the running daemon knows (exit 3 when no daemon answers for this qwen dir)."
    )

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print one JSON document.") var json = false
    @Flag(help: "Print nothing; exit 1 with the reason on standard error when the active account cannot be used.")
    var check = false

    func validate() throws {
        if check && json { throw ValidationError("--check prints nothing; give --check or --json, not both") }
    }

    func run() throws {
        let settings = try global.settings()
        if check { return try UsabilityCheck.run(settings) }
        try Self.report(settings, json: json)
    }

    /// Whether `arguments` (after the executable) are a plain `status` or `status --json`,
    /// which ``QwenSync`` answers before any argument-parser work; `nil` for anything else.
    ///
    /// - Returns: whether JSON was asked for.
    static func plainInvocation(_ arguments: [String]) -> Bool? {
        switch arguments {
        case ["status"]: false
        case ["status", "--json"]: true
        default: nil
        }
    }

    /// Asks the daemon and prints its answer, or the summary from the files and exit 3.
    static func report(_ settings: Settings, json: Bool) throws {
        let reply: JSONValue
        do {
            reply = try ControlClient.request(.status, at: settings.socketPath)
        } catch {
            if case .untrusted(let problem) = error { throw CommandFailure(problem.description) }
            try printOffline(settings, json: json, problem: "no daemon answers: \(error.description)", headline: "not running (\(error.description))")
            throw CommandFailure("no daemon answers at \(settings.socketPath)", exitCode: 3)
        }
        let status: DaemonStatus
        do { status = try DaemonStatus(json: reply) } catch { throw CommandFailure(error.description) }
        if !QwenDirectoryMatch.same(status.qwenDirectory, settings.qwenDirectory) {
            let reason = "the daemon at \(settings.socketPath) (pid \(status.daemon.pid)) serves \(status.qwenDirectory), not \(settings.qwenDirectory)"
            try printOffline(settings, json: json, problem: reason, headline: "none serves this qwen dir (\(reason))")
            throw CommandFailure(reason, exitCode: 3)
        }
        let serve = ServeCountsSummary.read(settings)
        if json {
            // As the daemon sent it, keys a newer daemon added included, plus the endpoint's counts.
            var document = reply.objectValue ?? JSONObject()
            document["serve"] = ServeCountsSummary.json(serve)
            print(JSONValue.object(document).serialized(.pretty))
        } else {
            print(StatusReport.render(status, nowMs: WallClock.nowMs()))
            if let serve { print(serve.line) }
        }
    }

    /// The summary from the files alone; `problem` goes into the JSON's `error`, `headline`
    /// after "qwen-sync daemon: " in the text.
    private static func printOffline(_ settings: Settings, json: Bool, problem: String, headline: String) throws {
        let state = try? CredentialStore(settings: settings).read()
        let nowMs = WallClock.nowMs()
        let summaries = (state?.accounts.accounts ?? []).map { AccountSummary($0, in: state!, nowMs: nowMs) }
        let serve = ServeCountsSummary.read(settings)
        if json {
            print(
                JSONValue.object(
                    JSONObject([
                        ("daemon", .null),
                        ("error", .string(problem)),
                        ("qwen_dir", .string(settings.qwenDirectory)),
                        ("active_account", .optionalString(state?.accounts.activeAccountID)),
                        ("accounts", .array(summaries.map(\.json))),
                        ("serve", ServeCountsSummary.json(serve)),
                    ])
                ).serialized(.pretty))
        } else {
            print("qwen-sync daemon: \(headline)")
            print("qwen dir: \(settings.qwenDirectory)")
            if !summaries.isEmpty { print(AccountTable.render(summaries, nowMs: nowMs)) }
            if let serve { print(serve.line) }
        }
    }
}
