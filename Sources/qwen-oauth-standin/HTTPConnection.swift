import Glibc
import QwenSyncCore

/// One accepted TCP connection: reads a request, writes a response, closes.
struct HTTPConnection {
    /// The largest request (head and body) accepted: 1 MiB.
    static let maxRequestBytes = 1 << 20

    /// The connected socket.
    let descriptor: Int32

    /// Sets the receive timeout that bounds every `read`.
    func setReceiveTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Reads one request, handling partial reads and `Expect: 100-continue`.
    /// - Throws: ``RequestReadError`` when the request is incomplete, too large or malformed.
    func readRequest() throws(RequestReadError) -> HTTPRequest {
        var buffer: [UInt8] = []
        var headEnd: Int?
        while headEnd == nil {
            let searchFrom = max(0, buffer.count - 3)
            guard try readChunk(into: &buffer) else { throw .closed }
            headEnd = Self.find(Array("\r\n\r\n".utf8), in: buffer, from: searchFrom)
            if headEnd == nil, buffer.count > Self.maxRequestBytes { throw .tooLarge }
        }
        let bodyStart = headEnd! + 4
        let (method, target, headers) = try Self.parseHead(buffer[..<headEnd!])
        let request = HTTPRequest(method: method, target: target, headers: headers, body: [])
        if request.header("Transfer-Encoding") != nil { throw .lengthRequired }
        let lengthText = request.header("Content-Length") ?? "0"
        guard let length = Int(lengthText.trimmingASCIIWhitespace()), length >= 0 else { throw .malformed }
        guard length <= Self.maxRequestBytes - bodyStart else { throw .tooLarge }
        if request.header("Expect")?.lowercased() == "100-continue", buffer.count - bodyStart < length {
            write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
        while buffer.count - bodyStart < length {
            guard try readChunk(into: &buffer) else { throw .closed }
        }
        return HTTPRequest(
            method: method, target: target, headers: headers,
            body: Array(buffer[bodyStart..<(bodyStart + length)])
        )
    }

    /// Writes all of `bytes`, ignoring a peer that has gone away.
    func write(_ bytes: [UInt8]) {
        DescriptorOutput.sendAll(bytes, to: descriptor)
    }

    /// Sends `response` and closes the connection gracefully.
    func respond(_ response: HTTPResponse) {
        write(response.serialized)
        shutdown(descriptor, Int32(SHUT_WR))
        close(descriptor)
    }

    /// Closes the connection with a TCP reset and no response.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(descriptor)
    }

    /// Never answers: waits until the peer closes the connection, then closes it.
    func hang() {
        var scratch = [UInt8](repeating: 0, count: 4096)
        while true {
            do {
                if try SystemCall.retrying({ read(descriptor, &scratch, scratch.count) }) == 0 { break }
            } catch  where error.wouldBlock {
                continue
            } catch {
                break
            }
        }
        close(descriptor)
    }

    /// Appends what one `read` returns; `false` at end of stream.
    private func readChunk(into buffer: inout [UInt8]) throws(RequestReadError) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count: Int
        do { count = try SystemCall.retrying { read(descriptor, &chunk, chunk.count) } } catch {
            throw error.wouldBlock ? .timedOut : .closed
        }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= haystack.count {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    private static func parseHead(
        _ head: ArraySlice<UInt8>
    ) throws(RequestReadError) -> (String, String, [(name: String, value: String)]) {
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { throw .malformed }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingASCIIWhitespace()))
        }
        return (String(requestLine[0]), String(requestLine[1]), headers)
    }
}
