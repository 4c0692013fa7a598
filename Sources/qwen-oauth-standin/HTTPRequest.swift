/// One parsed HTTP/1.1 request.
struct HTTPRequest: Sendable {
    /// The method, such as `POST`.
    let method: String
    /// The request target as sent, such as `/api/v1/oauth2/token?x=1`.
    let target: String
    /// The header fields in order, names as sent.
    let headers: [(name: String, value: String)]
    /// The body (`Content-Length` bytes).
    let body: [UInt8]

    /// The target without its query string.
    var path: String { String(target.prefix { $0 != "?" }) }

    /// The first value of header `name`, compared case-insensitively.
    func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
