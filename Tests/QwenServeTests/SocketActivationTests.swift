import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `qwen-sync-serve` started as systemd starts it from `qwen-sync-serve.socket`: the listening
/// sockets made beforehand and passed as descriptors 3 and 4 with `LISTEN_FDS`/`LISTEN_PID`.
@Suite("serve, socket-activated")
struct SocketActivationTests {
    /// The passed sockets in the order given, the endpoint running on them, its files.
    struct Activated {
        let directory: TemporaryDirectory
        let unix: ListeningSocket
        let tcp: ListeningSocket
        let serve: ChildProcess
        /// The requests written before the endpoint started (``start(tcpFirst:idleExitSeconds:queue:)``).
        let queued: [PendingHTTPExchange]
        var socketPath: String { directory.appending("run/serve.sock") }
        var countsPath: String {
            get throws {
                let settings = try Settings.resolve(
                    qwenDir: directory.appending("qwen"), socket: directory.appending("run/control.sock"), environment: ProcessEnvironment([:]))
                return ServeLocation.countsPath(settings: settings)
            }
        }

        /// Passes the sockets in `order` (the TCP one first when `tcpFirst`): the endpoint must
        /// tell them apart by family, not by position. `queue` writes requests before the
        /// endpoint starts (given the Unix socket's path and the TCP port): they wait in the
        /// backlogs as under systemd, so a quiet period cannot end before they arrive.
        static func start(
            tcpFirst: Bool, idleExitSeconds: Int = 0,
            queue: (String, UInt16) throws -> [PendingHTTPExchange] = { _, _ in [] }
        ) async throws -> Activated {
            let directory = try TemporaryDirectory()
            mkdir(directory.appending("run"), 0o700)
            mkdir(directory.appending("qwen"), 0o700)
            let unix = try ListeningSocket.unix(directory.appending("run/serve.sock"))
            let tcp = try ListeningSocket.loopbackTCP()
            let queued = try queue(directory.appending("run/serve.sock"), try #require(tcp.port))
            // `exec` keeps the shell's pid, so LISTEN_PID names the endpoint as systemd's does.
            let serve = try ChildProcess(
                "/bin/sh", ["-c", #"LISTEN_PID=$$; export LISTEN_PID; exec "$0""#, BuiltProducts.path(of: "qwen-sync-serve")],
                environment: [
                    "QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_SOCKET": directory.appending("run/control.sock"),
                    "LISTEN_FDS": "2", "LISTEN_FDNAMES": tcpFirst ? "tcp:unix" : "unix:tcp",
                    // Another port and path than the passed ones: a server that binds its own fails the test.
                    "QWEN_SYNC_SERVE_PORT": "1", "QWEN_SYNC_SERVE_SOCKET": directory.appending("own.sock"),
                    "QWEN_SYNC_SERVE_IDLE_EXIT": String(idleExitSeconds),
                ],
                stdout: nil, stderr: directory.appending("serve.err"),
                passing: tcpFirst ? [tcp.descriptor, unix.descriptor] : [unix.descriptor, tcp.descriptor])
            guard let line = await serve.readLine(timeoutMs: 30_000) else {
                let errors = (try? SecureFile.read(directory.appending("serve.err")))?.bytes ?? []
                throw TestSupportError("qwen-sync-serve announced nothing: \(String(decoding: errors, as: UTF8.self))")
            }
            #expect(line == "LISTENING http://127.0.0.1:\(try #require(tcp.port))/v1")
            return Activated(directory: directory, unix: unix, tcp: tcp, serve: serve, queued: queued)
        }

        var key: String {
            get throws {
                let bytes = try #require(try SecureFile.read(directory.appending("qwen/qwen-sync-serve.key"))).bytes
                return String(decoding: bytes, as: UTF8.self).trimmingASCIIWhitespace()
            }
        }

        func overTCP(key: String?) throws -> LoopbackHTTPResponse {
            try LoopbackHTTPClient.send(
                port: try #require(tcp.port), method: "GET", path: "/v1/models", headers: key.map { [("Authorization", "Bearer \($0)")] } ?? [])
        }

        func overUnixSocket(_ path: String) async throws -> String {
            try await runProduct("/usr/bin/curl", ["-s", "--max-time", "20", "--unix-socket", socketPath, "http://localhost" + path]).standardOutput
        }

        /// `qwen-sync status --json`'s `serve` object (no daemon runs: the summary from the files).
        func statusServe() async throws -> JSONObject? {
            let outcome = try await runProduct("qwen-sync", ["status", "--json"], environment: environment)
            #expect(outcome.exitCode == 3, "\(outcome.standardError)")
            return try JSON.parse(outcome.standardOutput).objectValue?["serve"]?.objectValue
        }

        var environment: [String: String?] {
            ["QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_SOCKET": directory.appending("run/control.sock")]
        }

        func tearDown() {
            serve.kill()
            directory.remove()
        }
    }

    @Test("the passed sockets are served whatever their order: Unix without a key, TCP only with it; nothing is bound besides", arguments: [false, true])
    func servesPassedSockets(tcpFirst: Bool) async throws {
        let activated = try await Activated.start(tcpFirst: tcpFirst)
        defer { activated.tearDown() }
        #expect(try await activated.overUnixSocket("/v1/models").contains("coder-model"))
        #expect(try activated.overTCP(key: activated.key).text.contains("coder-model"))
        let denied = try activated.overTCP(key: "qsk-wrong")
        #expect(denied.status == 401)
        #expect(try activated.overTCP(key: nil).status == 401)
        #expect(access(activated.directory.appending("own.sock"), F_OK) != 0, "bound a socket of its own")
        // status reads the counts file while the endpoint runs (written within ~250 ms).
        let countsPath = try activated.countsPath
        let counted = await eventually(timeoutMs: 10_000) {
            let file = (try? SecureFile.read(countsPath)).flatMap { $0 }
            return file.flatMap { try? JSON.parse($0.bytes).objectValue?["requests"]?.int64Value } == 4
        }
        #expect(counted)
        let serve = try await activated.statusServe()
        #expect(serve?["requests"]?.int64Value == 4)
        #expect(serve?["running"]?.boolValue == true)
        #expect(serve?["errors"]?.objectValue?["unauthorized"]?.int64Value == 2)
    }

    @Test("after the quiet period it exits 0, leaving the passed Unix socket in place, and writes its counts")
    func quietPeriod() async throws {
        let activated = try await Activated.start(tcpFirst: false, idleExitSeconds: 1) { unixPath, port in
            [
                try LoopbackHTTPClient.sendNow(to: .unixSocket(unixPath), path: "/healthz"),
                try LoopbackHTTPClient.sendNow(to: .port(port), path: "/v1/models"),
            ]
        }
        defer { activated.tearDown() }
        #expect(try activated.queued[0].response().text.contains("ok"))
        #expect(try activated.queued[1].response().status == 401)
        #expect(await activated.serve.waitForExit(timeoutMs: 30_000) == 0)
        var status = stat()
        #expect(lstat(activated.socketPath, &status) == 0 && status.st_mode & S_IFMT == S_IFSOCK, "the socket systemd owns was removed")
        let file = try #require(try SecureFile.read(try activated.countsPath))
        let counts = try #require(try JSON.parse(file.bytes).objectValue)
        #expect(counts["requests"]?.int64Value == 2)
        #expect(counts["errors"]?.objectValue?["unauthorized"]?.int64Value == 1)
        #expect(counts["pid"]?.int64Value == Int64(activated.serve.pid))
        #expect(counts["last_request_at"]?.stringValue != nil)
        #expect(try await activated.statusServe()?["running"]?.boolValue == false)
        let text = try await runProduct("qwen-sync", ["status"], environment: activated.environment)
        #expect(text.standardOutput.contains("serve: not running, 2 requests (1 errors), 0 CLI fallbacks"), "\(text.standardOutput)")
    }

    @Test("a passed descriptor that is not a listening stream socket: exit 1, saying so, nothing bound")
    func notASocket() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        mkdir(directory.appending("qwen"), 0o700)
        let file = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(file) }
        let serve = try ChildProcess(
            "/bin/sh", ["-c", #"LISTEN_PID=$$; export LISTEN_PID; exec "$0""#, BuiltProducts.path(of: "qwen-sync-serve")],
            environment: [
                "QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_SOCKET": directory.appending("control.sock"), "LISTEN_FDS": "1",
                "QWEN_SYNC_SERVE_PORT": "0", "QWEN_SYNC_SERVE_SOCKET": directory.appending("own.sock"),
            ],
            stderr: directory.appending("serve.err"), passing: [file])
        #expect(await serve.waitForExit(timeoutMs: 30_000) == 1)
        #expect(serve.errorOutput.contains("socket activation: descriptor 3 is not a listening"), "\(serve.errorOutput)")
        #expect(access(directory.appending("own.sock"), F_OK) != 0)
    }

    @Test("status before the endpoint ever ran: serve is null and no serve line")
    func statusWithoutEndpoint() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        mkdir(directory.appending("qwen"), 0o700)
        let environment: [String: String?] = ["QWEN_HOME": directory.appending("qwen"), "QWEN_SYNC_SOCKET": directory.appending("control.sock")]
        let json = try await runProduct("qwen-sync", ["status", "--json"], environment: environment)
        let document = try #require(try JSON.parse(json.standardOutput).objectValue)
        #expect(document["serve"] == .null)
        let text = try await runProduct("qwen-sync", ["status"], environment: environment)
        #expect(!text.standardOutput.contains("serve:"), "\(text.standardOutput)")
    }
}
