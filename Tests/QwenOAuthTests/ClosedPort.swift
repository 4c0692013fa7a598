import Glibc

/// A loopback port with no listener: bound once to learn a free number, then closed.
enum ClosedPort {
    /// `http://127.0.0.1:<port>` where nothing listens (connections are refused).
    static func baseURL() throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PortError() }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw PortError() }
        return "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
    }

    struct PortError: Error {}
}
