import Glibc
import QwenDoctor
import QwenProcess
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@Suite("doctor: the qwen directory, credential files and lock files")
struct DoctorFileChecksTests {
    @Test("a healthy setup: every file check is ok, the active account healthy")
    func healthy() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        let findings = fixture.findings()
        for id in [
            "configuration", "qwen_dir", "credentials_file", "accounts_file", "credentials_lock", "accounts_lock", "active_account", "editor_extensions",
        ] {
            let finding = try #require(findings.first { $0.id == id })
            #expect(finding.status == .ok, "\(id): \(finding.message)")
            #expect(finding.fix == nil, "\(id)")
        }
        #expect(try fixture.finding("active_account").message.contains("expires in"))
        #expect(!findings.contains { $0.message.contains("SECRET") || ($0.fix ?? "").contains("SECRET") }, "no token is shown")
    }

    @Test("an accounts-store override outside the qwen dir warns and names the variable")
    func configurationWarning() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        let settings = try Settings.resolve(
            qwenDir: fixture.qwenDirectory, socket: fixture.socketPath,
            environment: ProcessEnvironment(["HOME": fixture.home, "OPENCODE_QWEN_ACCOUNTS_PATH": "/elsewhere/accounts.json"])
        )
        let finding = try #require(Doctor.run(DoctorContext(settings: settings, environment: fixture.environment())).first)
        #expect(finding.id == "configuration" && finding.status == .warn)
        #expect(finding.message.contains("OPENCODE_QWEN_ACCOUNTS_PATH"), "\(finding.message)")
    }

    @Test("the qwen dir: missing fails, 0755 warns, group-writable fails")
    func directoryModes() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        chmod(fixture.qwenDirectory, 0o755)
        let listable = try fixture.finding("qwen_dir")
        #expect(listable.status == .warn && listable.message.contains("0755"))
        #expect(listable.fix == "`chmod 700 \(fixture.qwenDirectory)`")
        chmod(fixture.qwenDirectory, 0o775)
        #expect(try fixture.finding("qwen_dir").status == .fail)
        chmod(fixture.qwenDirectory, 0o700)
        _ = system("rm -rf '\(fixture.qwenDirectory)'")
        let missing = try fixture.finding("qwen_dir")
        #expect(missing.status == .fail && missing.message.contains("does not exist"))
        #expect(missing.fix?.contains("qwen-sync login") == true)
    }

    @Test("oauth_creds.json readable by others fails with a chmod 600 fix")
    func credentialsMode() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        chmod(fixture.settings.credentialsPath, 0o644)
        let finding = try fixture.finding("credentials_file")
        #expect(finding.status == .fail && finding.message.contains("0644"))
        #expect(finding.fix == "`chmod 600 \(fixture.settings.credentialsPath)`")
        #expect(Doctor.exitCode(for: fixture.findings(), strict: false) == 1)
    }

    @Test("files and locks owned by another user fail", .enabled(if: geteuid() == 0, "chown to another user needs root"))
    func foreignOwner() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        chown(fixture.settings.accountsPath, 65534, 65534)
        let store = try fixture.finding("accounts_file")
        #expect(store.status == .fail && store.message.contains("belongs to"))
        #expect(store.fix?.contains("chown") == true)
        try fixture.write(fixture.settings.credentialsLockPath, "0f8fad5b-d9cb-469f-a165-70867728950e")
        chown(fixture.settings.credentialsLockPath, 65534, 65534)
        let lock = try fixture.finding("credentials_lock")
        #expect(lock.status == .fail && lock.message.contains("belongs to"))
    }

    @Test("a symlink: inside the qwen dir is fine, outside warns, dangling fails")
    func symlinks() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        let path = fixture.settings.credentialsPath
        let inside = fixture.qwenDirectory + "/creds-real.json"
        #expect(rename(path, inside) == 0)
        #expect(symlink(inside, path) == 0)
        #expect(try fixture.finding("credentials_file").status == .ok)

        let outside = fixture.directory.appending("elsewhere.json")
        #expect(rename(inside, outside) == 0)
        unlink(path)
        #expect(symlink(outside, path) == 0)
        let far = try fixture.finding("credentials_file")
        #expect(far.status == .warn && far.message.contains("outside"), "\(far.message)")
        #expect(far.fix?.contains("cp --remove-destination") == true)

        unlink(outside)
        let dangling = try fixture.finding("credentials_file")
        #expect(dangling.status == .fail && dangling.message.contains("does not exist"), "\(dangling.message)")
    }

    @Test("corrupt JSON fails: in oauth_creds.json and in the accounts store")
    func corruptJSON() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        try fixture.write(fixture.settings.credentialsPath, "{\"access_token\": ")
        let credentials = try fixture.finding("credentials_file")
        #expect(credentials.status == .fail && credentials.message.contains("not usable"))
        try fixture.write(
            fixture.settings.credentialsPath, "{\"access_token\": \"a\", \"refresh_token\": \"r\", \"token_type\": \"Bearer\", \"expiry_date\": \"soon\"}")
        #expect(try fixture.finding("credentials_file").message.contains("expiry_date"))

        try fixture.write(fixture.settings.accountsPath, "[1, 2")
        let store = try fixture.finding("accounts_file")
        #expect(store.status == .fail && store.message.contains("cannot be read"), "\(store.message)")
        #expect(try fixture.finding("active_account").status == .skip)
    }

    @Test("locks: a fresh lock of a live process is ok, a stale one warns, a dead holder's warns")
    func locks() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        let credentialsLock = fixture.settings.credentialsLockPath
        try fixture.write(credentialsLock, "0f8fad5b-d9cb-469f-a165-70867728950e")
        #expect(try fixture.finding("credentials_lock").status == .ok)
        fixture.age(credentialsLock, secondsAgo: 11)
        let stale = try fixture.finding("credentials_lock")
        #expect(stale.status == .warn && stale.message.contains("stale"), "\(stale.message)")
        #expect(stale.message.contains("stale after 10 s"))

        let accountsLock = fixture.settings.accountsLockPath
        try fixture.write(accountsLock, "\(getpid())-\(WallClock.nowMs())-0123456789abcdef")
        fixture.age(accountsLock, secondsAgo: 20)
        let held = try fixture.finding("accounts_lock")
        #expect(held.status == .ok && held.message.contains("pid \(getpid())"), "20 s is within the 30 s of this lock: \(held.message)")
        fixture.age(accountsLock, secondsAgo: 31)
        #expect(try fixture.finding("accounts_lock").status == .warn)

        let gone = deadPID()
        try fixture.write(accountsLock, "\(gone)-\(WallClock.nowMs())-0123456789abcdef")
        let abandoned = try fixture.finding("accounts_lock")
        #expect(abandoned.status == .warn && abandoned.message.contains("pid \(gone), which is gone"), "\(abandoned.message)")
    }

    /// The pid of a process that has exited and been reaped.
    private func deadPID() -> Int32 {
        let pid = try? ProcessSpawn(executable: "/bin/true", arguments: [], environment: [], newProcessGroup: false, resetsSignals: false).start()
        #expect(pid != nil)
        guard let pid else { return 0 }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return pid
    }
}
