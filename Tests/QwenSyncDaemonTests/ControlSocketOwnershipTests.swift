import Glibc
import QwenControl
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// One control socket per qwen directory, owned and verified: daemons for different
/// directories never share or take over a socket, `status` notices a daemon serving another
/// directory, and clients refuse a socket folder or server that is not the user's.
@Suite("daemon: control socket ownership")
struct ControlSocketOwnershipTests {
    /// A scene with a home, a runtime directory and no socket override, so that the default
    /// socket paths are used as a user would get them.
    private struct Scene {
        let fixture: DaemonFixture
        var home: String { fixture.directory.appending("home") }
        var runtime: String { fixture.directory.appending("xdg") }
        var defaultQwen: String { home + "/.qwen" }
        var defaultSocket: String { runtime + "/qwen-sync/control.sock" }

        init() async throws {
            fixture = try await DaemonFixture()
            guard mkdir(fixture.directory.appending("home"), 0o700) == 0, mkdir(fixture.directory.appending("xdg"), 0o700) == 0 else {
                throw TestSupportError("mkdir: errno \(errno)")
            }
        }

        /// The environment of a login session: HOME and XDG_RUNTIME_DIR, no QWEN_HOME or socket.
        func environment(_ extra: [String: String?] = [:]) -> [String: String?] {
            fixture.environment(["HOME": home, "XDG_RUNTIME_DIR": runtime, "QWEN_HOME": nil, "QWEN_SYNC_SOCKET": nil].merging(extra) { $1 })
        }

        func startDaemon(_ extra: [String: String?] = [:], log name: String) throws -> (process: ChildProcess, log: String) {
            let log = fixture.directory.appending(name)
            let process = try ChildProcess(BuiltProducts.path(of: "qwen-sync"), ["daemon"], environment: environment(extra), stderr: log)
            return (process, log)
        }

        func cli(_ arguments: [String], _ extra: [String: String?] = [:]) async throws -> ProcessOutcome {
            try await runProduct("qwen-sync", arguments, environment: environment(extra))
        }
    }

    /// The qwen dir the daemon at `socket` says it serves, if one answers.
    private static func servedDirectory(at socket: String) -> String? {
        (try? ControlClient.request(.status, at: socket, timeout: .seconds(1)))?.objectValue?["qwen_dir"]?.stringValue
    }

    @Test("a daemon for another qwen dir gets its own default socket; the default dir's daemon stays reachable")
    func anotherDirectoryGetsItsOwnSocket() async throws {
        let scene = try await Scene()
        let other = scene.fixture.directory.appending("other")
        #expect(mkdir(other, 0o700) == 0)
        let first = try scene.startDaemon(log: "first.log")
        #expect(await eventually { Self.servedDirectory(at: scene.defaultSocket) == scene.defaultQwen }, "\(DaemonFixture.read(first.log) ?? "")")
        #expect(access(scene.defaultQwen, F_OK) == 0, "the default qwen dir is created")

        let second = try scene.startDaemon(["QWEN_HOME": other], log: "second.log")
        let otherSocket = scene.runtime + "/qwen-sync/" + ControlSocketLocation.fileName(qwenDirectory: other, isDefault: false)
        #expect(otherSocket != scene.defaultSocket)
        #expect(await eventually { Self.servedDirectory(at: otherSocket) == other }, "\(DaemonFixture.read(second.log) ?? "")")
        #expect(Self.servedDirectory(at: scene.defaultSocket) == scene.defaultQwen, "the first daemon's socket was not taken over")

        let asked = try await scene.cli(["status", "--json"], ["QWEN_HOME": other])
        #expect(asked.exitCode == 0)
        #expect(try JSON.parse(asked.standardOutput).objectValue?["qwen_dir"]?.stringValue == other)

        #expect(await second.process.stop() == 0)
        #expect(access(otherSocket, F_OK) != 0, "the second daemon removed its own socket")
        #expect(Self.servedDirectory(at: scene.defaultSocket) == scene.defaultQwen, "the first daemon is still reachable")
        #expect(await first.process.stop() == 0)
    }

