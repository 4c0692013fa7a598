import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// A command that waits for a peer's lock tells a person at a terminal why, and stays quiet
/// for scripts.
@Suite("qwen-sync: long lock waits on a terminal")
struct CLILockWaitNoticeTests {
    static let script = "/usr/bin/script"

    /// A qwen dir with one `oauth_creds.json` to import, and its accounts lock held by a live
    /// Python peer (kept fresh: never stale, however late a starved test releases it) until
    /// ``PythonLockHolder/release(_:)``.
    static func busyQwenDir(_ directory: TemporaryDirectory) async throws -> (qwenDir: String, holder: ChildProcess) {
        let qwenDir = directory.appending("qwen")
        try SecureFile.ensureDirectory(qwenDir)
        try CredentialsFile.write(
            TestTokens.credentials(access: CLIAccountsTests.aliceToken, refresh: "rt-alice"), to: qwenDir + "/oauth_creds.json")
        let holder = try await PythonLockHolder.start(path: qwenDir + "/oauth_accounts.lock", keepFresh: true)
        return (qwenDir, holder)
    }

    @Test(
        "on a terminal, a wait over 1 s prints who holds the lock; the command then succeeds",
        .enabled(if: access(script, X_OK) == 0, "needs script(1) from util-linux to give the command a terminal"))
    func noticeOnATerminal() async throws {
        try await withTemporaryDirectory { directory in
            let (qwenDir, holder) = try await Self.busyQwenDir(directory)
            let command = "'\(BuiltProducts.path(of: "qwen-sync"))' accounts import --qwen-dir '\(qwenDir)'"
            // script -e: exit with the command's code; its output is the terminal's (\r\n line ends).
            let cli = try ChildProcess(
                Self.script, ["-qec", command, "/dev/null"], environment: ["HOME": "/nonexistent"], stdout: directory.appending("terminal"))
            // The lock goes once the notice is on the terminal, however long that took.
            try await cli.waitForOutput("waiting for oauth_accounts.lock", timeoutMs: 60_000)
            PythonLockHolder.release(holder)
            #expect(await cli.waitForExit(timeoutMs: 60_000) == 0, "\(cli.output)")
            let lines = cli.output.split(whereSeparator: \.isNewline).map(String.init)
            #expect(lines.first == "qwen-sync: waiting for oauth_accounts.lock held by pid \(holder.pid) for 1 s…", "\(lines)")
            #expect(lines.last?.hasPrefix("Imported as ") == true, "\(lines)")
            #expect(await holder.waitForExit(timeoutMs: 30_000) == 0)
        }
    }

    @Test("without a terminal the same wait prints nothing")
    func silentWithoutATerminal() async throws {
        try await withTemporaryDirectory { directory in
            let (qwenDir, holder) = try await Self.busyQwenDir(directory)
            let cli = try ChildProcess(
                BuiltProducts.path(of: "qwen-sync"), ["accounts", "import", "--qwen-dir", qwenDir], environment: ["HOME": "/nonexistent"],
                stdout: directory.appending("cli.out"), stderr: directory.appending("cli.err"))
            // It cannot finish while the live lock is held: still running after 2 s, it has waited
            // past the 1 s after which a terminal would have heard about it.
            try await Task.sleep(for: .seconds(2))
            #expect(cli.isRunning, "\(cli.errorOutput)")
            PythonLockHolder.release(holder)
            #expect(await cli.waitForExit(timeoutMs: 60_000) == 0, "\(cli.errorOutput)")
            #expect(cli.errorOutput.isEmpty, "\(cli.errorOutput)")
            #expect(cli.output.hasPrefix("Imported as "))
            #expect(await holder.waitForExit(timeoutMs: 30_000) == 0)
        }
    }
}
