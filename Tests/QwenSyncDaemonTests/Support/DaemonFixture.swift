import Glibc
import QwenControl
import QwenSyncCore
import QwenSyncTestSupport

/// One end-to-end scene: a private qwen dir, a control socket path, a stand-in OAuth server,
/// and `qwen-sync daemon` processes started against them.
final class DaemonFixture {
    let directory: TemporaryDirectory
    let standIn: StandInServer
    var qwenDirectory: String { directory.appending("qwen") }
    var socketPath: String { directory.appending("run/control.sock") }
    var credentialsPath: String { qwenDirectory + "/oauth_creds.json" }
    var accountsPath: String { qwenDirectory + "/oauth_accounts.json" }
    private var logCount = 0

    /// The qwen-code-like Python client, shared with the benchmarks.
    static let clientScript = PathNormalizer.directory(of: #filePath) + "/../../../Benchmarks/qwen_code_client.py"

    init(standInArguments: [String] = []) async throws {
        directory = try TemporaryDirectory(prefix: "qwen-daemon-test")
        guard mkdir(directory.appending("qwen"), 0o700) == 0 else { throw TestSupportError("mkdir qwen: errno \(errno)") }
        standIn = try await StandInServer.start(arguments: standInArguments)
    }

    deinit { directory.remove() }

    var settings: Settings {
        get throws { try Settings.resolve(qwenDir: qwenDirectory, socket: socketPath, environment: ProcessEnvironment([:])) }
    }

    /// The environment every qwen-sync process of this scene gets.
    func environment(_ extra: [String: String?] = [:]) -> [String: String?] {
        var environment: [String: String?] = [
            "QWEN_HOME": qwenDirectory, "QWEN_SYNC_SOCKET": socketPath, "QWEN_SYNC_OAUTH_BASE_URL": standIn.baseURL,
            "QWEN_SYNC_LOG": "stderr", "QWEN_SYNC_LOG_LEVEL": "debug", "HOME": directory.path,
        ]
        environment.merge(extra) { $1 }
        return environment
    }

    /// Starts `qwen-sync daemon` and, unless `waitUntilServing` is false, waits until it answers `ping`.
    ///
    /// - Returns: the process and the file its standard error goes to.
    func startDaemon(
        refreshLead: Int = 40, arguments: [String] = [], environment extra: [String: String?] = [:], waitUntilServing: Bool = true
    ) async throws -> (process: ChildProcess, log: String) {
        logCount += 1
        let log = directory.appending("daemon-\(logCount).log")
        let process = try ChildProcess(
            BuiltProducts.path(of: "qwen-sync"), ["daemon", "--refresh-lead", String(refreshLead)] + arguments,
            environment: environment(extra), stderr: log
        )
        if waitUntilServing {
            let serving = await eventually(timeoutMs: 30_000) { !process.isRunning || ping() }
            guard serving, process.isRunning else {
                throw TestSupportError("the daemon did not start: \(Self.read(log) ?? "")")
            }
        }
        return (process, log)
    }

    /// Whether a daemon answers on the control socket.
    func ping() -> Bool {
        (try? ControlClient.request(.ping, at: socketPath, timeout: .seconds(1)))?.objectValue?["ok"]?.boolValue == true
    }

    /// The daemon's status document.
    func status() throws -> JSONObject {
        guard let object = try ControlClient.request(.status, at: socketPath).objectValue else {
            throw TestSupportError("status is not an object")
        }
        return object
    }

    /// Seeds `sub` on the server and writes credentials for it into `oauth_creds.json`, as a
    /// fresh qwen-code login would (temp file + rename).
    @discardableResult
    func loginAs(_ sub: String, expiresInMs: Int64) throws -> OAuthCredentials {
        let credentials = try credentials(for: sub, expiresInMs: expiresInMs)
        try writeCredentials(credentials)
        return credentials
    }

    /// Seeds `sub` on the server and returns credentials with a live refresh token.
    func credentials(for sub: String, expiresInMs: Int64) throws -> OAuthCredentials {
        let refresh = try standIn.seed(sub: sub)
        return TokenFactory.credentials(sub: sub, refresh: refresh, expiry: WallClock.nowMs() + expiresInMs, serial: "\(WallClock.nowMs())")
    }

    /// Writes `oauth_creds.json` the way qwen-code does: temp file, 0600, rename.
    func writeCredentials(_ credentials: OAuthCredentials) throws {
        try Self.replace(credentialsPath, with: CredentialsFile.encode(credentials))
    }

    /// Writes the accounts store the way the plugin does (temp file, rename), without a lock.
    func writeAccounts(_ document: AccountsDocument) throws {
        try Self.replace(accountsPath, with: document.encoded())
    }

    /// Changes the store under its lock the way a peer would (read, change, temp + rename).
    func changeAccounts(_ change: (inout AccountsDocument) -> Void) throws {
        var state = try CredentialStore(settings: settings).read()
        change(&state.accounts)
        try writeAccounts(state.accounts)
    }

    /// The credentials in `oauth_creds.json`, if valid.
    func credentialsOnDisk() -> OAuthCredentials? { CredentialsFile.read(credentialsPath).credentials }

    /// The files as qwen-sync reads them.
    func state() throws -> CredentialState { try CredentialStore(settings: settings).read() }

    /// The daemon log so far.
    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            guard count > 0 else { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Atomically replaces `path` with `bytes` (temp file in the same directory, 0600, rename).
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = "\(path).tmp.\(getpid()).\(UInt32.random(in: .min ... .max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw TestSupportError("open \(temporary): errno \(errno)") }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count, rename(temporary, path) == 0 else { throw TestSupportError("replace \(path): errno \(errno)") }
    }
}