    @Test("a daemon never takes over a socket another daemon answers on, and names that daemon")
    func liveSocketIsNotTakenOver() async throws {
        let fixture = try await DaemonFixture()
        let first = try await fixture.startDaemon()
        let before = try #require(FileIdentity.of(fixture.socketPath))
        let other = fixture.directory.appending("other")
        #expect(mkdir(other, 0o700) == 0)

        let second = try await fixture.startDaemon(environment: ["QWEN_HOME": other], waitUntilServing: false)
        #expect(await second.process.waitForExit(timeoutMs: 30_000) == 1)
        let message = DaemonFixture.read(second.log) ?? ""
        #expect(message.contains("answers on this socket"), "\(message)")
        #expect(message.contains("pid \(first.process.pid)") && message.contains(fixture.qwenDirectory), "names the daemon: \(message)")
        let after = try #require(FileIdentity.of(fixture.socketPath))
        #expect(after.inode == before.inode, "the socket file is the first daemon's still")
        #expect(fixture.ping())
        #expect(await first.process.stop() == 0)
    }

    @Test("a socket file nobody answers on is replaced; on exit a daemon leaves a socket that is no longer its own")
    func staleSocketReplacedForeignSocketKept() async throws {
        let fixture = try await DaemonFixture()
        #expect(mkdir(fixture.directory.appending("run"), 0o700) == 0)
        let stale = try Self.listeningSocket(at: fixture.socketPath)
        close(stale)  // the file stays; nobody listens: a daemon that died

        let daemon = try await fixture.startDaemon()
        #expect(fixture.ping(), "the daemon replaced the abandoned socket")

        // Someone replaces the file under the running daemon (say a socket unit started).
        #expect(unlink(fixture.socketPath) == 0)
        let replacement = try Self.listeningSocket(at: fixture.socketPath)
        defer { close(replacement) }
        let replaced = try #require(FileIdentity.of(fixture.socketPath))
        #expect(await daemon.process.stop() == 0)
        #expect(FileIdentity.of(fixture.socketPath)?.inode == replaced.inode, "the daemon removed a socket it did not create")
    }

    @Test("status asked about another qwen dir than the daemon serves says so and exits 3")
    func statusForAnotherDirectory() async throws {
        let fixture = try await DaemonFixture()
        let daemon = try await fixture.startDaemon()
        let other = fixture.directory.appending("other")
        #expect(mkdir(other, 0o700) == 0)

        let text = try await runProduct("qwen-sync", ["status"], environment: fixture.environment(["QWEN_HOME": other]))
        #expect(text.exitCode == 3)
        #expect(text.standardError.contains("serves \(fixture.qwenDirectory), not \(other)"), "\(text.standardError)")
        #expect(text.standardOutput.contains("qwen dir: \(other)"))
        let json = try await runProduct("qwen-sync", ["status", "--json"], environment: fixture.environment(["QWEN_HOME": other]))
        #expect(json.exitCode == 3)
        let root = try #require(try JSON.parse(json.standardOutput).objectValue)
        #expect(root["daemon"]?.isNull == true)
        #expect(root["qwen_dir"]?.stringValue == other)
        #expect(root["error"]?.stringValue?.contains(fixture.qwenDirectory) == true)

        // The same directory through a symlink is the same directory.
        let link = fixture.directory.appending("link")
        #expect(symlink(fixture.qwenDirectory, link) == 0)
        let linked = try await runProduct("qwen-sync", ["status"], environment: fixture.environment(["QWEN_HOME": link]))
        #expect(linked.exitCode == 0, "\(linked.standardError)")
        #expect(await daemon.process.stop() == 0)
    }

    @Test("a non-default qwen dir that does not exist is an error naming it; the default one is created 0700")
    func missingDirectory() async throws {
        let scene = try await Scene()
        let typo = scene.fixture.directory.appending("typo")
        let refused = try scene.startDaemon(["QWEN_HOME": typo], log: "typo.log")
        #expect(await refused.process.waitForExit(timeoutMs: 30_000) == 1)
        let message = DaemonFixture.read(refused.log) ?? ""
        #expect(message.contains("\(typo) does not exist"), "\(message)")
        #expect(access(typo, F_OK) != 0, "no silent mkdir")

        let daemon = try scene.startDaemon(log: "default.log")
        #expect(await eventually { Self.servedDirectory(at: scene.defaultSocket) == scene.defaultQwen })
        var status = stat()
        #expect(stat(scene.defaultQwen, &status) == 0 && status.st_mode & 0o777 == 0o700)
        #expect(await daemon.process.stop() == 0)
    }

    // MARK: Foreign owners (root only: files are chowned to, and processes run as, another uid)

