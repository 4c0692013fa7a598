import Glibc

/// A TCP socket listening on 127.0.0.1 (or on every address, for tests across network namespaces).
struct ListeningSocket {
    /// The listening descriptor.
    let descriptor: Int32
    /// The bound port (the kernel's choice when 0 was asked for).
    let port: UInt16

    /// Binds 127.0.0.1:`port` (or every address's) and listens.
    /// - Parameters:
    ///   - port: the port, or 0 for an ephemeral one.
    ///   - anyAddress: bind 0.0.0.0, so clients on another interface (a veth) reach it too.
    /// - Throws: ``StandInError`` naming the failing call and errno.
    init(port: UInt16, anyAddress: Bool = false) throws(StandInError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StandInError("socket failed: errno \(errno)") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var reuse: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = anyAddress ? 0 : UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw StandInError("bind 127.0.0.1:\(port) failed: errno \(code)")
        }
        guard listen(fd, 128) == 0 else {
            let code = errno
            close(fd)
            throw StandInError("listen failed: errno \(code)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        self.port = UInt16(bigEndian: address.sin_port)
    }

    /// Waits for the next connection; `nil` when `accept` failed transiently.
    func accept() -> Int32? {
        let fd = Glibc.accept(descriptor, nil, nil)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }
}
