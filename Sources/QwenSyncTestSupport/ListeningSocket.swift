import Glibc

/// A listening stream socket made by a test, as systemd makes one for socket activation:
/// bound, listening, close-on-exec (``ChildProcess`` passes it on explicitly). Closed when the
/// object goes away; a Unix socket's file is left for the test to look at.
public final class ListeningSocket: Sendable {
    /// The descriptor.
    public let descriptor: Int32
    /// The TCP port, for a loopback socket.
    public let port: UInt16?

    private init(descriptor: Int32, port: UInt16?) {
        self.descriptor = descriptor
        self.port = port
    }

    deinit { close(descriptor) }

    /// A Unix stream socket bound at `path` (replacing nothing: the path must be free), with `mode`.
    public static func unix(_ path: String, mode: mode_t = 0o600) throws -> ListeningSocket {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        let owned = ListeningSocket(descriptor: descriptor, port: nil)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestSupportError("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestSupportError("bind \(path): errno \(errno)") }
        chmod(path, mode)
        guard listen(descriptor, 64) == 0 else { throw TestSupportError("listen \(path): errno \(errno)") }
        return owned
    }

    /// A TCP socket on 127.0.0.1 at a free port (see ``port``).
    public static func loopbackTCP() throws -> ListeningSocket {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && listen(descriptor, 64) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw TestSupportError("bind or listen on 127.0.0.1: errno \(errno)")
        }
        return ListeningSocket(descriptor: descriptor, port: UInt16(bigEndian: address.sin_port))
    }
}
