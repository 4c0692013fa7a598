import QwenSyncCore

/// A response read by ``LoopbackHTTPClient``.
struct LoopbackHTTPResponse: Sendable {
    /// The status code.
    let status: Int
    /// The header fields in order.
    let headers: [(name: String, value: String)]
    /// The body bytes.
    let body: [UInt8]

    /// The body as UTF-8 text.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The first value of header `name`, compared case-insensitively.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body parsed as JSON.
    /// - Throws: `JSONParseError` when the body is not JSON.
    func json() throws -> JSONValue { try JSON.parse(body) }

    /// `error` of a JSON error body, or `nil`.
    var oauthError: String? { (try? json())?.objectValue?["error"]?.stringValue }
}
