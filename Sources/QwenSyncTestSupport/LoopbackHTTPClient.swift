import Glibc
import QwenSyncCore

/// A tiny blocking HTTP/1.1 client for 127.0.0.1, one request per connection.
///
/// Tests use it to drive the stand-in directly, to observe faults (resets, hangs) and for the
/// stand-in's admin API (``StandInServer``).
public enum LoopbackHTTPClient {
    /// Sends one request and reads the response until the server closes the connection.
    /// - Parameters:
    ///   - port: the server port on 127.0.0.1.
    ///   - method: `GET` or `POST`.
    ///   - path: the request target.
    ///   - headers: extra header fields.
    ///   - body: the body (`Content-Length` is added).
    ///   - timeout: seconds each `recv` may wait.
    /// - Throws: ``LoopbackHTTPError``.
    public static func send(
        port: UInt16, method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Double = 10
    ) throws(LoopbackHTTPError) -> LoopbackHTTPResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\n\r\n"
        return try exchange(port: port, chunks: [Array(head.utf8) + body], timeout: timeout)
    }

    /// POSTs an `application/x-www-form-urlencoded` body.
    /// - Parameters:
    ///   - port: the server port on 127.0.0.1.
    ///   - path: the request target.
    ///   - fields: the form fields in order.
    ///   - userAgent: the `User-Agent` header, if any.
    ///   - timeout: seconds each `recv` may wait.
    /// - Throws: ``LoopbackHTTPError``.
    public static func postForm(
        port: UInt16, path: String, fields: [(String, String)], userAgent: String? = nil, timeout: Double = 10
    ) throws(LoopbackHTTPError) -> LoopbackHTTPResponse {
        let body = fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        var headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")]
        if let userAgent { headers.append(("User-Agent", userAgent)) }
        return try send(port: port, method: "POST", path: path, headers: headers, body: Array(body.utf8), timeout: timeout)
    }

    /// Writes raw request bytes in `chunks` (pausing 20 ms between them) and reads the response.
    /// - Parameters:
    ///   - port: the server port on 127.0.0.1.
    ///   - chunks: the request bytes, written one piece at a time.
    ///   - timeout: seconds each `recv` may wait.
    /// - Throws: ``LoopbackHTTPError``.
    public static func exchange(port: UInt16, chunks: [[UInt8]], timeout: Double = 10) throws(LoopbackHTTPError) -> LoopbackHTTPResponse {
        let fd = try connect(port: port, timeout: timeout)
        defer { close(fd) }
        for (index, chunk) in chunks.enumerated() {
            if index > 0 { usleep(20_000) }
            // A failed send means the server stopped reading; its answer (if any) is still readable.
            guard DescriptorOutput.sendAll(chunk, to: fd) else { break }
        }
        return try parse(readAll(fd))
    }

    /// Connects and writes a `GET` now, the response to be read later (``PendingHTTPExchange``):
    /// the request then waits in the listener's backlog, as a first request does while systemd
    /// starts a socket-activated server, however slowly the server comes up.
    /// - Parameters:
    ///   - target: where the listener is.
    ///   - path: the request target.
    ///   - headers: extra header fields.
    ///   - timeout: seconds each `recv` of the response may wait.
    /// - Throws: ``LoopbackHTTPError``.
    public static func sendNow(
        to target: PendingHTTPExchange.Target, path: String, headers: [(String, String)] = [], timeout: Double = 20
    ) throws(LoopbackHTTPError) -> PendingHTTPExchange {
        var head = "GET \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\n\r\n"
        let fd: Int32
        switch target {
        case .port(let port): fd = try connect(port: port, timeout: timeout)
        case .unixSocket(let path): fd = try connect(unixSocket: path, timeout: timeout)
        }
        guard DescriptorOutput.sendAll(Array(head.utf8), to: fd) else {
            close(fd)
            throw .connectionReset
        }
        return PendingHTTPExchange(descriptor: fd)
    }

    fileprivate static func receive(_ fd: Int32) throws(LoopbackHTTPError) -> LoopbackHTTPResponse { try parse(readAll(fd)) }

    private static func connect(port: UInt16, timeout: Double) throws(LoopbackHTTPError) -> Int32 {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return try connect(family: AF_INET, to: &address, timeout: timeout)
    }

    private static func connect(unixSocket path: String, timeout: Double) throws(LoopbackHTTPError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw .connectFailed(ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in buffer.copyBytes(from: bytes) }
        return try connect(family: AF_UNIX, to: &address, timeout: timeout)
    }

    private static func connect<Address>(family: Int32, to address: inout Address, timeout: Double) throws(LoopbackHTTPError) -> Int32 {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .connectFailed(errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let seconds = Int(timeout)
        var interval = timeval(tv_sec: seconds, tv_usec: Int((timeout - Double(seconds)) * 1_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw .connectFailed(code)
        }
        return fd
    }

    private static func readAll(_ fd: Int32) throws(LoopbackHTTPError) -> [UInt8] {
        let received: [UInt8]
        do { received = try DescriptorInput.readAll(fd, limit: .max) } catch {
            switch error {
            case .readFailed(EAGAIN), .readFailed(EWOULDBLOCK): throw .timedOut
            case .readFailed(ECONNRESET): throw .connectionReset
            default: throw .closedWithoutResponse
            }
        }
        guard !received.isEmpty else { throw .closedWithoutResponse }
        return received
    }

    private static func parse(_ bytes: [UInt8]) throws(LoopbackHTTPError) -> LoopbackHTTPResponse {
        let separator = Array("\r\n\r\n".utf8)
        guard bytes.count >= 4,
            let headEnd = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(separator) })
        else { throw .malformedResponse }
        let lines = String(decoding: bytes[..<headEnd], as: UTF8.self).split(separator: "\r\n")
        let statusLine = lines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw .malformedResponse
        }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw .malformedResponse }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            headers.append((String(line[..<colon]), String(value)))
        }
        var body = Array(bytes[(headEnd + 4)...])
        if let lengthText = headers.first(where: { $0.name.lowercased() == "content-length" })?.value,
            let length = Int(lengthText)
        {
            guard body.count >= length else { throw .malformedResponse }
            body = Array(body[..<length])
        }
        return LoopbackHTTPResponse(status: status, headers: headers, body: body)
    }

    private static func formEncode(_ text: String) -> String {
        let digits = Array("0123456789ABCDEF")
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.append(Character(UnicodeScalar(byte)))
            default:
                output += "%\(digits[Int(byte >> 4)])\(digits[Int(byte & 15)])"
            }
        }
        return output
    }
}

/// Why ``LoopbackHTTPClient`` got no response.
public enum LoopbackHTTPError: Error, Equatable {
    /// `socket` or `connect` failed with this errno.
    case connectFailed(Int32)
    /// The server reset the connection.
    case connectionReset
    /// Nothing (or not everything) arrived within the timeout.
    case timedOut
    /// The server closed the connection without sending anything.
    case closedWithoutResponse
    /// The bytes received are not an HTTP/1.1 response.
    case malformedResponse
}

/// A request already written whose response is read later (``LoopbackHTTPClient/sendNow(to:path:headers:timeout:)``).
public final class PendingHTTPExchange: Sendable {
    /// Where a request goes.
    public enum Target: Sendable {
        /// A TCP port on 127.0.0.1.
        case port(UInt16)
        /// A Unix stream socket's path.
        case unixSocket(String)
    }

    private let descriptor: Int32

    fileprivate init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Reads the response until the server closes the connection.
    /// - Throws: ``LoopbackHTTPError``.
    public func response() throws(LoopbackHTTPError) -> LoopbackHTTPResponse { try LoopbackHTTPClient.receive(descriptor) }
}
