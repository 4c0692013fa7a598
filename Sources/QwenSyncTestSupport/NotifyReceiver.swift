import Glibc
import QwenSyncCore

/// An AF_UNIX datagram socket standing in for systemd's `NOTIFY_SOCKET`.
///
/// The socket is bound in a fresh directory under `/tmp` (not `$TMPDIR`: the path must fit in
/// the 108 bytes of `sun_path`); the socket and its directory are removed with the receiver.
public final class NotifyReceiver: Sendable {
    /// The socket's absolute path: the value for `NOTIFY_SOCKET`.
    public let path: String
    private let directory: String
    private let descriptor: Int32

    /// Creates the directory and binds the socket in it.
    ///
    /// - Throws: ``TestSupportError`` when `mkdtemp`, `socket` or `bind` fails.
    public init() throws {
        var template = Array("/tmp/qwen-sync-notify-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestSupportError("mkdtemp: errno \(errno)") }
        directory = String(cString: made)
        path = directory + "/notify.sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw TestSupportError("bind \(path): errno \(errno)") }
    }

    deinit {
        close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    /// The next datagram as text.
    ///
    /// - Parameter timeoutMs: how long to wait for it.
    /// - Returns: the datagram, or `nil` when none arrived within `timeoutMs`.
    public func receive(timeoutMs: Int64 = 2_000) -> String? {
        receive(timeoutMs: timeoutMs) { _ in true }
    }

    /// Reads datagrams, skipping the others, until one satisfies `predicate`.
    ///
    /// - Parameters:
    ///   - timeoutMs: how long to wait in all.
    ///   - predicate: whether a datagram (as text) is the one wanted.
    /// - Returns: the first datagram satisfying `predicate`, or `nil` when none arrived within
    ///   `timeoutMs`.
    public func receive(timeoutMs: Int64 = 3_000, until predicate: (String) -> Bool) -> String? {
        let deadline = WallClock.monotonicMs() + timeoutMs
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let remaining = deadline - WallClock.monotonicMs()
            guard remaining > 0 else { return nil }
            var pending = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&pending, 1, Int32(remaining)) == 1 else { return nil }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count >= 0 else { return nil }
            let datagram = String(decoding: buffer[..<count], as: UTF8.self)
            if predicate(datagram) { return datagram }
        }
    }
}
