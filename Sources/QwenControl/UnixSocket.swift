import CQwenLinux
import Glibc
import QwenSyncCore

/// Small helpers over AF_UNIX stream sockets (Glibc's `sockaddr_un` handling, peer credentials).
public enum UnixSocket {
    /// The uid of the connected peer (`SO_PEERCRED`), or `nil` when it cannot be read.
    static func peerUID(_ descriptor: Int32) -> uid_t? {
        var uid: uid_t = 0
        return CQwenLinux_peerUID(descriptor, &uid) == 0 ? uid : nil
    }

    /// Calls `body` with a `sockaddr_un` for `path`.
    ///
    /// - Throws: ``FileError`` when the path does not fit (108 bytes).
    static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) throws(FileError) -> T {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw FileError(path: path, reason: "socket path longer than \(capacity - 1) bytes") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// Connects to the stream socket at `path`; each later send and receive may take `timeout`.
    ///
    /// - Throws: ``FileError`` when nothing listens there.
    public static func connect(to path: String, timeout: Duration = .seconds(2)) throws(FileError) -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw FileError.system("socket", path: path) }
        setTimeouts(descriptor, timeout)
        let result = try withAddress(path) { Glibc.connect(descriptor, $0, $1) }
        guard result == 0 else {
            let error = FileError.system("cannot connect", path: path)
            close(descriptor)
            throw error
        }
        return descriptor
    }

    /// Sets send and receive timeouts.
    static func setTimeouts(_ descriptor: Int32, _ timeout: Duration) {
        let milliseconds = Int(timeout.inMilliseconds)
        var value = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads everything until EOF; nothing when more than `limit` bytes arrive or a read fails.
    public static func readAll(_ descriptor: Int32, limit: Int = 16 << 20) -> [UInt8] {
        (try? DescriptorInput.readAll(descriptor, limit: limit)) ?? []
    }

    /// Writes all bytes (ignores a peer that went away).
    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        DescriptorOutput.sendAll(bytes, to: descriptor)
    }
}
