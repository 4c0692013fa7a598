import Foundation
import Glibc
import QwenSyncCore
import QwenSyncTestSupport

/// A running `qwen-oauth-standin` and its admin API (a minimal HTTP/1.1 client over loopback).
///
/// The child gets `--exit-on-stdin-eof`, so it also ends when the test process dies.
final class StandIn: Sendable {
    let process: ChildProcess
    let port: UInt16
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the stand-in with extra flags, e.g. `["--expires-in", "50"]`.
    init(_ arguments: [String] = []) throws {
        process = try ChildProcess(
            BuiltProducts.path(of: "qwen-oauth-standin"), ["--port", "0", "--exit-on-stdin-eof"] + arguments,
            stdout: nil, stdinPipe: true
        )
        let prefix = "LISTENING http://127.0.0.1:"
        guard let line = process.readLine(timeoutMs: 10_000), line.hasPrefix(prefix), let port = UInt16(line.dropFirst(prefix.count)) else {
            throw TestSupportError("qwen-oauth-standin announced no URL")
        }
        self.port = port
    }

    deinit {
        process.signal(SIGTERM)
    }

    /// Creates an account `sub` on the server and returns a live refresh token for it.
    func seed(sub: String) throws -> String {
        let reply = try request("POST", "/__admin/seed", ["sub": .string(sub)])
        guard let token = reply.objectValue?["refresh_token"]?.stringValue else { throw TestSupportError("seed failed: \(reply.serialized(.compact))") }
        return token
    }

    /// Changes the server's options (`POST /__admin/config`).
    func configure(_ options: JSONValue) throws {
        let reply = try request("POST", "/__admin/config", options)
        if let error = reply.objectValue?["error"] { throw TestSupportError("config refused: \(error.serialized(.compact))") }
    }

    /// `GET /__admin/stats`.
    func stats() throws -> JSONObject {
        guard let object = try request("GET", "/__admin/stats", nil).objectValue else { throw TestSupportError("stats is not an object") }
        return object
    }

    /// One counter of the stats.
    func counter(_ name: String) throws -> Int64 { try stats()[name]?.int64Value ?? -1 }

    /// The token-endpoint request log: (grant_type, result, client) per request.
    func requests() throws -> [(grantType: String, result: String, client: String)] {
        (try stats()["requests"]?.arrayValue ?? []).compactMap { $0.objectValue }.map {
            ($0["grant_type"]?.stringValue ?? "", $0["result"]?.stringValue ?? "", $0["client"]?.stringValue ?? "")
        }
    }

    private func request(_ method: String, _ path: String, _ body: JSONValue?) throws -> JSONValue {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: errno \(errno)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestSupportError("connect to the stand-in: errno \(errno)") }
        let payload = body?.serializedBytes(.compact) ?? []
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if body != nil { head += "Content-Type: application/json\r\n" }
        head += "Content-Length: \(payload.count)\r\n\r\n"
        let bytes = Array(head.utf8) + payload
        guard bytes.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw TestSupportError("send to the stand-in failed")
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            response.append(contentsOf: chunk[..<count])
            if let split = Self.headerEnd(response), let length = Self.contentLength(response[..<split]), response.count >= split + length { break }
        }
        guard let split = Self.headerEnd(response) else { throw TestSupportError("no HTTP response from the stand-in") }
        return try JSON.parse(Array(response[split...]))
    }

    private static func headerEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index + 4
        }
        return nil
    }

    private static func contentLength(_ head: ArraySlice<UInt8>) -> Int? {
        let text = String(decoding: head, as: UTF8.self).lowercased()
        guard let range = text.range(of: "content-length:") else { return nil }
        return Int(text[range.upperBound...].prefix { $0 != "\r" }.trimmingWhitespaceForTests)
    }
}

extension StringProtocol {
    var trimmingWhitespaceForTests: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
