import Glibc
import QwenSyncTestSupport

/// An AF_UNIX datagram socket standing in for systemd's `NOTIFY_SOCKET`.
final class NotifyReceiver {
    let path: String
    private let directory: String
    private let descriptor: Int32

    init() throws {
        var template = Array("/tmp/qwen-daemon-notify-XXXXXX".utf8CString)
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
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestSupportError("bind: errno \(errno)") }
    }

    deinit {
        close(descriptor)
        unlink(path)
        rmdir(directory)
    }

    /// Datagrams are read until one satisfies `predicate`; `nil` after `timeoutMs` without one.
    func receive(timeoutMs: Int64 = 3_000, until predicate: (String) -> Bool) -> String? {
        let deadline = monotonicMs() + timeoutMs
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let remaining = deadline - monotonicMs()
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
