import CCurl
import Glibc
import QwenSyncCore

/// One HTTP transfer in this process, over libcurl's easy interface.
///
/// libcurl is loaded on the first transfer (``LibCurl``) and stays loaded, with its TLS
/// stack, for the life of the process; see ``HTTPIsolation`` for running transfers elsewhere.
enum CurlTransfer {
    /// Runs `request` on the calling thread and returns the response, whatever its status.
    ///
    /// - Throws: ``HTTPTransportError`` when no complete response arrived in time, or
    ///   (kind ``HTTPTransportError/Kind/libraryMissing``) when libcurl cannot be loaded.
    static func perform(_ request: HTTPRequest) throws(HTTPTransportError) -> HTTPResponse {
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
            "User-Agent: \(request.userAgent)",
            "Expect:",
        ]
        headerLines += request.headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in headerLines { list = curl.slistAppend(list, line) }
        defer { curl.slistFreeAll(list) }

        let sink = ResponseSink(bodyLimit: HTTPClient.responseBodyLimit)
        let context = Unmanaged.passUnretained(sink).toOpaque()
        let body = FormEncoder.encode(request.fields)
        var setup = CURLE_OK
        func set(_ result: CURLcode) { if setup == CURLE_OK { setup = result } }
        let setopt = curl.easySetopt
        set(qs_curl_setopt_str(setopt, handle, CURLOPT_URL, request.url))
        set(qs_curl_setopt_str(setopt, handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(qs_curl_setopt_long(setopt, handle, CURLOPT_NOSIGNAL, 1))
        set(qs_curl_setopt_long(setopt, handle, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeoutMs))
        set(qs_curl_setopt_long(setopt, handle, CURLOPT_TIMEOUT_MS, request.timeoutMs))
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
            throw transportError(result, curl: curl, handle: handle, sink: sink, request: request)
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
        request: HTTPRequest
    ) -> HTTPTransportError {
        let url = request.url
        var osErrno = 0
        _ = qs_curl_getinfo_long(curl.easyGetinfo, handle, CURLINFO_OS_ERRNO, &osErrno)
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            var connectMicroseconds: curl_off_t = 0
            _ = qs_curl_getinfo_off_t(curl.easyGetinfo, handle, CURLINFO_CONNECT_TIME_T, &connectMicroseconds)
            if connectMicroseconds == 0 {
                return HTTPTransportError(.timedOut, "could not connect to \(host(of: url)) within the timeout")
            }
            return HTTPTransportError(.timedOut, "timed out after \(seconds(request.timeoutMs))")
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
            return HTTPTransportError(.responseTooLarge, "response body larger than \(HTTPClient.responseBodyLimit >> 20) MiB")
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
