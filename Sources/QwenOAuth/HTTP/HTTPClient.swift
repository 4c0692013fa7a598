import CCurl
import Glibc
import QwenSyncCore

/// A blocking HTTP client over libcurl's easy interface.
///
/// Each call runs one transfer on the calling thread and returns when it is complete or has
/// failed: the daemon is a single poll loop and the CLI is short-lived, so nothing here is
/// asynchronous. Every transfer is bounded by ``connectTimeout`` and a total timeout, so a
/// refresh made under `oauth_creds.lock` cannot outlive the 10 s the other clients wait
/// before they judge the lock stale. Redirects are not followed. libcurl is loaded on the
/// first request (``LibCurl``), so commands that make none never load it.
public struct HTTPClient: Sendable {
    /// The largest response body accepted (1 MiB); a bigger one fails the request.
    public static let responseBodyLimit = 1 << 20

    /// The `User-Agent` header value, e.g. `qwen-sync/1.0.0`.
    public var userAgent: String
    /// The longest wait for the TCP (and TLS) connection.
    public var connectTimeout: Duration

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - userAgent: the `User-Agent` header value.
    ///   - connectTimeout: the longest wait for a connection (default 3 s).
    public init(userAgent: String, connectTimeout: Duration = .seconds(3)) {
        self.userAgent = userAgent
        self.connectTimeout = connectTimeout
    }

    /// POSTs `fields` form-encoded to `url` and returns the response, whatever its status.
    ///
    /// Sends `Accept: application/json` and the client's `User-Agent` in addition to
    /// `headers`. An HTTP error status is a normal result, not a thrown error.
    ///
    /// - Parameters:
    ///   - url: an `http` or `https` URL.
    ///   - fields: the form fields, in order.
    ///   - headers: extra request headers by name.
    ///   - timeout: the longest the whole request may take (default 8 s).
    /// - Throws: ``HTTPTransportError`` when no complete response arrived in time, or
    ///   (kind ``HTTPTransportError/Kind/libraryMissing``) when libcurl cannot be loaded.
    public func postForm(
        url: String,
        fields: [(String, String)],
        headers: [String: String] = [:],
        timeout: Duration = .seconds(8)
    ) throws(HTTPTransportError) -> HTTPResponse {
        let curl: LibCurl
        switch LibCurl.shared {
        case .success(let loaded): curl = loaded
        case .failure(let error): throw HTTPTransportError(.libraryMissing, error.description)
        }
        guard let handle = curl.easyInit() else {
            throw HTTPTransportError(.other, "could not create a libcurl handle")
        }
        defer { curl.easyCleanup(handle) }

        var headerLines = [
            "Content-Type: application/x-www-form-urlencoded",
            "Accept: application/json",
            "User-Agent: \(userAgent)",
            "Expect:",
        ]
        headerLines += headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in headerLines { list = curl.slistAppend(list, line) }
        defer { curl.slistFreeAll(list) }

        let sink = ResponseSink(bodyLimit: Self.responseBodyLimit)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let body = FormEncoder.encode(fields)
        let totalMilliseconds = timeout.milliseconds
        var setup = CURLE_OK
        func set(_ result: CURLcode) { if setup == CURLE_OK { setup = result } }
        let setopt = curl.easySetopt
        set(qs_curl_setopt_str(setopt, handle, CURLOPT_URL, url))
        set(qs_curl_setopt_str(setopt, handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(qs_curl_setopt_long(setopt, handle, CURLOPT_NOSIGNAL, 1))
        set(qs_curl_setopt_long(setopt, handle, CURLOPT_CONNECTTIMEOUT_MS, connectTimeout.milliseconds))
        set(qs_curl_setopt_long(setopt, handle, CURLOPT_TIMEOUT_MS, totalMilliseconds))
        set(qs_curl_setopt_slist(setopt, handle, CURLOPT_HTTPHEADER, list))
        set(qs_curl_setopt_long(setopt, handle, CURLOPT_POSTFIELDSIZE, body.utf8.count))
        set(qs_curl_setopt_str(setopt, handle, CURLOPT_COPYPOSTFIELDS, body))
        set(qs_curl_setopt_write_function(setopt, handle, ResponseSink.writeBody))
        set(qs_curl_setopt_ptr(setopt, handle, CURLOPT_WRITEDATA, context))
        set(qs_curl_setopt_header_function(setopt, handle, ResponseSink.writeHeader))
        set(qs_curl_setopt_ptr(setopt, handle, CURLOPT_HEADERDATA, context))
        guard setup == CURLE_OK else {
            throw HTTPTransportError(.other, "could not configure the request: \(curl.text(of: setup))")
        }

        let result = withExtendedLifetime(sink) { curl.easyPerform(handle) }
        guard result == CURLE_OK else {
            throw Self.transportError(result, curl: curl, handle: handle, sink: sink, url: url, timeoutMilliseconds: totalMilliseconds)
        }
        var status = 0
        _ = qs_curl_getinfo_long(curl.easyGetinfo, handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    /// Turns a failed transfer into a secret-free ``HTTPTransportError``.
    private static func transportError(
        _ code: CURLcode,
        curl: LibCurl,
        handle: UnsafeMutableRawPointer,
        sink: ResponseSink,
        url: String,
        timeoutMilliseconds: Int
    ) -> HTTPTransportError {
        var osErrno = 0
        _ = qs_curl_getinfo_long(curl.easyGetinfo, handle, CURLINFO_OS_ERRNO, &osErrno)
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            var connectMicroseconds: curl_off_t = 0
            _ = qs_curl_getinfo_off_t(curl.easyGetinfo, handle, CURLINFO_CONNECT_TIME_T, &connectMicroseconds)
            if connectMicroseconds == 0 {
                return HTTPTransportError(.timedOut, "could not connect to \(host(of: url)) within the timeout")
            }
            return HTTPTransportError(.timedOut, "timed out after \(seconds(timeoutMilliseconds))")
        case CURLE_COULDNT_CONNECT:
            let reason = Int32(osErrno) == ECONNREFUSED ? "connection refused" : "could not connect"
            return HTTPTransportError(.connectFailed, "\(reason) (\(host(of: url)))")
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return HTTPTransportError(.connectFailed, "could not resolve host \(host(of: url))")
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            let reason = Int32(osErrno) == ECONNRESET ? "connection reset" : "connection failed while talking"
            return HTTPTransportError(.connectionReset, "\(reason) by \(host(of: url))")
        case CURLE_GOT_NOTHING:
            return HTTPTransportError(.connectionReset, "connection closed by \(host(of: url)) without a response")
        case CURLE_PARTIAL_FILE:
            return HTTPTransportError(.connectionReset, "connection closed by \(host(of: url)) mid-response")
        case CURLE_WRITE_ERROR where sink.overflowed:
            return HTTPTransportError(.responseTooLarge, "response body larger than \(responseBodyLimit >> 20) MiB")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM:
            return HTTPTransportError(.tls, "TLS failure with \(host(of: url)): \(curl.text(of: code))")
        default:
            return HTTPTransportError(.other, "request to \(host(of: url)) failed: \(curl.text(of: code))")
        }
    }

    /// The host (and port) part of `url`, without scheme, user info, path or query.
    static func host(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        if let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return String(rest)
    }

    /// "8 s" or "1500 ms".
    private static func seconds(_ milliseconds: Int) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
