import Glibc
import QwenControl
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The server's non-blocking servicing with real Unix sockets, driven step by step with the
/// time it is given: no client can hold it, and every client gets a line saying why it was
/// cut off.
@Suite("control: server never waits on a client")
struct ControlServerTests {
    private let directory: TemporaryDirectory
    private let server: ControlServer
    private var path: String { directory.appending("run/control.sock") }
    private let startMs = WallClock.monotonicMs()

    init(maxConnections: Int = 128) throws {
        directory = try TemporaryDirectory(prefix: "qwen-control-test")
        var limits = ControlServer.Limits()
        limits.maxConnections = maxConnections
        server = try ControlServer(path: directory.appending("run/control.sock"), limits: limits)
    }

    /// Polls without waiting and runs one service step at `nowMs`.
    private func step(atMs nowMs: Int64, answer: (ControlRequest, ControlServer.ReplyHandle) -> JSONValue? = { _, _ in ControlReply.ok }) {
        var descriptors = server.pollDescriptors
        _ = poll(&descriptors, nfds_t(descriptors.count), 0)
        server.service(descriptors, nowMs: nowMs, answer: answer)
    }

    private func connect() throws -> Int32 { try UnixSocket.connect(to: path, timeout: .seconds(5)) }

    private func send(_ text: String, on descriptor: Int32) { UnixSocket.writeAll(descriptor, Array(text.utf8)) }

    /// Everything the server sent until it closed the connection (a reset after the data,
    /// which a close with unread request bytes causes, ends it too).
    private func reply(_ descriptor: Int32) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("a deferred answer: the connection stays open until the owner replies, a fast request is answered meanwhile, a hang-up drops it")
    func deferredReplies() throws {
        let waiting = try connect()
        let leaving = try connect()
        let pinging = try connect()
        defer { [waiting, pinging].forEach { close($0) } }
        var handles: [ControlServer.ReplyHandle] = []
        let deferRefreshes: (ControlRequest, ControlServer.ReplyHandle) -> JSONValue? = { request, handle in
            guard case .refresh = request else { return ControlReply.ok }
            handles.append(handle)
            return nil
        }
        send("{\"command\":\"refresh\",\"min_ttl_ms\":1000}\n", on: waiting)
        send("{\"command\":\"refresh\"}\n", on: leaving)
        step(atMs: startMs, answer: deferRefreshes)
        #expect(handles.count == 2)
        #expect(server.openConnections == 3, "both refreshes wait for the owner, the ping connection is open")
        send("{\"command\":\"ping\"}\n", on: pinging)
        step(atMs: startMs + 10_000, answer: deferRefreshes)
        #expect(reply(pinging) == "{\"ok\":true}\n", "a ping is answered at once while refreshes wait")
        close(leaving)
        step(atMs: startMs + 10_001, answer: deferRefreshes)
        #expect(server.openConnections == 1, "the client that hung up is dropped; the other still waits")
        server.reply(ControlReply.ok, to: handles[1], nowMs: startMs + 10_002)  // gone: nothing happens
        server.reply(["ok": true, "refreshed": true], to: handles[0], nowMs: startMs + 10_002)
        #expect(reply(waiting) == "{\"ok\":true,\"refreshed\":true}\n")
        #expect(server.openConnections == 0)
    }

    @Test("a deferred answer that never comes: at its deadline the client is told to do the work itself")
    func deferredReplyDeadline() throws {
        let waiting = try connect()
        defer { close(waiting) }
        send("{\"command\":\"refresh\"}\n", on: waiting)
        step(atMs: startMs) { _, _ in nil }
        #expect(server.pollTimeout(capping: -1, nowMs: startMs) == Int32(ControlServer.Limits().deferredReplyDeadline.inMilliseconds))
        step(atMs: startMs + ControlServer.Limits().deferredReplyDeadline.inMilliseconds) { _, _ in nil }
        let answer = try JSON.parse(Array(reply(waiting).utf8))
        #expect(ControlReply.isDeclined(answer), "\(answer)")
        #expect(server.openConnections == 0)
    }

    @Test("a silent client and one trickling its request do not delay another's answer; at the deadline each gets an error line")
    func slowClientsDoNotStall() throws {
        let silent = try connect()
        let trickling = try connect()
        let asking = try connect()
        defer { [silent, trickling, asking].forEach { close($0) } }
        send("{\"comm", on: trickling)
        send("{\"command\":\"ping\"}\n", on: asking)
        step(atMs: startMs)
        #expect(reply(asking) == "{\"ok\":true}\n")
        #expect(server.openConnections == 2)

        send("and", on: trickling)  // a byte now and then does not extend the deadline
        step(atMs: startMs + 1_999)
        #expect(server.openConnections == 2)
        #expect(server.pollTimeout(capping: -1, nowMs: startMs + 1_999) == 1)
        #expect(server.pollTimeout(capping: 60_000, nowMs: startMs) == 2_000)

        step(atMs: startMs + 2_000)
        #expect(server.openConnections == 0)
        for descriptor in [silent, trickling] {
            #expect(reply(descriptor).contains("timed out: send the request line within 2000 ms"))
        }
    }

