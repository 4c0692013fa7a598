import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// A command that waits for a peer's lock tells a person at a terminal why, and stays quiet
/// for scripts.
@Suite("qwen-sync: long lock waits on a terminal")
struct CLILockWaitNoticeTests {
    static let script = "/usr/bin/script"

    /// A qwen dir with one `oauth_creds.json` to import, and its accounts lock held by a Python
    /// peer for `holdSeconds`.
    static func busyQwenDir(_ directory: TemporaryDirectory, holdSeconds: Double) throws -> (qwenDir: String, holder: QwenSyncTestSupport.ChildProcess) {
        let qwenDir = directory.appending("qwen")
        try SecureFile.ensureDirectory(qwenDir)
        try CredentialsFile.write(
            TestTokens.credentials(access: CLIAccountsTests.aliceToken, refresh: "rt-alice"), to: qwenDir + "/oauth_creds.json")
        let holder = try LockWaitTests.startHolder(path: qwenDir + "/oauth_accounts.lock", holdSeconds: holdSeconds)
        return (qwenDir, holder)
    }

    @Test(
        "on a terminal, a wait over 1 s prints who holds the lock; the command then succeeds",
        .enabled(if: access(script, X_OK) == 0, "needs script(1) from util-linux to give the command a terminal"))
    func noticeOnATerminal() async throws {
        try await withTemporaryDirectory { directory in
            let (qwenDir, holder) = try Self.busyQwenDir(directory, holdSeconds: 2.5)  // one notice, at 1 s
            let command = "'\(BuiltProducts.path(of: "qwen-sync"))' accounts import --qwen-dir '\(qwenDir)'"
            // script -e: exit with the command's code; its output is the terminal's (\r\n line ends).
            let outcome = try await runProduct(
                Self.script, ["-qec", command, "/dev/null"], environment: ["QWEN_HOME": nil, "HOME": "/nonexistent"])
            #expect(outcome.exitCode == 0, "\(outcome.standardOutput)")
            let lines = outcome.standardOutput.split(whereSeparator: \.isNewline).map(String.init)
            #expect(lines.first == "qwen-sync: waiting for oauth_accounts.lock held by pid \(holder.pid) for 1 s…", "\(lines)")
            #expect(lines.last?.hasPrefix("Imported as ") == true, "\(lines)")
            #expect(await holder.waitForExit() == 0)
        }
    }

    @Test("without a terminal the same wait prints nothing")
    func silentWithoutATerminal() async throws {
        try await withTemporaryDirectory { directory in
            let (qwenDir, holder) = try Self.busyQwenDir(directory, holdSeconds: 1.8)
            let outcome = try await CLIAccountsTests.accounts(qwenDir, ["import"])
            #expect(outcome.exitCode == 0, "\(outcome.standardError)")
            #expect(outcome.standardError.isEmpty, "\(outcome.standardError)")
            #expect(outcome.standardOutput.hasPrefix("Imported as "))
            #expect(await holder.waitForExit() == 0)
        }
    }
}
