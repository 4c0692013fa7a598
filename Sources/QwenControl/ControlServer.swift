import CQwenLinux
import Glibc
import QwenSyncCore

/// The daemon's control socket: a Unix stream socket, mode 0600 in a 0700 directory, that
/// answers one JSON request per connection from processes of the same user.
///
/// Protocol: the client sends one line of JSON (``ControlRequest``); the server answers with
/// one JSON document and closes. The owner answers most requests at once; a request that takes
/// longer (a refresh) it takes with a ``ReplyHandle`` and answers later with
/// ``reply(_:to:nowMs:)``, while the connection stays open for at most
/// ``Limits/deferredReplyDeadline`` (a client that disconnects meanwhile just loses its
/// answer). Unknown commands and malformed lines get `{"error": "…"}`.
/// Peers with another uid are refused (checked with `SO_PEERCRED`), and clients refuse a
/// server with another uid in turn (``ControlClient``).
///
/// The server never waits on a client: its sockets are non-blocking and serviced from the
/// daemon's `poll` set (``pollDescriptors``, ``service(_:nowMs:answer:)``); each connection has
/// a deadline to send its request and another to take the reply, and connections beyond a
/// cap are refused at once (``Limits``).
///
/// The socket file is the daemon's only while it answers on it: a daemon never replaces a
/// socket another process still listens on, replaces one nobody answers on (left by a daemon
/// that died, or by a stopped socket unit), and on exit removes the file only if it is still
/// the one it created.
public final class ControlServer {
    /// The listening descriptor, to poll for readability.
    public let descriptor: Int32
    /// Where it listens.
    public let path: String
    /// The socket file this server bound, when it bound one (not when socket-activated).
    private let boundFile: FileIdentity?
    private let limits: Limits

    /// Listens on `path`, or adopts a socket passed by systemd socket activation.
    ///
    /// - Parameters:
    ///   - inherited: a listening descriptor from `sd_listen_fds`, if any.
    ///   - limits: deadlines and caps for clients.
    /// - Throws: ``FileError`` when the socket cannot be created, its folder is not the
    ///   user's own, or another daemon answers on `path`.
    public init(path: String, inherited: Int32? = nil, limits: Limits = Limits()) throws(FileError) {
        self.path = path
        self.limits = limits
        if let inherited {
            descriptor = inherited
            boundFile = nil
            _ = fcntl(inherited, F_SETFD, FD_CLOEXEC)
            _ = fcntl(inherited, F_SETFL, fcntl(inherited, F_GETFL) | O_NONBLOCK)
            return
        }
        try ControlSocketDirectory.prepare(PathNormalizer.directory(of: path))
        try Self.removeAbandonedSocket(at: path)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw FileError.system("socket", path: path) }
        let previousMask = umask(0o177)
        let bound: Int32
        do { bound = try UnixSocket.withAddress(path) { bind(descriptor, $0, $1) } } catch {
            umask(previousMask)
            close(descriptor)
            throw error
        }
        umask(previousMask)
        guard bound == 0, listen(descriptor, Int32(limits.maxConnections)) == 0 else {
            let error = FileError.system("cannot listen", path: path)
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        boundFile = FileIdentity.of(path)
    }

    deinit {
        for connection in connections { close(connection.descriptor) }
        close(descriptor)
        // Only the file this server bound: another daemon may have replaced it meanwhile.
        if let boundFile, let current = FileIdentity.of(path), current.device == boundFile.device, current.inode == boundFile.inode {
            unlink(path)
        }
    }

