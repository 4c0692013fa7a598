import Glibc
import QwenSyncCore

/// The daemon's control socket: a Unix stream socket, mode 0600 in a 0700 directory, that
/// answers one JSON request per connection from processes of the same user.
///
/// Protocol: the client sends one line of JSON, `{"command":"status"}`; the server answers
/// with one JSON document and closes. Unknown commands and malformed lines get
/// `{"error": "…"}`. Peers with another uid are refused (checked with `SO_PEERCRED`).
public final class ControlServer {
    /// The listening descriptor, to poll for readability.
    public let descriptor: Int32
    /// Where it listens.
    public let path: String
    private let ownsPath: Bool

    /// Listens on `path`, or adopts a socket passed by systemd socket activation.
    ///
    /// - Parameter inherited: a listening descriptor from `sd_listen_fds`, if any.
    /// - Throws: ``FileError`` when the socket cannot be created.
    public init(path: String, inherited: Int32? = nil) throws(FileError) {
        self.path = path
        if let inherited {
            descriptor = inherited
            ownsPath = false
            _ = fcntl(inherited, F_SETFD, FD_CLOEXEC)
            return
        }
        try SecureFile.ensureDirectory(PathNormalizer.directory(of: path))
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw FileError.system("socket", path: path) }
        var status = stat()
        if lstat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFSOCK else {
                close(descriptor)
                throw FileError(path: path, reason: "exists and is not a socket; refusing to replace it")
            }
            unlink(path)  // a leftover from a daemon that died; the instance lock proves none runs
        }
        let previousMask = umask(0o177)
        let bound = try UnixSocket.withAddress(path) { bind(descriptor, $0, $1) }
        umask(previousMask)
        guard bound == 0, listen(descriptor, 16) == 0 else {
            let error = FileError.system("cannot listen", path: path)
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        ownsPath = true
    }

    deinit {
        close(descriptor)
        if ownsPath { unlink(path) }
    }

    /// Accepts one pending connection and answers it with `handler`'s reply.
    ///
    /// Runs on the daemon's loop; a client gets 500 ms to send its request line.
    public func acceptOne(_ handler: (JSONValue) -> JSONValue) {
        let client = accept(descriptor, nil, nil)
        guard client >= 0 else { return }
        defer { close(client) }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
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
    /// - Throws: ``FileError`` when no daemon answers, or the reply is not JSON.
    public static func request(_ request: JSONValue, at path: String, timeoutMs: Int = 3000) throws(FileError) -> JSONValue {
        let descriptor = try UnixSocket.connect(to: path, timeoutMs: timeoutMs)
        defer { close(descriptor) }
        UnixSocket.writeAll(descriptor, request.serializedBytes(.compact) + [0x0A])
        let reply = UnixSocket.readAll(descriptor)
        guard let value = try? JSON.parse(reply) else {
            throw FileError(path: path, reason: reply.isEmpty ? "the daemon closed the connection without answering" : "the daemon's reply is not JSON")
        }
        return value
    }
}
