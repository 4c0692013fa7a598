import ArgumentParser
import Glibc
import QwenSyncCore

/// The command line: a mode and its options.
struct StressTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qwen-sync-stress",
        abstract: "Worker processes for the multi-process tests and benchmarks."
    )

    /// What the process does.
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case rmw
        case writeForever = "write-forever"
        case verify
        case holdLock = "hold-lock"
    }

    @Argument(help: "rmw, write-forever, verify or hold-lock.")
    var mode: Mode

    @Option(help: "The qwen directory (rmw, write-forever, verify).")
    var qwenDir: String?

    @Option(help: "Transactions to run (rmw).")
    var cycles = 100

    @Option(help: "Reads of both files (verify).")
    var reads = 1000

    @Option(help: "The lock file to hold (hold-lock).")
    var path: String?

    @Option(name: .customLong("ms"), help: "How long to hold it, in milliseconds (hold-lock).")
    var holdMs: Int64 = 1000

    @Flag(help: "Hold it until a line or the end of standard input arrives instead of for --ms (hold-lock).")
    var untilInput = false

    @Option(help: "Judge a lock stale after this many milliseconds (heartbeat at a quarter of it).")
    var staleMs: Int64?

    @Option(help: "First retry delay on a busy lock, in milliseconds.")
    var delayMs: Int64?

    @Option(help: "Give up waiting for a live lock after this many milliseconds (default: 4x --stale-ms, at least 5 s).")
    var maxWaitMs: Int64?

    mutating func validate() throws {
        switch mode {
        case .rmw, .writeForever, .verify:
            guard qwenDir != nil else { throw ValidationError("\(mode.rawValue) needs --qwen-dir") }
        case .holdLock:
            guard path != nil else { throw ValidationError("hold-lock needs --path") }
        }
    }

    /// `base` with `--stale-ms` and `--delay-ms` applied.
    func policy(_ base: LockPolicy) -> LockPolicy {
        var policy = base
        if let staleMs {
            policy.staleAfter = .milliseconds(staleMs)
            policy.heartbeat = .milliseconds(max(staleMs / 4, 10))
            policy.maxWait = .milliseconds(max(staleMs * 4, 5_000))
        }
        if let maxWaitMs { policy.maxWait = .milliseconds(maxWaitMs) }
        if let delayMs {
            policy.initialDelay = .milliseconds(delayMs)
            policy.maxDelay = .milliseconds(max(delayMs * 8, delayMs))
        }
        return policy
    }

    func run() {
        switch mode {
        case .rmw:
            let store = makeStore()
            for _ in 0..<cycles {
                do { _ = try increment(store) } catch { fail("\(error)") }
            }
        case .writeForever:
            let store = makeStore()
            while true {
                do { emit(String(try increment(store))) } catch { fail("\(error)") }
            }
        case .verify:
            let store = makeStore()
            for _ in 0..<reads {
                if case .invalid(let reason, _) = CredentialsFile.read(store.settings.credentialsPath) {
                    fail("oauth_creds.json unreadable: \(reason)")
                }
                do { _ = try store.read() } catch { fail("oauth_accounts.json unreadable: \(error)") }
            }
        case .holdLock:
            let lock = LockFile(path: path ?? "", policy: policy(.credentials))
            do {
                let held = try lock.acquire()
                emit("HELD")
                if untilInput { _ = readLine() } else { WallClock.sleep(milliseconds: holdMs) }
                emit(held.isStillOurs ? "STILL-OURS" : "LOST")
                held.release()
                emit("RELEASED")
            } catch { fail("\(error)") }
        }
    }

    private func makeStore() -> CredentialStore {
        guard let settings = try? Settings.resolve(qwenDir: qwenDir ?? "", environment: ProcessEnvironment([:])) else {
            fail("bad --qwen-dir")
        }
        var store = CredentialStore(settings: settings)
        store.credentialsLockPolicy = policy(.credentials)
        store.accountsLockPolicy = policy(.accounts)
        return store
    }

    /// One increment of both counters; returns the new value.
    private func increment(_ store: CredentialStore) throws -> Int64 {
        try store.transaction { state in
            var document = state.accounts
            let accountsCounter = (document.unknownField("stress_counter")?.int64Value ?? 0) + 1
            document.setUnknownField("stress_counter", .int(accountsCounter))
            state.accounts = document
            var credentials =
                state.credentials
                ?? OAuthCredentials(accessToken: "at-stress", refreshToken: "rt-stress", expiryDate: 1_795_321_151_953)
            let credentialsCounter = (credentials.extraFields["stress_counter"]?.int64Value ?? 0) + 1
            credentials.extraFields["stress_counter"] = .int(credentialsCounter)
            state.credentials = credentials
            return accountsCounter
        }
    }
}

/// Prints `message` on stderr and exits 1.
func fail(_ message: String) -> Never {
    emit("qwen-sync-stress: \(message)", to: STDERR_FILENO)
    exit(1)
}

/// Writes one line straight to a file descriptor (no stdio buffering, so a SIGKILL loses nothing printed).
func emit(_ line: String, to descriptor: Int32 = STDOUT_FILENO) {
    DescriptorOutput.writeAll(line + "\n", to: descriptor)
}
