import Glibc
import QwenDoctor
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// A real setup to diagnose: a home directory, a qwen dir (0700) with credentials and an
/// accounts store written through ``CredentialStore``, a `bin` directory for a stand-in `qwen`,
/// and a control socket path where no daemon listens until a test starts one.
struct DoctorFixture {
    let directory: TemporaryDirectory
    var home: String { directory.appending("home") }
    var qwenDirectory: String { directory.appending("home/.qwen") }
    var bin: String { directory.appending("bin") }
    var socketPath: String { directory.appending("control.sock") }
    let settings: Settings

    /// A healthy setup: one account, active, mirrored into `oauth_creds.json`, expiring in an hour.
    init() throws {
        directory = try TemporaryDirectory(prefix: "qwen-doctor-test")
        mkdir(directory.appending("home"), 0o755)
        mkdir(directory.appending("bin"), 0o755)
        settings = try Settings.resolve(
            qwenDir: directory.appending("home/.qwen"), socket: directory.appending("control.sock"),
            environment: ProcessEnvironment(["HOME": directory.appending("home")])
        )
        try CredentialStore(settings: settings).transaction { state in
            let adopted = state.adopt(Self.credentials("main", expiresInMs: 3_600_000), nowMs: WallClock.nowMs())
            state.accounts.activeAccountID = adopted.id
            state.mirrorActiveAccount()
        }
        chmod(qwenDirectory, 0o700)
    }

    /// Credentials whose access token is a JWT naming `sub`.
    static func credentials(_ sub: String, expiresInMs: Int64) -> OAuthCredentials {
        let payload = Base64URL.encode(Array("{\"sub\":\"\(sub)\",\"email\":\"\(sub)@example.com\"}".utf8))
        return OAuthCredentials(
            accessToken: "eyJhbGciOiJub25lIn0.\(payload).SECRET-\(sub)", refreshToken: "refresh-SECRET-\(sub)",
            expiryDate: WallClock.nowMs() + expiresInMs, resourceURL: "portal.qwen.ai"
        )
    }

    /// The environment the checks see: this HOME, PATH = the fixture's `bin` only.
    func environment(_ extra: [String: String] = [:]) -> ProcessEnvironment {
        var variables = ["HOME": home, "PATH": bin]
        variables.merge(extra) { $1 }
        return ProcessEnvironment(variables)
    }

    /// Runs every check.
    func findings(_ extra: [String: String] = [:]) -> [DoctorFinding] {
        Doctor.run(DoctorContext(settings: settings, environment: environment(extra)))
    }

    /// The finding with `id`.
    func finding(_ id: String, _ extra: [String: String] = [:]) throws -> DoctorFinding {
        try #require(findings(extra).first { $0.id == id })
    }

    /// Changes the store under its locks.
    func change(_ body: (inout CredentialState) -> Void) throws {
        try CredentialStore(settings: settings).transaction { body(&$0) }
    }

    /// Writes `text` to `path` with `mode`, replacing what was there.
    func write(_ path: String, _ text: String, mode: mode_t = 0o600) throws {
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard descriptor >= 0 else { throw TestSupportError("open \(path): errno \(errno)") }
        _ = text.withCString { Glibc.write(descriptor, $0, strlen($0)) }
        fchmod(descriptor, mode)
        close(descriptor)
    }

    /// A stand-in `qwen` in `bin` that prints `output` for `--version`.
    func installQwen(printing output: String) async throws {
        try await writeExecutableScript(bin + "/qwen", "printf '%s\\n' '\(output)'")
    }

    /// Sets the mtime of `path` to `secondsAgo` in the past.
    func age(_ path: String, secondsAgo: Int) {
        let then = Int(WallClock.nowMs() / 1000) - secondsAgo
        var times = [timespec(tv_sec: then, tv_nsec: 0), timespec(tv_sec: then, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
    }

    func remove() { directory.remove() }
}
