import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import QwenExec
import QwenSyncCore

/// Answers `POST /v1/chat/completions`: the failover loop over the accounts, the streamed
/// passthrough, and the `qwen` CLI fallback when every account is out of quota.
struct ChatHandler: Sendable {
    let pool: AccountPool
    let upstream: Upstream
    let fallback: ExecRunner
    let backoff: [Duration]

    /// What the journal entry of a request records.
    struct Record: Sendable {
        var account: String?
        var model: String?
        var retries = 0
        var fallback = false
        /// Times the quota rule moved the request on to another account.
        var accountsSwitched = 0
    }

    /// The response for `body`; `record` is filled in for the journal.
    func respond(to body: [UInt8], record: inout Record) async throws(ServeError) -> Response {
        let payload = try ChatPayload(bytes: body)
        record.model = payload.model
        let bytes = payload.bytes
        let candidates = try await Blocking.run { Result { () throws(ServeError) in try pool.candidates() } }.get()
        var plan = FailoverPlan(backoff: backoff)
        defer { record.retries = plan.retries }
        var lastFailure: ServeError?
        for candidate in candidates {
            guard var account = await Blocking.run({ pool.ready(candidate) }) else {
                lastFailure = ServeError(
                    status: 503, type: "api_error", code: "refresh_failed",
                    message: "the token of \(candidate.id) has expired and could not be refreshed; see `qwen-sync status`")
                continue
            }
            record.account = account.id
            attempts: while true {
                let response: HTTPClientResponse
                do {
                    response = try await upstream.send(payload, bytes: bytes, as: account)
                } catch {
                    lastFailure = .badGateway(Self.reason(error))
                    switch plan.step(after: .transient, account: account.id) {
                    case .retry(let wait):
                        try? await Task.sleep(for: wait)
                        continue attempts
                    default: break attempts
                    }
                }
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    return try await deliver(response, stream: payload.stream)
                }
                let errorBody = (try? await response.body.collect(upTo: Upstream.errorBodyLimit)).map { String(buffer: $0) } ?? ""
                let verdict = UpstreamVerdict.classify(status: status, body: errorBody)
                switch plan.step(after: verdict, account: account.id) {
                case .deliver:
                    return Self.passOn(status: status, body: errorBody)
                case .refreshAndRetry:
                    let refused = account
                    guard let renewed = await Blocking.run({ pool.forceRefresh(refused) }) else {
                        lastFailure = Self.upstreamError(status: status, body: errorBody)
                        break attempts
                    }
                    account = renewed
                case .markExhaustedAndMoveOn:
                    let exhausted = account
                    await Blocking.run { pool.markExhausted(exhausted) }
                    record.accountsSwitched += 1
                    lastFailure = Self.upstreamError(status: status, body: errorBody)
                    break attempts
                case .retry(let wait):
                    lastFailure = Self.upstreamError(status: status, body: errorBody)
                    try? await Task.sleep(for: wait)
                case .moveOn:
                    lastFailure = Self.upstreamError(status: status, body: errorBody)
                    break attempts
                }
            }
        }
        // No account could answer. Only quota (or no healthy account at all) sends the request to
        // the CLI; a failing upstream is reported as it is.
        if let lastFailure, lastFailure.code != "insufficient_quota" { throw lastFailure }
        guard !payload.isMultimodal else {
            throw .exhaustedMultimodal("every account is out of quota or unusable")
        }
        record.fallback = true
        return await runFallback(body)
    }

    /// A 2xx answer: streamed through chunk by chunk, or read whole and checked to be JSON.
    private func deliver(_ response: HTTPClientResponse, stream: Bool) async throws(ServeError) -> Response {
        let contentType = response.headers.first(name: "Content-Type") ?? (stream ? "text/event-stream" : "application/json")
        if stream {
            let body = response.body
            return Response(
                status: .ok,
                headers: [.contentType: contentType, .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    // A client that goes away makes `write` throw: the loop ends and the upstream
                    // request is cancelled with the body's iterator.
                    for try await chunk in body { try await writer.write(chunk) }
                    try await writer.finish(nil)
                })
        }
        let buffer: ByteBuffer
        do { buffer = try await response.body.collect(upTo: Upstream.answerLimit) } catch {
            throw .badGateway(Self.reason(error))
        }
        guard (try? JSON.parse(Array(buffer.readableBytesView)))?.objectValue != nil else {
            throw .badGateway("the answer is not a JSON object")
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    /// The `qwen` CLI's answer, in the same format (SSE when the request streams).
    private func runFallback(_ body: [UInt8]) async -> Response {
        let runner = fallback
        let result = await Blocking.run { runner.run(request: body) }
        let status: HTTPResponse.Status
        switch result.exitCode {
        case 0: status = .ok
        case 4: status = .badRequest
        case 5: status = .tooManyRequests
        default: status = .badGateway
        }
        let isStream = result.exitCode == 0 && result.standardOutput.hasPrefix("data:")
        return Response(
            status: status, headers: [.contentType: isStream ? "text/event-stream" : "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: result.standardOutput)))
    }

    /// An upstream error passed to the client as it came, when it is the client's to fix.
    private static func passOn(status: Int, body: String) -> Response {
        let document =
            (try? JSON.parse(body))?.objectValue?["error"] != nil
            ? body
            : ServeError(status: status, type: "invalid_request_error", code: "upstream_\(status)", message: TerminalSafe.text(body)).document.serialized(
                .compact)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: document)))
    }

    /// The error for the last upstream failure when no account is left.
    private static func upstreamError(status: Int, body: String) -> ServeError {
        switch UpstreamVerdict.classify(status: status, body: body) {
        case .quotaExhausted:
            ServeError(status: 429, type: "insufficient_quota", code: "insufficient_quota", message: "every account is out of quota")
        case .authRejected:
            ServeError(
                status: 401, type: "invalid_request_error", code: "login_required",
                message: "the Qwen API refused every account's token; run `qwen-sync status`")
        default:
            .badGateway("status \(status)")
        }
    }

    /// A short reason for a transport error, without the URL's secrets (there are none) or
    /// anything the upstream sent.
    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return TerminalSafe.text("\(error)") }
        return TerminalSafe.text(String(describing: type(of: error)))
    }
}
