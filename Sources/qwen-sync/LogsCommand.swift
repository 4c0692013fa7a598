import ArgumentParser
import Glibc
import QwenSyncCore
import QwenSystemd

/// `qwen-sync logs`: qwen-sync's journal entries (daemon and CLI), read through libsystemd.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Show qwen-sync's journal entries (the daemon's and the CLI's), newest last.",
        discussion: """
            Reads the systemd journal directly (no journalctl needed): every entry with \
            SYSLOG_IDENTIFIER=qwen-sync logged by your user, one line each: \
            `2026-12-04 23:50:01 refresh acct_…: message` (local time). --event and --account \
            select on the QWEN_EVENT and QWEN_ACCOUNT fields. With --json, one JSON array of \
            entries; with --json --follow, one JSON object per line (JSON lines), since a \
            stream never ends. Exit 1 when no journal is readable here.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(name: [.customShort("f"), .long], help: "Keep printing new entries as they arrive (Ctrl-C stops).")
    var follow = false

    @Option(
        help: ArgumentHelp(
            "Only entries at or after TIME: 2026-12-04 23:50[:01] (local; Z for UTC), @EPOCH, 30m, 2h ago, today, yesterday.",
            valueName: "time"
        ))
    var since: String?

    @Option(help: ArgumentHelp("Only entries of this event (start, sync, refresh, switch, cooldown, lock, login, exec, error, stop, …).", valueName: "event"))
    var event: String?

    @Option(help: ArgumentHelp("Only entries about this account (id, label or email).", valueName: "account"), completion: AccountCompletion.kind)
    var account: String?

    @Option(name: .customShort("n"), help: ArgumentHelp("Show at most the newest N entries (default: all; 10 with --follow).", valueName: "N"))
    var lines: Int?

    @Flag(help: "Print one JSON array (JSON lines with --follow).") var json = false

    func validate() throws {
        if let lines, lines < 0 { throw ValidationError("-n must be 0 or more") }
        if let since, JournalTime.parse(since, nowUs: 0) == nil {
            throw ValidationError("--since: cannot read \"\(since)\"; use 2026-12-04 23:50, @EPOCH, 30m, 2h ago, today or yesterday")
        }
    }

    func run() throws {
        let sinceUs = since.flatMap { JournalTime.parse($0, nowUs: UInt64(WallClock.nowMs()) * 1000) }
        let filter = JournalFilter(event: event, account: try resolvedAccount())
        let reader: JournalReader
        do {
            reader = try JournalReader(filter: filter)
        } catch {
            throw CommandFailure(error.description)
        }
        let limit = lines ?? (follow && sinceUs == nil ? 10 : nil)
        let printer = LogEntryPrinter(json: json, streaming: follow)
        do {
            let entries = try reader.recent(limit: limit, sinceUs: sinceUs)
            printer.printBatch(entries)
            guard follow else { return }
            // Following ends with Ctrl-C or a kill, whatever signal mask the parent passed down.
            var stopSignals = sigset_t()
            sigemptyset(&stopSignals)
            for stop in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&stopSignals, stop) }
            sigprocmask(SIG_UNBLOCK, &stopSignals, nil)
            try reader.follow(after: entries.last?.cursor) { printer.printStreamed($0) }
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// The account id for `--account`: a label, email or id prefix is resolved through the
    /// store (an ambiguous one is an error); anything else (a removed account's id) is matched as given.
    private func resolvedAccount() throws -> String? {
        guard let account else { return nil }
        let settings = try global.settings()
        guard let state = try? CredentialStore(settings: settings).read() else { return account }
        if case .notFound = state.lookUpAccount(account) { return account }  // a removed account's entries
        return try state.account(named: account).id
    }
}