    /// Removes a socket file at `path` that nobody listens on; refuses one that a live
    /// process answers on, naming the daemon when it says who it is.
    private static func removeAbandonedSocket(at path: String) throws(FileError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw FileError(path: path, reason: "exists and is not a socket; refusing to replace it")
        }
        let probe: Int32
        do { probe = try UnixSocket.connect(to: path, timeout: .seconds(1)) } catch {
            switch error.code {
            case ECONNREFUSED:
                unlink(path)  // nobody listens: a leftover
                return
            case ENOENT: return  // gone meanwhile
            default: throw FileError(path: path, reason: "cannot tell whether a daemon answers on it (\(error.reason)); refusing to replace it")
            }
        }
        close(probe)
        var owner = ""
        if let reply = try? ControlClient.request(.status, at: path, timeout: .seconds(1)) {
            let status = try? DaemonStatus(json: reply)
            owner = " (\(status.map { "pid \($0.daemon.pid)" } ?? "pid unknown"), serving \(status?.qwenDirectory ?? "an unknown qwen dir"))"
        }
        throw FileError(
            path: path, reason: "another qwen-sync daemon\(owner) answers on this socket; refusing to take it over (give this one its own with --socket)")
    }

    // MARK: Serving, never waiting on a client

    /// The descriptors the daemon's loop polls for this server: the listening socket first,
    /// then each open connection, with the event it waits for (a request or room for a reply).
    public var pollDescriptors: [pollfd] {
        [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            // A connection awaiting a deferred answer waits for nothing: only a hang-up is reported.
            + connections.map { pollfd(fd: $0.descriptor, events: $0.isAwaitingOwner ? 0 : Int16($0.reply == nil ? POLLIN : POLLOUT), revents: 0) }
    }

    /// How long the loop may sleep before ``service(_:nowMs:answer:)`` must end a connection
    /// that missed its deadline: `timeout` (a `poll` timeout, -1 for none) or less.
    public func pollTimeout(capping timeout: Int32, nowMs: Int64) -> Int32 {
        guard let deadline = connections.map(\.deadlineMs).min() else { return timeout }
        let remaining = Int32(clamping: max(0, deadline - nowMs))
        return timeout < 0 ? remaining : min(timeout, remaining)
    }

    /// One step on the daemon's loop, after `poll`: accepts what is pending, reads what
    /// arrived, answers each complete request with `answer`, writes what fits and closes the
    /// connections that are done or past their deadline. Never blocks.
    ///
    /// - Parameters:
    ///   - polled: the entries of ``pollDescriptors`` after `poll` (their `revents`).
    ///   - nowMs: the monotonic time (``WallClock/monotonicMs()``).
    ///   - answer: the reply to a request now, or `nil` when the owner answers it later
    ///     through ``reply(_:to:nowMs:)`` with the handle it was given.
    public func service(_ polled: some Collection<pollfd>, nowMs: Int64, answer: (ControlRequest, ReplyHandle) -> JSONValue?) {
        var ready = Set(polled.filter { $0.revents != 0 }.map(\.fd))
        if ready.contains(descriptor) { ready.formUnion(acceptPending(nowMs: nowMs)) }  // a request may be there already
        for index in connections.indices where ready.contains(connections[index].descriptor) || connections[index].deadlineMs <= nowMs {
            if connections[index].isAwaitingOwner {
                if connections[index].deadlineMs <= nowMs {
                    connections[index].isAwaitingOwner = false
                    connections[index].reply = Self.line(
                        ControlReply.declined("timed out: the daemon did not finish within \(limits.deferredReplyDeadline.inMilliseconds) ms; do it yourself"))
                    connections[index].deadlineMs = nowMs + limits.replyDeadline.inMilliseconds
                } else {
                    connections[index].isDone = true  // the client hung up: its answer is dropped
                    continue
                }
            }
            if connections[index].reply == nil, !connections[index].isAwaitingOwner { receive(&connections[index], nowMs: nowMs, answer: answer) }
            if connections[index].reply != nil { send(&connections[index]) }
            if connections[index].deadlineMs <= nowMs, !connections[index].isDone {
                connections[index].isDone = true  // a client that neither sends nor reads in time
            }
        }
        for connection in connections where connection.isDone { close(connection.descriptor) }
        connections.removeAll(where: \.isDone)
    }

    /// Sends the answer to a request the owner took with `handle`; nothing when its client
    /// has gone or its deadline has passed. Never blocks: what does not fit now is written by
    /// ``service(_:nowMs:answer:)``.
    public func reply(_ reply: JSONValue, to handle: ReplyHandle, nowMs: Int64) {
        guard let index = connections.firstIndex(where: { $0.id == handle.id && $0.isAwaitingOwner }) else { return }
        connections[index].isAwaitingOwner = false
        connections[index].reply = Self.line(reply)
        connections[index].deadlineMs = nowMs + limits.replyDeadline.inMilliseconds
        send(&connections[index])
        if connections[index].isDone {
            close(connections[index].descriptor)
            connections.remove(at: index)
        }
    }

    /// The connections open now (tests, diagnostics).
    public var openConnections: Int { connections.count }

    /// Names one connection whose request the owner answers later (``reply(_:to:nowMs:)``).
    public struct ReplyHandle: Sendable, Hashable {
        /// Unique for the server's lifetime (descriptors are reused, these never are).
        public let id: UInt64

        /// The handle with this `id` (as the owner kept it).
        public init(id: UInt64) { self.id = id }
    }

    /// One client connection, from accept to close.
    private struct Connection {
        let id: UInt64
        let descriptor: Int32
        /// When the request must have arrived, then when the reply must have been taken.
        var deadlineMs: Int64
        var received: [UInt8] = []
        /// The reply line once the request is answered.
        var reply: [UInt8]?
        var sent = 0
        var isDone = false
        /// The peer runs as another user: every request gets "permission denied".
        var isForeign = false
        /// The owner took the request and answers it later.
        var isAwaitingOwner = false
    }

    private var connections: [Connection] = []
    private var lastConnectionID: UInt64 = 0

    /// Accepts every pending connection; beyond ``Limits/maxConnections`` each new one gets
    /// an error line at once and is closed.
    ///
    /// - Returns: the descriptors of the connections it added.
    private func acceptPending(nowMs: Int64) -> [Int32] {
        var accepted: [Int32] = []
        while true {
            let client: Int32
            do { client = try SystemCall.retrying { CQwenLinux_acceptCloseOnExec(descriptor) } } catch {
                if error.code == ECONNABORTED { continue }
                return accepted  // EAGAIN: nothing more pending (or a resource shortage: try next time)
            }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            lastConnectionID += 1
            var connection = Connection(id: lastConnectionID, descriptor: client, deadlineMs: nowMs + limits.requestDeadline.inMilliseconds)
            if connections.count >= limits.maxConnections {
                connection.reply = Self.line(ControlReply.error("busy: \(limits.maxConnections) control connections are open; try again"))
                send(&connection)
                close(client)
                continue
            }
            // Another user's request is read like any other (so its sender sees no broken
            // pipe) but never handed to the daemon.
            connection.isForeign = UnixSocket.peerUID(client) != getuid()
            connections.append(connection)
            accepted.append(client)
        }
    }

    /// Reads what the client sent; once its line is complete (or it closed its end, or sent
    /// too much), answers it and starts the reply's deadline.
    private func receive(_ connection: inout Connection, nowMs: Int64, answer: (ControlRequest, ReplyHandle) -> JSONValue?) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        var ended = false
        while connection.received.count <= limits.maxRequestBytes, !connection.received.contains(0x0A) {
            let descriptor = connection.descriptor
            let count: Int
            do { count = try SystemCall.retrying { chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) } } } catch {
                if error.wouldBlock { break }
                count = -1  // the client is gone
            }
            guard count > 0 else {
                ended = true
                break
            }
            connection.received.append(contentsOf: chunk[..<count])
        }
        let handle = ReplyHandle(id: connection.id)
        let reply: JSONValue?
        if let newline = connection.received.firstIndex(of: 0x0A), newline <= limits.maxRequestBytes {
            reply = Self.reply(to: Array(connection.received[..<newline]), foreign: connection.isForeign, handle: handle, answer: answer)
        } else if connection.received.count > limits.maxRequestBytes {
            reply = ControlReply.error("request too long: send one line of JSON of at most \(limits.maxRequestBytes / 1024) KiB")
        } else if ended {
            reply = Self.reply(to: connection.received, foreign: connection.isForeign, handle: handle, answer: answer)
        } else if connection.deadlineMs <= nowMs {
            reply = ControlReply.error("timed out: send the request line within \(limits.requestDeadline.inMilliseconds) ms of connecting")
        } else {
            return  // more to come
        }
        guard let reply else {
            connection.isAwaitingOwner = true
            connection.deadlineMs = nowMs + limits.deferredReplyDeadline.inMilliseconds
            return
        }
        connection.reply = Self.line(reply)
        connection.deadlineMs = nowMs + limits.replyDeadline.inMilliseconds
    }

    /// The answer to a request line (`nil`: the owner answers later); another user's gets
    /// "permission denied", whatever it says.
    private static func reply(
        to line: [UInt8], foreign: Bool, handle: ReplyHandle, answer: (ControlRequest, ReplyHandle) -> JSONValue?
    ) -> JSONValue? {
        guard !foreign else { return ControlReply.error("permission denied: the control socket serves its owner only") }
        do { return answer(try ControlRequest(line: line), handle) } catch { return ControlReply.error(error.description) }
    }

    /// Writes as much of the reply as the socket takes now; done when all of it is out or
    /// the client is gone.
    private func send(_ connection: inout Connection) {
        guard let reply = connection.reply else { return }
        while connection.sent < reply.count {
            let (descriptor, sent) = (connection.descriptor, connection.sent)
            let count: Int
            do {
                count = try SystemCall.retrying {
                    reply.withUnsafeBytes { bytes in
                        Glibc.send(descriptor, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                    }
                }
            } catch {
                if error.wouldBlock { return }
                break  // the client went away
            }
            guard count > 0 else { break }  // the client went away
            connection.sent += count
        }
        connection.isDone = true
    }

    private static func line(_ reply: JSONValue) -> [UInt8] { reply.serializedBytes(.compact) + [0x0A] }
}

extension ControlServer {
    /// How long and how many clients may occupy the server.
    public struct Limits: Sendable {
        /// From connecting to the end of the request line.
        public var requestDeadline = Duration.seconds(2)
        /// From the answer to the client having taken all of it.
        public var replyDeadline = Duration.seconds(2)
        /// From a request the owner answers later to its answer; then the client gets a
        /// "timed out" reply telling it to do the work itself. Below the clients' own wait
        /// (``ControlClient/refreshReplyTimeout``).
        public var deferredReplyDeadline = Duration.seconds(35)
        /// Open connections at once; more are refused with an error line.
        public var maxConnections = 128
        /// The longest request line.
        public var maxRequestBytes = 64 * 1024

        /// The defaults: 2 s to send the request, 2 s to take the reply, 35 s for an answer the
        /// owner gives later, 128 connections, 64 KiB.
        public init() {}
    }
}