    /// A uid no account uses, different per run so parallel runs do not meet in /tmp.
    private static let strangerUID = UInt32.random(in: 52_000..<60_000)
    private static var isRoot: Bool { getuid() == 0 }

    /// Runs `qwen-sync` as `uid` with only HOME set (no XDG_RUNTIME_DIR: the /tmp fallback).
    private static func runAsStranger(_ uid: UInt32, home: String, _ arguments: [String]) async throws -> ProcessOutcome {
        try await runProduct(
            "/usr/bin/setpriv",
            ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "env", "-i", "HOME=\(home)", "QWEN_SYNC_LOG=stderr", BuiltProducts.path(of: "qwen-sync")]
                + arguments
        )
    }

    @Test(
        "the /tmp fallback folder is refused when another user owns it or others can write to it",
        // chown to another uid and running as it need root; CI runs as root.
        .enabled(if: getuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0, "needs root and setpriv")
    )
    func foreignFallbackDirectoryRefused() async throws {
        let uid = Self.strangerUID
        let fixture = try await DaemonFixture()
        let home = fixture.directory.appending("stranger")
        #expect(mkdir(home, 0o700) == 0 && chown(home, uid, uid) == 0)
        #expect(chmod(fixture.directory.path, 0o755) == 0)
        let fallback = "/tmp/qwen-sync-\(uid)"
        _ = system("rm -rf '\(fallback)'")
        defer { _ = system("rm -rf '\(fallback)'") }

        // Created first by someone else (root here), even 0700: not the user's.
        #expect(mkdir(fallback, 0o700) == 0)
        let status = try await Self.runAsStranger(uid, home: home, ["status"])
        #expect(status.exitCode == 1, "\(status.standardError)")
        #expect(status.standardError.contains("\(fallback): the control socket's folder belongs to uid 0"), "\(status.standardError)")
        let daemon = try await Self.runAsStranger(uid, home: home, ["daemon"])
        #expect(daemon.exitCode == 1)
        #expect(daemon.standardError.contains("belongs to uid 0"), "\(daemon.standardError)")

        // The user's own, but writable by everyone.
        #expect(chown(fallback, uid, uid) == 0 && chmod(fallback, 0o777) == 0)
        let open = try await Self.runAsStranger(uid, home: home, ["status"])
        #expect(open.exitCode == 1)
        #expect(open.standardError.contains("writable by others"), "\(open.standardError)")

        // The user's own and private: simply no daemon (exit 3).
        #expect(chmod(fallback, 0o700) == 0)
        let fine = try await Self.runAsStranger(uid, home: home, ["status"])
        #expect(fine.exitCode == 3, "\(fine.standardError)")
    }

    @Test(
        "a client refuses a server that runs as another user (SO_PEERCRED)",
        // The fake server drops to another uid before listen(); that needs root.
        .enabled(if: getuid() == 0 && access("/usr/bin/python3", X_OK) == 0, "needs root and python3")
    )
    func foreignServerRefused() async throws {
        let fixture = try await DaemonFixture()
        #expect(mkdir(fixture.directory.appending("run"), 0o700) == 0)
        let script = """
            import os, socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(sys.argv[1])
            os.setresgid(\(Self.strangerUID), \(Self.strangerUID), \(Self.strangerUID))
            os.setresuid(\(Self.strangerUID), \(Self.strangerUID), \(Self.strangerUID))
            s.listen(4)
            print("ready", flush=True)
            while True:
                c, _ = s.accept()
                c.recv(4096)
                c.sendall(b'{"daemon":{"pid":1},"qwen_dir":"' + sys.argv[2].encode() + b'","accounts":[]}\\n')
                c.close()
            """
        let server = try ChildProcess("/usr/bin/python3", ["-c", script, fixture.socketPath, fixture.qwenDirectory], stdout: nil)
        #expect(await server.readLine(timeoutMs: 30_000) == "ready")
        let status = try await runProduct("qwen-sync", ["status"], environment: fixture.environment())
        #expect(status.exitCode == 1)
        #expect(status.standardError.contains("runs as uid \(Self.strangerUID), not as you"), "\(status.standardError)")
        #expect(!status.standardOutput.contains("running"), "nothing from the impostor is shown")
        _ = server.terminate()
    }

    /// Binds and listens on a Unix socket at `path`; the caller closes it.
    private static func listeningSocket(at path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8))
            raw[path.utf8.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(descriptor, 1) == 0 else { throw TestSupportError("bind/listen \(path): errno \(errno)") }
        return descriptor
    }
}
