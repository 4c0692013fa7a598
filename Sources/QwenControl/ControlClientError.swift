import QwenSyncCore

/// Why a request on the control socket got no trustworthy answer.
public enum ControlClientError: Error, Sendable, CustomStringConvertible {
    /// No daemon answers there (no socket, nobody listening, no reply, a reply that is not JSON).
    case unreachable(FileError)
    /// Something answers, or could, that must not be trusted: the socket's folder is not the
    /// user's own, or the process listening runs as another user.
    case untrusted(FileError)

    public var description: String {
        switch self {
        case .unreachable(let error), .untrusted(let error): error.description
        }
    }
}