    @Test("beyond the connection cap a new client gets a busy line at once; the others are still served")
    func connectionCap() throws {
        let capped = try ControlServerTests(maxConnections: 3)
        let held = try (0..<3).map { _ in try capped.connect() }
        let excess = try capped.connect()
        defer { (held + [excess]).forEach { close($0) } }
        capped.step(atMs: capped.startMs)
        #expect(capped.reply(excess).contains("busy: 3 control connections are open"))
        #expect(capped.server.openConnections == 3)
        capped.send("{\"command\":\"status\"}\n", on: held[1])
        capped.step(atMs: capped.startMs + 1) { request, _ in request == .status ? ["served": true] : ControlReply.error("wrong request") }
        #expect(capped.reply(held[1]) == "{\"served\":true}\n")
        #expect(capped.server.openConnections == 2)
    }

    @Test("a client that never reads a long reply is written to without blocking and dropped at the reply deadline")
    func clientThatNeverReads() throws {
        let client = try connect()
        defer { close(client) }
        send("{\"command\":\"status\"}\n", on: client)
        let huge = JSONValue.string(String(repeating: "x", count: 8 << 20))
        step(atMs: startMs) { _, _ in ["blob": huge] }  // returns: the socket buffer filled, the rest waits
        #expect(server.openConnections == 1)
        #expect(server.pollDescriptors.last?.events == Int16(POLLOUT))
        step(atMs: startMs + 2_000)
        #expect(server.openConnections == 0)
        let partial = reply(client)
        #expect(!partial.isEmpty && !partial.hasSuffix("\n"), "only part of the reply got out")
    }

    @Test("a request ended by closing the sending side is answered; a request line too long and a malformed one get an error")
    func requestShapes() throws {
        let halfClosed = try connect()
        let tooLong = try connect()
        let malformed = try connect()
        defer { [halfClosed, tooLong, malformed].forEach { close($0) } }
        send("{\"command\":\"ping\"}", on: halfClosed)
        shutdown(halfClosed, Int32(SHUT_WR))
        send("not json\n", on: malformed)
        step(atMs: startMs)
        #expect(reply(halfClosed) == "{\"ok\":true}\n")
        #expect(reply(malformed).contains("malformed request"))

        // More than 64 KiB without a newline: written in pieces, each followed by a step.
        let piece = [UInt8](repeating: 0x20, count: 16 * 1024)
        var answered = ""
        for _ in 0..<6 where answered.isEmpty {
            UnixSocket.writeAll(tooLong, piece)
            step(atMs: startMs + 1)
            if server.openConnections == 0 { answered = reply(tooLong) }
        }
        #expect(answered.contains("request too long"), "\(answered)")
    }

    @Test(
        "a client running as another user gets a permission-denied line and nothing else",
        .enabled(if: getuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0 && access("/usr/bin/python3", X_OK) == 0, "needs root, setpriv and python3")
    )
    func otherUserRefused() async throws {
        // Let a stranger reach the socket at all (the daemon's folder is 0700 and the socket 0600).
        #expect(chmod(directory.path, 0o711) == 0 && chmod(directory.appending("run"), 0o711) == 0 && chmod(path, 0o666) == 0)
        let uid = UInt32.random(in: 52_000..<60_000)
        let output = directory.appending("stranger.out")
        #expect(creat(output, 0o666) >= 0 && chmod(output, 0o666) == 0)
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b'{"command":"status"}\\n')
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk: break
                data += chunk
            sys.stdout.write(data.decode())
            """
        let stranger = try ChildProcess(
            "/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/python3", "-c", script, path], stdout: output,
            stderr: directory.appending("stranger.err"))
        defer { stranger.kill() }
        var answered: [JSONValue] = []
        let deadline = WallClock.monotonicMs() + 30_000
        while stranger.isRunning, WallClock.monotonicMs() < deadline {
            var descriptors = server.pollDescriptors
            _ = poll(&descriptors, nfds_t(descriptors.count), 50)
            server.service(descriptors, nowMs: WallClock.monotonicMs()) { request, _ in
                answered.append(request.json)
                return ["secret": "status"]
            }
        }
        #expect(stranger.exitCode == 0, "\(stranger.errorOutput)")
        #expect(stranger.output.contains("permission denied: the control socket serves its owner only"), "\(stranger.output)")
        #expect(answered.isEmpty, "the request was never handed to the daemon")
    }
}
