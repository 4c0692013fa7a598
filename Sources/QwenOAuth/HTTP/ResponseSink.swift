import CCurl
import QwenSyncCore

/// Collects what libcurl delivers for one transfer: header lines and a capped body.
final class ResponseSink {
    /// Bytes of body accepted before the transfer is aborted.
    let bodyLimit: Int
    /// The body received so far.
    private(set) var body: [UInt8] = []
    /// Headers of the latest response block, by lowercased name.
    private(set) var headers: [String: String] = [:]
    /// Whether the body went over ``bodyLimit`` (the transfer was then aborted).
    private(set) var overflowed = false

    init(bodyLimit: Int) { self.bodyLimit = bodyLimit }

    /// Appends body bytes; returns the count accepted (less than `count` aborts the transfer).
    func appendBody(_ data: UnsafePointer<CChar>, _ count: Int) -> Int {
        guard body.count + count <= bodyLimit else {
            overflowed = true
            return 0
        }
        data.withMemoryRebound(to: UInt8.self, capacity: count) {
            body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
        }
        return count
    }

    /// Records one header line; a status line starts a new header block.
    func appendHeaderLine(_ data: UnsafePointer<CChar>, _ count: Int) -> Int {
        let line = data.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
        if line.hasPrefix("HTTP/") {
            headers = [:]
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            headers[name] = String(line[line.index(after: colon)...]).trimmingASCIIWhitespace()
        }
        return count
    }

    /// The `CURLOPT_WRITEFUNCTION` trampoline; `context` is an unretained `ResponseSink`.
    static let writeBody: qs_curl_data_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        return Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue().appendBody(data, size * count)
    }

    /// The `CURLOPT_HEADERFUNCTION` trampoline; `context` is an unretained `ResponseSink`.
    static let writeHeader: qs_curl_data_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        return Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue().appendHeaderLine(data, size * count)
    }
}
