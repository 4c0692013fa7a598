// qwen-sync-stress: worker processes for the multi-process tests and benchmarks.
//
//   qwen-sync-stress rmw --qwen-dir D --cycles N [--stale-ms S] [--delay-ms D]
//       N read-modify-write transactions through CredentialStore, each incrementing a counter
//       kept in an unknown field of both oauth_accounts.json and oauth_creds.json.
//   qwen-sync-stress write-forever --qwen-dir D [--stale-ms S] [--delay-ms D]
//       the same, endlessly (killed with SIGKILL by the test); prints each committed counter.
//   qwen-sync-stress verify --qwen-dir D --reads N
//       reads both files N times; exits 1 at the first partial or invalid file.
//   qwen-sync-stress hold-lock --path P --ms M [--stale-ms S]
//       takes the lock at P, prints "HELD", holds it M ms (heartbeat on), releases, prints "RELEASED".
import Glibc
import QwenSyncCore

struct Options {
    var mode = ""
    var qwenDir = ""
    var cycles = 100
    var reads = 1000
    var staleMs: Int64?
    var delayMs: Int64?
    var path = ""
    var holdMs: Int64 = 1000

    init(_ arguments: [String]) {
        mode = arguments.first ?? ""
        var index = 1
        func next() -> String {
            index += 1
            return index < arguments.count ? arguments[index] : ""
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--qwen-dir": qwenDir = next()
            case "--cycles": cycles = Int(next()) ?? cycles
            case "--reads": reads = Int(next()) ?? reads
            case "--stale-ms": staleMs = Int64(next())
            case "--delay-ms": delayMs = Int64(next())
            case "--path": path = next()
            case "--ms": holdMs = Int64(next()) ?? holdMs
            default: fail("unknown argument \(arguments[index])")
            }
            index += 1
        }
    }

    func policy(_ base: LockPolicy) -> LockPolicy {
        var policy = base
        if let staleMs {
            policy.staleAfterMs = staleMs
            policy.heartbeatMs = max(staleMs / 4, 10)
            policy.maxWaitMs = max(staleMs * 4, 5_000)
        }
        if let delayMs {
            policy.initialDelayMs = delayMs
            policy.maxDelayMs = max(delayMs * 8, delayMs)
        }
        return policy
    }
}

func fail(_ message: String) -> Never {
    emit("qwen-sync-stress: \(message)", to: 2)
    exit(1)
}

/// Writes one line straight to a file descriptor (no stdio buffering, so a SIGKILL loses nothing printed).
func emit(_ line: String, to descriptor: Int32 = 1) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
}

func makeStore(_ options: Options) -> CredentialStore {
    guard let settings = try? Settings.resolve(qwenDir: options.qwenDir, environment: ProcessEnvironment([:])) else {
        fail("bad --qwen-dir")
    }
    var store = CredentialStore(settings: settings)
    store.credentialsLockPolicy = options.policy(.credentials)
    store.accountsLockPolicy = options.policy(.accounts)
    return store
}

/// One increment of both counters; returns the new value.
func increment(_ store: CredentialStore) throws -> Int64 {
    try store.transaction { state in
        var document = state.accounts
        let accountsCounter = (document.unknownField("stress_counter")?.int64Value ?? 0) + 1
        document.setUnknownField("stress_counter", .int(accountsCounter))
        state.accounts = document
        var credentials = state.credentials
            ?? OAuthCredentials(accessToken: "at-stress", refreshToken: "rt-stress", expiryDate: 1_795_321_151_953)
        let credentialsCounter = (credentials.extraFields["stress_counter"]?.int64Value ?? 0) + 1
        credentials.extraFields["stress_counter"] = .int(credentialsCounter)
        state.credentials = credentials
        return accountsCounter
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
switch options.mode {
case "rmw":
    let store = makeStore(options)
    for _ in 0..<options.cycles {
        do { _ = try increment(store) } catch { fail("\(error)") }
    }
case "write-forever":
    let store = makeStore(options)
    while true {
        do { emit(String(try increment(store))) } catch { fail("\(error)") }
    }
case "verify":
    let store = makeStore(options)
    for _ in 0..<options.reads {
        if case .invalid(let reason, _) = CredentialsFile.read(store.settings.credentialsPath) {
            fail("oauth_creds.json unreadable: \(reason)")
        }
        do { _ = try store.read() } catch { fail("oauth_accounts.json unreadable: \(error)") }
    }
case "hold-lock":
    let lock = LockFile(path: options.path, policy: options.policy(.credentials))
    do {
        let held = try lock.acquire()
        emit("HELD")
        WallClock.sleep(milliseconds: options.holdMs)
        emit(held.isStillOurs ? "STILL-OURS" : "LOST")
        held.release()
        emit("RELEASED")
    } catch { fail("\(error)") }
default:
    fail("usage: qwen-sync-stress rmw|write-forever|verify|hold-lock [options]")
}
