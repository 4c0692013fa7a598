import Glibc
import QwenSyncCore
import QwenSystemd

/// One listening socket of the endpoint: bound by the endpoint itself, or passed by systemd
/// (socket activation, `qwen-sync-serve.socket`).
enum ServeListener: Sendable, Equatable {
    /// Bind loopback TCP (or the host given) at `port` (0: any free port).
    case tcp(host: String, port: Int)
    /// Bind a Unix socket at `path`, mode 0600, replacing a stale one; removed at exit.
    case unix(path: String)
    /// A listening socket systemd passed: already bound and listening, left in place at exit.
    case inherited(descriptor: Int32, family: Family)

    /// The address family of an inherited socket, which decides its access rule.
    enum Family: Sendable, Equatable {
        /// `AF_UNIX`: the peer's uid must be ours (SO_PEERCRED).
        case unix
        /// `AF_INET`/`AF_INET6`: the API key is required.
        case internet
    }

    /// The sockets to serve on: the ones systemd passed when socket-activated, else the TCP
    /// port and the Unix socket of `configuration`.
    ///
    /// - Throws: ``ServeError`` when a passed descriptor is not a listening stream socket of a
    ///   family the endpoint serves.
    static func resolve(_ configuration: ServeConfiguration) throws(ServeError) -> [ServeListener] {
        let passed: [Int32]
        do { passed = try SystemdNotifier().listenFDs() } catch { throw activationError("\(error)") }
        guard !passed.isEmpty else {
            return [.tcp(host: configuration.host, port: configuration.port), .unix(path: configuration.socketPath)]
        }
        return try passed.map { descriptor throws(ServeError) in
            guard let family = family(of: descriptor) else {
                throw activationError("descriptor \(descriptor) is not a listening AF_UNIX, AF_INET or AF_INET6 stream socket")
            }
            return .inherited(descriptor: descriptor, family: family)
        }
    }

    /// The family of a listening stream socket, by `getsockname` (never by the order systemd
    /// passed them in); `nil` for anything else.
    static func family(of descriptor: Int32) -> Family? {
        var type: Int32 = 0
        var accepting: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &size) == 0, type == Int32(SOCK_STREAM.rawValue) else { return nil }
        size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &size) == 0, accepting == 1 else { return nil }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        switch Int32(address.ss_family) {
        case AF_UNIX: return .unix
        case AF_INET, AF_INET6: return .internet
        default: return nil
        }
    }

    private static func activationError(_ reason: String) -> ServeError {
        ServeError(status: 500, type: "api_error", code: "socket_activation", message: "socket activation: \(reason)")
    }
}
