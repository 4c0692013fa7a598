import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The daemon hardens itself as ssh-agent and gpg-agent do: no core file with the tokens in
/// it, one daemon per qwen dir whatever is deleted, and no tokens kept in a directory others
/// can write to.
@Suite("daemon: hardening")
struct HardeningEndToEndTests {
    /// The soft core-file limit of `pid` from `/proc/<pid>/limits` ("unlimited" or a number).
    private static func coreLimit(of pid: pid_t) -> String? {
        let text = DaemonFixture.read("/proc/\(pid)/limits") ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max core file size") }) else { return nil }
        return line.dropFirst("Max core file size".count).split(separator: " ").first.map(String.init)
    }

    /// The program `pid` runs, from the first word of `/proc/<pid>/cmdline`.
    private static func commandName(of pid: pid_t) -> String? {
        (DaemonFixture.read("/proc/\(pid)/cmdline") ?? "").split(separator: "\0").first.map(String.init)
    }

    /// Allows core files of any size, unblocks every signal (a test runner's thread may block
    /// some, and a spawned child inherits that), changes to a directory and executes a program.
    private static let coreFilesAllowed = """
        import os, resource, signal, sys
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.chdir(sys.argv[1])
        os.execv(sys.argv[2], sys.argv[2:])
        """

    /// Starts `executable arguments` with core files of any size allowed, in the empty
    /// directory `cwd`, waits until the program has lowered the limit itself, sends it
    /// SIGABRT, and returns what `cwd` holds afterwards. `program` is what `executable` runs
    /// as in the end, when it hands over to another executable.
    private static func abortWithCoreFilesAllowed(
        _ fixture: DaemonFixture, _ executable: String, _ arguments: [String], cwd: String, becomes program: String? = nil,
        ready: () -> Bool = { true }
    ) async throws -> (exitCode: Int32?, files: [String]) {
        #expect(mkdir(cwd, 0o700) == 0)
        let process = try ChildProcess(
            "/usr/bin/env", ["python3", "-c", coreFilesAllowed, cwd, executable] + arguments,
            environment: fixture.environment(["SWIFT_BACKTRACE": "enable=no"]), stderr: cwd + ".log", stdinPipe: true)
        defer { process.kill() }
        // Once the program runs (the wrapper, which allowed core files, has executed it), the
        // limit must be the program's own 0.
        let running = await eventually(timeoutMs: 30_000) { commandName(of: process.pid) == (program ?? executable) && ready() }
        #expect(running, "\(executable) did not start: \(DaemonFixture.read(cwd + ".log") ?? "")")
        let lowered = await eventually(timeoutMs: 10_000) { coreLimit(of: process.pid) == "0" }
        #expect(lowered, "the core-file limit of \(executable) stayed \(coreLimit(of: process.pid) ?? "unknown")")
        process.signal(SIGABRT)
        let exitCode = await process.waitForExit(timeoutMs: 30_000)
        #expect(exitCode != nil, "still running after SIGABRT: \(DaemonFixture.read("/proc/\(process.pid)/status") ?? "")")
        return (exitCode, FileTools.list(cwd))
    }

    /// The limit each program sets itself is checked first (`/proc/<pid>/limits`); the empty
    /// directory after SIGABRT shows the effect where the kernel writes core files at all
    /// (`core_pattern` `core`; some sandboxes write none, whatever the limit).
    @Test("no core file: qwen-syncd, a qwen-sync command and the --http-exchange child, aborted where core files are allowed")
    func noCoreFiles() async throws {
        let fixture = try await DaemonFixture()
        let qwenSync = BuiltProducts.path(of: "qwen-sync")
        // `qwen-sync daemon` hands over to qwen-syncd in the same process.
        let daemon = try await Self.abortWithCoreFilesAllowed(
            fixture, qwenSync, ["daemon", "--refresh-lead", "40"], cwd: fixture.directory.appending("daemon-cwd"),
            becomes: BuiltProducts.path(of: "qwen-syncd"), ready: { fixture.ping() })
        #expect(daemon.exitCode == 128 + SIGABRT)
        #expect(daemon.files.isEmpty, "files left: \(daemon.files)")

        // `exec` waits for its request on standard input.
        let command = try await Self.abortWithCoreFilesAllowed(fixture, qwenSync, ["exec"], cwd: fixture.directory.appending("exec-cwd"))
        #expect(command.exitCode == 128 + SIGABRT)
        #expect(command.files.isEmpty, "files left: \(command.files)")

        let exchange = try await Self.abortWithCoreFilesAllowed(
            fixture, BuiltProducts.path(of: "qwen-syncd"), ["--http-exchange"], cwd: fixture.directory.appending("exchange-cwd"))
        #expect(exchange.exitCode == 128 + SIGABRT)
        #expect(exchange.files.isEmpty, "files left: \(exchange.files)")
    }

