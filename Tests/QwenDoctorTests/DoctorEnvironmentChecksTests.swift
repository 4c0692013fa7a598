import Glibc
import QwenDoctor
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@Suite("doctor: the qwen CLI, editor extensions, the daemon, and the command itself")
struct DoctorEnvironmentChecksTests {
    @Test("the qwen CLI: missing warns; an old version is ok; a new one warns until useExternal is set")
    func qwenCLI() async throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        let missing = try fixture.finding("qwen_cli")
        #expect(missing.status == .warn && missing.fix?.contains("npm install -g @qwen-code/qwen-code") == true)

        try await fixture.installQwen(printing: "0.13.2")
        let old = try fixture.finding("qwen_cli")
        #expect(old.status == .ok && old.message.contains("qwen 0.13.2 at \(fixture.bin)/qwen"), "\(old.message)")

        try await fixture.installQwen(printing: "0.16.1")
        let new = try fixture.finding("qwen_cli")
        #expect(new.status == .warn && new.message.contains("useExternal"), "\(new.message)")
        #expect(new.fix?.contains("\(fixture.qwenDirectory)/settings.json") == true)

        try fixture.write(fixture.qwenDirectory + "/settings.json", #"{"security": {"auth": {"useExternal": true}}}"#)
        #expect(try fixture.finding("qwen_cli").status == .ok)

        try await fixture.installQwen(printing: "Loaded cached credentials.")
        #expect(try fixture.finding("qwen_cli").message.contains("printed no version"))
    }

    @Test("QWEN_CLI_PATH that is not executable warns and names the variable")
    func cliPathOverride() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        let finding = try fixture.finding("qwen_cli", ["QWEN_CLI_PATH": fixture.directory.appending("nothing-here")])
        #expect(finding.status == .warn && finding.message.contains("QWEN_CLI_PATH"))
    }

    @Test(
        "a token-caching editor extension is named with what to do",
        arguments: [
            (".vscode/extensions/saoudrizwan.claude-dev-3.17.0", "Cline"),
            (".vscode-server/extensions/rooveterinaryinc.roo-cline-3.20.1", "Roo Code"),
            (".cursor/extensions/kilocode.kilo-code-4.40.0", "Kilo Code"),
        ])
    func editorExtension(path: String, name: String) throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        #expect(system("mkdir -p '\(fixture.home)/\(path)'") == 0)
        let finding = try fixture.finding("editor_extensions")
        #expect(finding.status == .warn && finding.message.contains(name), "\(finding.message)")
        #expect(finding.fix?.contains("Reload Window") == true)
    }

    /// Whether systemctl exists but no user manager can answer it (no user bus).
    static var systemctlWithoutUserManager: Bool {
        access("/usr/bin/systemctl", X_OK) == 0 && access("/run/user/\(getuid())/bus", F_OK) != 0
            && getenv("DBUS_SESSION_BUS_ADDRESS") == nil
    }

    @Test(
        "with systemctl but no user manager, the unit is not checked, and says why",
        .enabled(if: systemctlWithoutUserManager, "needs systemctl without a systemd user manager")
    )
    func unitNotChecked() async throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        let finding = try fixture.finding("systemd_unit")
        #expect(finding.status == .skip, "\(finding.message)")
        #expect(finding.message.hasPrefix("not checked: no systemd user manager answers"), "\(finding.message)")
        #expect(Doctor.exitCode(for: [finding], strict: true) == 0, "a check that could not run fails nothing")
    }

    @Test("the daemon: none answering warns; one serving this dir is ok; one serving another dir fails")
    func daemon() async throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        #expect(try fixture.finding("daemon").status == .warn)

        let other = fixture.directory.appending("other-qwen")
        mkdir(other, 0o700)
        for (directory, expected) in [(other, DoctorStatus.fail), (fixture.qwenDirectory, .ok)] {
            let log = fixture.directory.appending("daemon.log")
            let daemon = try ChildProcess(
                BuiltProducts.path(of: "qwen-sync"),
                ["daemon", "--qwen-dir", directory, "--socket", fixture.socketPath],
                environment: ["HOME": fixture.home, "QWEN_SYNC_OAUTH_BASE_URL": "http://127.0.0.1:9"], stderr: log
            )
            let serving = await eventually(timeoutMs: 30_000) { (try? fixture.finding("daemon"))?.status != .warn }
            #expect(serving, "the daemon did not start")
            let finding = try fixture.finding("daemon")
            #expect(finding.status == expected, "\(finding.message)")
            if expected == .fail { #expect(finding.message.contains("serves \(other)")) }
            _ = daemon.terminate()
            _ = await eventually { !daemon.isRunning }
        }
    }

    @Test("the command: text with a fix under each problem, --json, exit 1 only on failures (or warnings with --strict)")
    func command() async throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        try await fixture.installQwen(printing: "0.13.0")
        let environment: [String: String?] = ["HOME": fixture.home, "PATH": fixture.bin + ":/usr/bin:/bin", "QWEN_SYNC_SOCKET": fixture.socketPath]
        let arguments = ["doctor", "--qwen-dir", fixture.qwenDirectory]

        let usable = try await runProduct("qwen-sync", arguments, environment: environment)
        #expect(usable.exitCode == 0, "only warnings (no daemon): \(usable.standardOutput)")
        #expect(usable.standardOutput.contains("[warn] no daemon answers"))
        #expect(usable.standardOutput.contains("warning"))
        let strict = try await runProduct("qwen-sync", arguments + ["--strict"], environment: environment)
        #expect(strict.exitCode == 1)

        chmod(fixture.settings.credentialsPath, 0o644)
        let broken = try await runProduct("qwen-sync", arguments + ["--json"], environment: environment)
        #expect(broken.exitCode == 1)
        #expect(broken.standardError.isEmpty, "\(broken.standardError)")
        let document = try #require(try JSON.parse(broken.standardOutput).objectValue)
        #expect(document["ok"] == false)
        let checks = try #require(document["checks"]?.arrayValue).compactMap { $0.objectValue }
        #expect(checks.allSatisfy { Set($0.keys) == ["id", "status", "message", "fix"] })
        let credentials = try #require(checks.first { $0["id"] == "credentials_file" })
        #expect(credentials["status"] == "fail")
        #expect(credentials["fix"]?.stringValue?.contains("chmod 600") == true)
        #expect(!broken.standardOutput.contains("SECRET"))
    }
}
