import Glibc
import QwenSyncCore
import Synchronization

/// The HTTP server: accepts connections, routes requests, applies faults.
final class OAuthStandIn: Sendable {
    private let socket: ListeningSocket
    private let state: Mutex<OAuthServerState>
    private let verbose: Bool

    /// `http://127.0.0.1:<port>`.
    let baseURL: String

    /// What a browser opening `verification_uri` sees: approval is automatic.
    private static let authorizePage = """
        <!doctype html><title>qwen-oauth-standin</title>
        <p>qwen-oauth-standin: this device login is approved automatically after the configured
        number of pending polls. You can close this page.</p>
        """

    /// Binds the listening socket.
    /// - Parameters:
    ///   - port: the port, 0 for an ephemeral one.
    ///   - config: the initial options.
    ///   - verbose: whether to log one line per request to stderr (never a secret).
    ///   - listenAny: listen on every address, not only 127.0.0.1.
    /// - Throws: ``StandInError`` when the socket cannot be bound.
    init(port: UInt16, config: StandInConfig, verbose: Bool, listenAny: Bool = false) throws(StandInError) {
        socket = try ListeningSocket(port: port, anyAddress: listenAny)
        state = Mutex(OAuthServerState(config: config))
        self.verbose = verbose
        baseURL = "http://127.0.0.1:\(socket.port)"
    }

    /// Accepts connections forever, one detached thread each.
    func run() -> Never {
        while true {
            guard let descriptor = socket.accept() else { continue }
            PosixThread.runDetached { self.serve(HTTPConnection(descriptor: descriptor)) }
        }
    }

    private func serve(_ connection: HTTPConnection) {
        connection.setReceiveTimeout(seconds: 30)
        let request: HTTPRequest
        do {
            request = try connection.readRequest()
        } catch {
            if let response = error.response { connection.respond(response) } else { connection.reset() }
            return
        }
        let action = handle(request)
        if verbose { log(request, action) }
        switch action {
        case .respond(let response): connection.respond(response)
        case .reset: connection.reset()
        case .hang: connection.hang()
        }
    }

    private func handle(_ request: HTTPRequest) -> ConnectionAction {
        switch (request.method, request.path) {
        case ("POST", "/api/v1/oauth2/device/code"):
            let form = FormBody(request.body)
            return .respond(state.withLock { $0.deviceCode(form, baseURL: baseURL, now: WallClock.monotonicMs()) })
        case ("POST", "/api/v1/oauth2/token"):
            return token(request)
        case ("GET", "/authorize"):
            var page = HTTPResponse(status: 200, body: Array(Self.authorizePage.utf8))
            page.contentType = "text/html; charset=utf-8"
            return .respond(page)
        case ("GET", "/__admin/config"):
            return .respond(.json(200, state.withLock { $0.config.json }))
        case ("POST", "/__admin/config"):
            return .respond(
                admin(request) { object, state throws(StandInError) in
                    try state.config.apply(object)
                    return state.config.json
                })
        case ("POST", "/__admin/seed"):
            return .respond(admin(request) { object, state throws(StandInError) in try state.seed(object) })
        case ("GET", "/__admin/stats"):
            return .respond(.json(200, state.withLock { $0.stats }))
        case (_, "/api/v1/oauth2/device/code"), (_, "/api/v1/oauth2/token"), (_, "/__admin/config"),
            (_, "/__admin/seed"), (_, "/__admin/stats"):
            return .respond(.oauthError(405, "invalid_request", "Method not allowed"))
        default:
            return .respond(.oauthError(404, "not_found", "No such endpoint"))
        }
    }

    private func token(_ request: HTTPRequest) -> ConnectionAction {
        let form = FormBody(request.body)
        let grantType = form["grant_type"] ?? ""
        let client = request.header("User-Agent") ?? ""
        let fault = state.withLock { $0.beginTokenRequest(grantType: grantType) }
        if let fault, fault.kind != .delay, fault.kind != .tamper {
            state.withLock { $0.recordFault(fault, grantType: grantType, client: client) }
            if let response = fault.response { return .respond(response) }
            return fault.kind == .hang ? .hang : .reset
        }
        if let fault { usleep(useconds_t(min(fault.delayMilliseconds, 600_000)) * 1000) }
        let response = state.withLock { $0.token(form, client: client, fault: fault?.kind.rawValue, now: WallClock.monotonicMs()) }
        return .respond(fault?.tampered(response) ?? response)
    }

    private func admin(
        _ request: HTTPRequest,
        _ body: (JSONObject, inout OAuthServerState) throws(StandInError) -> JSONValue
    ) -> HTTPResponse {
        let object: JSONObject
        do {
            guard let parsed = try JSON.parse(request.body).objectValue else {
                return .json(400, ["error": "the body must be a JSON object"])
            }
            object = parsed
        } catch {
            return .json(400, ["error": .string("invalid JSON: \(error.description)")])
        }
        do {
            let result = try state.withLock { (state) throws(StandInError) -> JSONValue in try body(object, &state) }
            return .json(200, result)
        } catch {
            return .json(400, ["error": .string(error.description)])
        }
    }

    private func log(_ request: HTTPRequest, _ action: ConnectionAction) {
        let outcome: String
        switch action {
        case .respond(let response): outcome = String(response.status)
        case .reset: outcome = "reset"
        case .hang: outcome = "hang"
        }
        Console.error("qwen-oauth-standin: \(request.method) \(request.path) -> \(outcome)\n")
    }
}