    @Test("deleting qwen-sync-daemon.lock does not let a second daemon serve the same qwen dir")
    func instanceLockSurvivesDeletion() async throws {
        let fixture = try await DaemonFixture()
        let first = try await fixture.startDaemon()
        #expect(unlink(fixture.qwenDirectory + "/qwen-sync-daemon.lock") == 0)
        let second = try await fixture.startDaemon(
            environment: ["QWEN_SYNC_SOCKET": fixture.directory.appending("run/second.sock")], waitUntilServing: false)
        #expect(await second.process.waitForExit(timeoutMs: 30_000) == 1)
        let message = DaemonFixture.read(second.log) ?? ""
        #expect(message.contains("already serves \(fixture.qwenDirectory)"), "\(message)")
        #expect(fixture.ping(), "the first daemon still serves")
        #expect(await first.process.stop() == 0)
    }

    @Test("a qwen dir writable by its group or by others is refused with the chmod go-w that fixes it, and left as it is")
    func writableDirectoryRefused() async throws {
        let fixture = try await DaemonFixture()
        for mode: mode_t in [0o770, 0o707] {
            #expect(chmod(fixture.qwenDirectory, mode) == 0)
            let daemon = try await fixture.startDaemon(waitUntilServing: false)
            #expect(await daemon.process.waitForExit(timeoutMs: 30_000) == 1)
            let message = DaemonFixture.read(daemon.log) ?? ""
            #expect(message.contains("refusing to keep tokens in it (fix: chmod go-w \(fixture.qwenDirectory))"), "\(message)")
            var status = stat()
            #expect(stat(fixture.qwenDirectory, &status) == 0 && status.st_mode & 0o777 == mode, "nothing was loosened or changed")
        }
        #expect(chmod(fixture.qwenDirectory, 0o700) == 0)
        let daemon = try await fixture.startDaemon()
        #expect(await daemon.process.stop() == 0)
    }
}

extension HardeningEndToEndTests {
    @Test(
        "an oauth_creds.json another user put in the qwen dir is reported, never adopted, and left in place",
        .enabled(if: getuid() == 0, "chown to another uid needs root")
    )
    func foreignCredentialsIgnored() async throws {
        let fixture = try await DaemonFixture()
        try fixture.loginAs("mallory", expiresInMs: 3_600_000)
        let stranger = UInt32.random(in: 52_000..<60_000)
        #expect(chown(fixture.credentialsPath, stranger, stranger) == 0)
        let daemon = try await fixture.startDaemon()
        let status = try fixture.status()
        #expect(status["accounts"]?.arrayValue?.isEmpty == true, "adopted: \(status["accounts"]?.serialized(.compact) ?? "")")
        #expect(status["credentials_problem"]?.stringValue?.contains("owned by uid \(stranger)") == true, "\(status)")
        var file = stat()
        #expect(stat(fixture.credentialsPath, &file) == 0 && file.st_uid == stranger, "the file is left as it is")
        #expect(await daemon.process.stop() == 0)
    }
}

extension HardeningEndToEndTests {
    @Test("10,000 in-place writes of oauth_creds.json by a peer cost a few hundred log lines at most, with a count of what was dropped")
    func logFloodIsCut() async throws {
        let fixture = try await DaemonFixture()
        let login = try fixture.loginAs("alice", expiresInMs: 3_600_000)
        let daemon = try await fixture.startDaemon()
        let linesBefore = (DaemonFixture.read(daemon.log) ?? "").split(separator: "\n").count
        // A peer rewriting the file in place (truncate, write), each time a newer access token.
        for index in 1...10_000 {
            let credentials = TokenFactory.credentials(
                sub: "alice", refresh: login.refreshToken, expiry: login.expiryDate + Int64(index), serial: "flood-\(index)")
            let bytes = CredentialsFile.encode(credentials)
            let descriptor = open(fixture.credentialsPath, O_WRONLY | O_TRUNC | O_CLOEXEC)
            #expect(descriptor >= 0)
            _ = DescriptorOutput.writeAll(bytes, to: descriptor)
            close(descriptor)
        }
        // The last write taken in means every event before it was handled.
        let lastExpiry = login.expiryDate + 10_000
        #expect(await eventually { (try? fixture.state())?.accounts.accounts.first?.token.expiryDate == lastExpiry })
        let log = DaemonFixture.read(daemon.log) ?? ""
        let lines = log.split(separator: "\n").count - linesBefore
        #expect(lines < 600, "\(lines) log lines for 10,000 writes")
        #expect(log.contains("similar messages suppressed"), "the dropped lines are counted")
        #expect(await daemon.process.stop() == 0)
    }
}
