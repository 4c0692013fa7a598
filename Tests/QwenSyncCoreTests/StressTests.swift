import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Many real processes doing read-modify-write cycles on both files under the locks, with
/// and without SIGKILL at random points.
@Suite("Multi-process stress")
struct StressTests {
    /// The counter the stress tool keeps in both files: (accounts store, credentials).
    static func counters(_ qwenDir: String) throws -> (accounts: Int64, credentials: Int64) {
        let store = CredentialStore(settings: try settings(qwenDir))
        let state = try store.read()
        let accounts = state.accounts.unknownField("stress_counter")?.int64Value ?? 0
        let credentials = state.credentials?.extraFields["stress_counter"]?.int64Value ?? 0
        return (accounts, credentials)
    }

    /// The files are whole, valid and private, and no lock is left behind.
    static func expectCleanFiles(_ qwenDir: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let settings = try settings(qwenDir)
        #expect(CredentialsFile.read(settings.credentialsPath).credentials != nil, sourceLocation: sourceLocation)
        let accounts = try #require(FileTools.bytes(settings.accountsPath), sourceLocation: sourceLocation)
        #expect(throws: Never.self, sourceLocation: sourceLocation) { try AccountsDocument(bytes: accounts) }
        #expect(accounts.last == UInt8(ascii: "}"), "no trailing newline", sourceLocation: sourceLocation)
        #expect(FileTools.mode(settings.credentialsPath) == 0o600, sourceLocation: sourceLocation)
        #expect(FileTools.mode(settings.accountsPath) == 0o600, sourceLocation: sourceLocation)
        let locks = FileTools.list(qwenDir).filter { $0.hasSuffix(".lock") }
        #expect(locks.isEmpty, "locks left behind: \(locks)", sourceLocation: sourceLocation)
    }

    @Test("8 processes × 500 read-modify-write cycles: 0 lost updates, 0 unreadable files")
    func eightProcessesNoLostUpdates() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let workers = try (0..<8).map { index in
                try ChildProcess(
                    product: "qwen-sync-stress", ["rmw", "--qwen-dir", qwenDir, "--cycles", "500", "--delay-ms", "2"],
                    logPrefix: directory.appending("rmw\(index)"))
            }
            let reader = try ChildProcess(
                product: "qwen-sync-stress", ["verify", "--qwen-dir", qwenDir, "--reads", "3000"], logPrefix: directory.appending("verify"))
            for worker in workers {
                #expect(await worker.waitForExit(timeoutMs: 600_000) == 0, "\(worker.errorOutput)")
            }
            #expect(await reader.waitForExit(timeoutMs: 600_000) == 0, "\(reader.errorOutput)")
            let counters = try Self.counters(qwenDir)
            #expect(counters.accounts == 4_000)
            #expect(counters.credentials == 4_000)
            try Self.expectCleanFiles(qwenDir)
        }
    }

    @Test("writers killed with SIGKILL at random points: readers never see a partial file, no committed update is lost, dead holders' locks are taken over")
    func killedWriters() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            // A live holder is waited for as long as it takes: on a starved machine four writers
            // can keep one waiting past the default 5 s, which is not what this test is about.
            let writerArguments = ["write-forever", "--qwen-dir", qwenDir, "--stale-ms", "500", "--delay-ms", "2", "--max-wait-ms", "120000"]
            var serial = 0
            func spawnWriter() throws -> ChildProcess {
                serial += 1
                return try ChildProcess(product: "qwen-sync-stress", writerArguments, logPrefix: directory.appending("writer\(serial)"))
            }
            func spawnReader() throws -> ChildProcess {
                serial += 1
                return try ChildProcess(
                    product: "qwen-sync-stress", ["verify", "--qwen-dir", qwenDir, "--reads", "500"], logPrefix: directory.appending("reader\(serial)"))
            }

            var writers = try (0..<4).map { _ in try spawnWriter() }
            var readers = try (0..<2).map { _ in try spawnReader() }
            var finished: [ChildProcess] = []
            var kills = 0
            var readerRuns = 0
            let phaseEnd = WallClock.monotonicMs() + 6_000
            while WallClock.monotonicMs() < phaseEnd {
                try await Task.sleep(for: .milliseconds(Int.random(in: 50...400)))
                let victim = Int.random(in: 0..<writers.count)
                #expect(writers[victim].exitCode == nil, "writer exited by itself: \(writers[victim].errorOutput)")
                writers[victim].kill()
                kills += 1
                finished.append(writers[victim])
                writers[victim] = try spawnWriter()
                for index in readers.indices where !readers[index].isRunning {
                    #expect(readers[index].exitCode == 0, "reader saw a bad file: \(readers[index].errorOutput)")
                    readerRuns += 1
                    readers[index] = try spawnReader()
                }
            }
            for writer in writers {
                #expect(writer.exitCode == nil, "writer exited by itself: \(writer.errorOutput)")
                writer.kill()
                kills += 1
                finished.append(writer)
            }
            for reader in readers {
                #expect(await reader.waitForExit(timeoutMs: 120_000) == 0, "reader saw a bad file: \(reader.errorOutput)")
                readerRuns += 1
            }

            // Every value printed was committed by exactly one writer (no lost update) …
            let printed = finished.flatMap { $0.output.split(separator: "\n").map { Int64($0) } }
            #expect(!printed.contains(nil), "unparseable output line")
            let values = printed.compactMap { $0 }
            #expect(Set(values).count == values.count, "two writers committed the same counter value")
            let counters = try Self.counters(qwenDir)
            #expect(values.allSatisfy { $0 >= 1 && $0 <= counters.accounts })
            // … and the only unprinted commits are those of writers killed between commit and print: at most one per kill.
            let unprinted = counters.accounts - Int64(values.count)
            #expect(unprinted >= 0 && unprinted <= Int64(kills), "accounts \(counters.accounts), printed \(values.count), kills \(kills)")
            // oauth_creds.json is written first: its counter leads only by kills between the two files' writes.
            let lead = counters.credentials - counters.accounts
            #expect(lead >= 0 && lead <= Int64(kills), "accounts \(counters.accounts), credentials \(counters.credentials)")
            #expect(values.count > 20, "the writers made too little progress to prove anything")

            // A dead holder's lock must be taken over: make sure there is one.
            let settings = try settings(qwenDir)
            if !FileTools.exists(settings.credentialsLockPath) {
                let holder = try ChildProcess(
                    product: "qwen-sync-stress", ["hold-lock", "--path", settings.credentialsLockPath, "--ms", "60000", "--stale-ms", "500"],
                    logPrefix: directory.appending("holder"))
                try await holder.waitForOutput("HELD")
                holder.kill()
            }
            #expect(FileTools.exists(settings.credentialsLockPath))
            let final = try await runProduct("qwen-sync-stress", ["rmw", "--qwen-dir", qwenDir, "--cycles", "20", "--stale-ms", "500"])
            #expect(final.exitCode == 0, "\(final.standardError)")
            let after = try Self.counters(qwenDir)
            #expect(after.accounts == counters.accounts + 20)
            #expect(after.credentials == counters.credentials + 20)
            try Self.expectCleanFiles(qwenDir)
            print(
                "kill -9 stress: \(kills) kills, \(values.count) printed commits, \(unprinted) unprinted, credentials ahead by \(lead), \(readerRuns) reader runs"
            )
        }
    }
}
