import Glibc
import QwenSyncCore

/// The client side of the control socket: one request, one reply, from a daemon of the
/// current user only.
public enum ControlClient {
    /// Sends `request` to the daemon listening at `path` and returns its reply as sent.
    ///
    /// Talks only to a daemon of the current user: the socket's folder must be the user's
    /// own (see ``ControlSocketDirectory``) and the listening process must run as the user
    /// (`SO_PEERCRED`).
    ///
    /// - Throws: ``ControlClientError/unreachable(_:)`` when no daemon answers or the reply is
    ///   not JSON, ``ControlClientError/untrusted(_:)`` when the folder or the server is not
    ///   the user's.
    /// - Parameters:
    ///   - timeout: how long connecting, sending and (unless `replyTimeout` is given) waiting
    ///     for the reply may take.
    ///   - replyTimeout: how long the reply may take once the request is sent (a refresh).
    public static func request(_ request: ControlRequest, at path: String, timeout: Duration = .seconds(3), replyTimeout: Duration? = nil)
        throws(ControlClientError) -> JSONValue
    {
        do { try ControlSocketDirectory.verify(PathNormalizer.directory(of: path)) } catch {
            throw error.code == ENOENT
                ? .unreachable(FileError(path: path, reason: "no such socket (its folder does not exist)", code: ENOENT)) : .untrusted(error)
        }
        let descriptor: Int32
        do { descriptor = try UnixSocket.connect(to: path, timeout: timeout) } catch { throw .unreachable(error) }
        defer { close(descriptor) }
        guard let serverUID = UnixSocket.peerUID(descriptor), serverUID == getuid() else {
            let who = UnixSocket.peerUID(descriptor).map { "uid \($0)" } ?? "an unknown user"
            throw .untrusted(FileError(path: path, reason: "the process listening here runs as \(who), not as you (uid \(getuid())); refusing to talk to it"))
        }
        UnixSocket.writeAll(descriptor, request.json.serializedBytes(.compact) + [0x0A])
        if let replyTimeout { UnixSocket.setTimeouts(descriptor, replyTimeout) }
        let reply = UnixSocket.readAll(descriptor)
        guard let value = try? JSON.parse(reply) else {
            throw .unreachable(
                FileError(path: path, reason: reply.isEmpty ? "the daemon closed the connection without answering" : "the daemon's reply is not JSON"))
        }
        return value
    }
}
