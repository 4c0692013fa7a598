import Foundation
import Glibc
import QwenSyncCore

/// A loopback server that accepts one connection, records the request, and sends a canned reply.
final class OneShotServer: @unchecked Sendable {
    /// `http://127.0.0.1:<port>`.
    let baseURL: String
    private let listener: Int32
    private let reply: [UInt8]
    private let done = DispatchSemaphore(value: 0)
    private var received: [UInt8] = []

    /// Listens and answers the first request with `reply` (raw HTTP bytes) in a background thread.
    init(reply: [UInt8]) throws {
        self.reply = reply
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 && listen(fd, 1) == 0
            }
        }
        guard ready else {
            close(fd)
            throw ClosedPort.PortError()
        }
        listener = fd
        baseURL = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))"
        PosixThread.runDetached { self.serve() }
    }

    /// The request bytes, once the reply has been sent.
    func request() -> String {
        done.wait()
        return String(decoding: received, as: UTF8.self)
    }

    private func serve() {
        defer { close(listener); done.signal() }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !isComplete() {
            let count = recv(connection, &chunk, chunk.count, 0)
            guard count > 0 else { return }
            received += chunk[..<count]
        }
        DescriptorOutput.sendAll(reply, to: connection)
    }

    private func isComplete() -> Bool {
        let text = String(decoding: received, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<end.lowerBound].lowercased()
        let length =
            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingASCIIWhitespace()) } ?? 0
        return text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length
    }
}
