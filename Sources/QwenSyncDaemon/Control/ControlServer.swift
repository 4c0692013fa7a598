import CQwenLinux
import Glibc
import QwenSyncCore

/// The daemon's control socket: a Unix stream socket, mode 0600 in a 0700 directory, that
/// answers one JSON request per connection from processes of the same user.
///
/// Protocol: the client sends one line of JSON, `{"command":"status"}`; the server answers
/// with one JSON document and closes. Unknown commands and malformed lines get
/// `{"error": "…"}`. Peers with another uid are refused (checked with `SO_PEERCRED`), and
/// clients refuse a server with another uid in turn.
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

    /// Listens on `path`, or adopts a socket passed by systemd socket activation.
    ///
    /// - Parameter inherited: a listening descriptor from `sd_listen_fds`, if any.
    /// - Throws: ``FileError`` when the socket cannot be created, its folder is not the
    ///   user's own, or another daemon answers on `path`.
    public init(path: String, inherited: Int32? = nil) throws(FileError) {
        self.path = path
        if let inherited {
            descriptor = inherited
            boundFile = nil
            _ = fcntl(inherited, F_SETFD, FD_CLOEXEC)
            return
        }
        try ControlSocketDirectory.prepare(PathNormalizer.directory(of: path))
        try Self.removeAbandonedSocket(at: path)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw FileError.system("socket", path: path) }
        let previousMask = umask(0o177)
        let bound: Int32
        do { bound = try UnixSocket.withAddress(path) { bind(descriptor, $0, $1) } } catch {
            umask(previousMask)
            close(descriptor)
            throw error
        }
        umask(previousMask)
        guard bound == 0, listen(descriptor, 16) == 0 else {
            let error = FileError.system("cannot listen", path: path)
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        boundFile = FileIdentity.of(path)
    }

    deinit {
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
        do { probe = try UnixSocket.connect(to: path, timeoutMs: 1000) } catch {
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
        if let status = (try? request(["command": "status"], at: path, timeoutMs: 1000))?.objectValue {
            let pid = status["daemon"]?.objectValue?["pid"]?.int64Value.map { "pid \($0)" } ?? "pid unknown"
            owner = " (\(pid), serving \(status["qwen_dir"]?.stringValue ?? "an unknown qwen dir"))"
        }
        throw FileError(
            path: path, reason: "another qwen-sync daemon\(owner) answers on this socket; refusing to take it over (give this one its own with --socket)")
    }

    /// Accepts one pending connection and answers it with `handler`'s reply.
    ///
    /// Runs on the daemon's loop; a client gets 500 ms to send its request line.
    public func acceptOne(_ handler: (JSONValue) -> JSONValue) {
        let client = CQwenLinux_acceptCloseOnExec(descriptor)
        guard client >= 0 else { return }
        defer { close(client) }
        UnixSocket.setTimeouts(client, milliseconds: 500)
        let reply: JSONValue
        if UnixSocket.peerUID(client) != getuid() {
            reply = ["error": "permission denied: the control socket serves its owner only"]
        } else if let line = UnixSocket.readLine(client), let request = try? JSON.parse(line) {
            reply = handler(request)
        } else {
            reply = ["error": "malformed request: send one line of JSON such as {\"command\":\"status\"}"]
        }
        UnixSocket.writeAll(client, reply.serializedBytes(.compact) + [0x0A])
    }

    /// Sends `request` to the daemon listening at `path` and returns its reply.
    ///
    /// Talks only to a daemon of the current user: the socket's folder must be the user's
    /// own (see ``ControlSocketDirectory``) and the listening process must run as the user
    /// (`SO_PEERCRED`).
    ///
    /// - Throws: ``ControlClientError/unreachable(_:)`` when no daemon answers or the reply is
    ///   not JSON, ``ControlClientError/untrusted(_:)`` when the folder or the server is not
    ///   the user's.
    public static func request(_ request: JSONValue, at path: String, timeoutMs: Int = 3000) throws(ControlClientError) -> JSONValue {
        do { try ControlSocketDirectory.verify(PathNormalizer.directory(of: path)) } catch {
            throw error.code == ENOENT
                ? .unreachable(FileError(path: path, reason: "no such socket (its folder does not exist)", code: ENOENT)) : .untrusted(error)
        }
        let descriptor: Int32
        do { descriptor = try UnixSocket.connect(to: path, timeoutMs: timeoutMs) } catch { throw .unreachable(error) }
        defer { close(descriptor) }
        guard let serverUID = UnixSocket.peerUID(descriptor), serverUID == getuid() else {
            let who = UnixSocket.peerUID(descriptor).map { "uid \($0)" } ?? "an unknown user"
            throw .untrusted(FileError(path: path, reason: "the process listening here runs as \(who), not as you (uid \(getuid())); refusing to talk to it"))
        }
        UnixSocket.writeAll(descriptor, request.serializedBytes(.compact) + [0x0A])
        let reply = UnixSocket.readAll(descriptor)
        guard let value = try? JSON.parse(reply) else {
            throw .unreachable(
                FileError(path: path, reason: reply.isEmpty ? "the daemon closed the connection without answering" : "the daemon's reply is not JSON"))
        }
        return value
    }
}
