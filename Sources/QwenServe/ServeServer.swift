import AsyncHTTPClient
import CQwenLinux
import Glibc
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import QwenExec
import QwenSyncCore
import Synchronization

/// Where and how `qwen-sync-serve` listens, from the environment `qwen-sync serve` hands over.
public struct ServeConfiguration: Sendable {
    /// The default loopback TCP port.
    public static let defaultPort = 8741
    /// The largest request body accepted (413 above it).
    public static let bodyLimit = 8 << 20

    /// The qwen directory and the OAuth server.
    public var settings: Settings
    /// The TCP address (loopback unless told otherwise).
    public var host: String
    /// The TCP port.
    public var port: Int
    /// The Unix socket (`$XDG_RUNTIME_DIR/qwen-sync/serve.sock` beside the control socket).
    public var socketPath: String
    /// Where the API key for TCP clients lives (0600, created on first start).
    public var keyPath: String
    /// Where the counts `qwen-sync status` shows are written.
    public var countsPath: String
    /// Exit after this long without a request (0: never).
    public var idleExit: Duration
    /// How long to wait for the upstream's response head.
    public var upstreamTimeout: Duration
    /// The waits before retrying a transient upstream failure.
    public var backoff: [Duration]

    /// The configuration from `environment` (`QWEN_SYNC_SERVE_HOST`, `…_PORT`, `…_SOCKET`,
    /// `…_IDLE_EXIT` seconds, `…_UPSTREAM_TIMEOUT_MS`, `…_BACKOFF_MS` comma-separated).
    public init(settings: Settings, environment: ProcessEnvironment) throws(ServeError) {
        func number(_ name: String, _ fallback: Int64) throws(ServeError) -> Int64 {
            guard let text = environment[name] else { return fallback }
            guard let value = Int64(text), value >= 0 else { throw .badRequest("\(name) must be a whole number, not \"\(TerminalSafe.text(text))\"") }
            return value
        }
        self.settings = settings
        host = environment["QWEN_SYNC_SERVE_HOST"] ?? "127.0.0.1"
        port = Int(try number("QWEN_SYNC_SERVE_PORT", Int64(Self.defaultPort)))
        socketPath = ServeLocation.socketPath(settings: settings, environment: environment)
        keyPath = ServeLocation.keyPath(settings: settings)
        countsPath = ServeLocation.countsPath(settings: settings)
        idleExit = .seconds(try number("QWEN_SYNC_SERVE_IDLE_EXIT", 900))
        upstreamTimeout = .milliseconds(try number("QWEN_SYNC_SERVE_UPSTREAM_TIMEOUT_MS", 60_000))
        backoff = try (environment["QWEN_SYNC_SERVE_BACKOFF_MS"] ?? "250,1000").split(separator: ",").map { part throws(ServeError) in
            guard let value = Int64(part), value >= 0 else { throw .badRequest("QWEN_SYNC_SERVE_BACKOFF_MS must list whole milliseconds") }
            return .milliseconds(value)
        }
    }

    /// The base URL OpenAI clients use over TCP.
    public var baseURL: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/v1" }

    /// The API key, created (32 random bytes, hex, 0600) when the file does not exist yet.
    public func apiKey() throws(FileError) -> String {
        if let existing = try SecureFile.read(keyPath) {
            let key = String(decoding: existing.bytes, as: UTF8.self).trimmingASCIIWhitespace()
            if !key.isEmpty { return key }
        }
        let key = "qsk-" + RandomHex.string(byteCount: 32)
        try SecureFile.ensureDirectory(settings.qwenDirectory)
        do { try SecureFile.replace(keyPath, with: Array((key + "\n").utf8), expected: .absent) } catch { throw error.fileError }
        return try SecureFile.read(keyPath).map { String(decoding: $0.bytes, as: UTF8.self).trimmingASCIIWhitespace() } ?? key
    }
}

/// The request context: the connection, to tell the Unix socket from TCP and read the peer.
public struct ServeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client connection.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Whether the request came over the Unix socket.
    var isUnixSocket: Bool {
        if case .unixDomainSocket = channel.localAddress { return true }
        return false
    }

    /// The uid of the process at the other end of the Unix socket (SO_PEERCRED).
    func peerUID() async -> uid_t? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let credentials: PeerCredentials? = try? await provider.unsafeGetSocketOption(
            level: .init(rawValue: SOL_SOCKET), name: .init(rawValue: SO_PEERCRED)
        ).get()
        return credentials?.uid
    }
}

/// Linux's `struct ucred` (SO_PEERCRED's value; Glibc leaves it out without _GNU_SOURCE).
struct PeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The endpoint: both listeners, the routes, the access rules, the journal entry per request,
/// and the exit after a quiet period.
public final class ServeServer: Sendable {
    let configuration: ServeConfiguration
    let key: String
    let handler: ChatHandler
    let logger: Logger
    let client: HTTPClient
    /// Requests in flight and when the last one ended (monotonic ms).
    let activity = Mutex((inFlight: 0, lastMs: WallClock.monotonicMs()))
    /// What `qwen-sync status` shows of the endpoint.
    let counts: ServeCountsWriter

    /// A server for `configuration`, logging to `logger`.
    public init(configuration: ServeConfiguration, logger: Logger) throws(FileError) {
        self.configuration = configuration
        self.logger = logger
        key = try configuration.apiKey()
        counts = ServeCountsWriter(path: configuration.countsPath, counts: ServeCounts(startedAtMs: WallClock.nowMs(), pid: getpid()))
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
        let settings = configuration.settings
        handler = ChatHandler(
            pool: AccountPool(settings: settings),
            upstream: Upstream(client: client, headTimeout: configuration.upstreamTimeout),
            fallback: ExecRunner(
                configuration: ExecConfiguration(qwenDirectory: settings.qwenDirectory, environment: .current),
                broker: FallbackAccountBroker(store: CredentialStore(settings: settings)), logger: logger),
            backoff: configuration.backoff)
    }

    /// Listens until the quiet period passes without a request (or forever when it is 0): on
    /// the sockets systemd passed when socket-activated, else on its own TCP port and Unix socket.
    public func run() async throws {
        // The upstream client must be shut down on every way out (it traps in its deinit otherwise).
        do { try await listen() } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func listen() async throws {
        let listeners = try ServeListener.resolve(configuration)
        let ownSocket = listeners.contains(.unix(path: configuration.socketPath))
        if ownSocket { try SecureFile.ensureDirectory(PathNormalizer.directory(of: configuration.socketPath)) }
        let http = HTTP1Channel(responder: Self.responder(router().buildResponder(), logger: logger))
        var bound: [BoundListener] = []
        for listener in listeners { bound.append(try await BoundListener.bind(listener, http: http, logger: logger)) }
        defer { if ownSocket { unlink(configuration.socketPath) } }
        // Only the owner may connect at all (SO_PEERCRED is checked on every request too).
        if ownSocket { chmod(configuration.socketPath, 0o600) }
        counts.write()
        let port = bound.lazy.compactMap(\.tcpPort).first
        DescriptorOutput.writeAll("LISTENING \(port.map { "http://\(configuration.host):\($0)/v1" } ?? "unix")\n", to: STDOUT_FILENO)
        try await withThrowingTaskGroup { group in
            for listener in bound { group.addTask { await listener.serve(http: http, logger: self.logger) } }
            group.addTask { try await self.waitForQuietPeriod() }
            _ = try await group.next()
            group.cancelAll()
        }
        counts.write()
    }

    /// The routes, behind the access check.
    private func router() -> Router<ServeContext> {
        let router = Router(context: ServeContext.self)
        router.add(middleware: EndpointMiddleware(server: self))
        router.post("/v1/chat/completions") { request, _ in try await self.chat(request) }
        router.get("/v1/models") { _, _ in Self.json(Self.models) }
        router.get("/healthz") { _, _ in Self.json(.object(JSONObject([("status", .string("ok"))]))) }
        return router
    }

    /// What Hummingbird's `Application` does per request, over the router's responder: the
    /// context from the connection, the response written back.
    private static func responder(_ responder: RouterResponder<ServeContext>, logger: Logger) -> HTTP1Channel.Responder {
        { request, writer, channel in
            let context = ServeContext(source: .init(channel: channel, logger: logger))
            let response: Response
            do { response = try await responder.respond(to: request, context: context) } catch {
                response = Self.error(ServeError(status: 500, type: "api_error", code: "internal_error", message: "\(type(of: error))"))
            }
            try await writer.write(response: response.head, body: response.body)
        }
    }

    /// Returns once no request has come for the quiet period.
    private func waitForQuietPeriod() async throws {
        let quietMs = configuration.idleExit.inMilliseconds
        guard quietMs > 0 else { return try await Task.sleep(for: .seconds(Int64.max / 4)) }
        while true {
            let (inFlight, lastMs) = activity.withLock { ($0.inFlight, $0.lastMs) }
            let idleMs = WallClock.monotonicMs() - lastMs
            if inFlight == 0 && idleMs >= quietMs { return }
            try await Task.sleep(for: .milliseconds(max(100, quietMs - idleMs)))
        }
    }

    private func chat(_ request: Request) async throws -> Response {
        let body: ByteBuffer
        do { body = try await request.body.collect(upTo: ServeConfiguration.bodyLimit) } catch {
            throw ServeError.tooLarge(limit: ServeConfiguration.bodyLimit)
        }
        var record = ChatHandler.Record()
        let started = WallClock.monotonicMs()
        do {
            let response = try await handler.respond(to: Array(body.readableBytesView), record: &record)
            journal(record, status: Int(response.status.code), startedMs: started)
            return response
        } catch {
            journal(record, status: error.status, startedMs: started)
            throw error
        }
    }

    /// One entry per chat request: account, model, status, retries, fallback, duration.
    private func journal(_ record: ChatHandler.Record, status: Int, startedMs: Int64) {
        counts.update { $0.chat(retries: record.retries, fallback: record.fallback, accountsSwitched: record.accountsSwitched) }
        var metadata: Logger.Metadata = [
            "event": "serve", "status": "\(status)", "retries": "\(record.retries)", "fallback": "\(record.fallback)",
            "duration_ms": "\(WallClock.monotonicMs() - startedMs)",
        ]
        if let account = record.account { metadata["account"] = .string(account) }
        if let model = record.model { metadata["model"] = .string(TerminalSafe.text(model)) }
        logger.log(level: status < 500 ? .info : .warning, "serve: chat completion answered \(status)", metadata: metadata)
    }

    /// `GET /v1/models`.
    static let models: JSONValue = .object(
        JSONObject([
            ("object", .string("list")),
            (
                "data",
                .array(
                    ChatPayload.models.map { model in
                        .object(JSONObject([("id", .string(model.id)), ("object", .string("model")), ("created", .int(0)), ("owned_by", .string("qwen"))]))
                    })
            ),
        ]))

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: value.serialized(.compact))))
    }

    /// Notes a request starting and ending, for the quiet period.
    func track<T>(_ body: () async throws -> T) async rethrows -> T {
        activity.withLock { $0.inFlight += 1 }
        defer { activity.withLock { $0 = (inFlight: $0.inFlight - 1, lastMs: WallClock.monotonicMs()) } }
        return try await body()
    }

    /// Whether the caller may use the endpoint: over the Unix socket, the same uid; over TCP,
    /// the key in `Authorization: Bearer` or `x-api-key`.
    func allows(_ request: Request, _ context: ServeContext) async -> Bool {
        if context.isUnixSocket { return await context.peerUID() == getuid() }
        let bearer = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let given = bearer ?? request.headers[Self.apiKeyHeader] else { return false }
        return Self.sameSecret(Array(given.utf8), Array(key.utf8))
    }

    /// `x-api-key`, which some OpenAI-compatible clients send instead.
    static let apiKeyHeader = HTTPField.Name("x-api-key")!

    /// Compares in a time that does not depend on where the two differ.
    static func sameSecret(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in given.indices { difference |= given[index] ^ expected[index] }
        return difference == 0
    }
}

/// Access check, activity tracking, and every error in the OpenAI shape (unknown routes too).
struct EndpointMiddleware: RouterMiddleware {
    let server: ServeServer

    func handle(_ request: Request, context: ServeContext, next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        let response = await server.track {
            guard await server.allows(request, context) else { return ServeServer.error(.unauthorized) }
            do {
                return try await next(request, context)
            } catch let error as ServeError {
                return ServeServer.error(error)
            } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
                return ServeServer.error(.notFound(request.method.rawValue, request.uri.path))
            } catch {
                return ServeServer.error(ServeError(status: 500, type: "api_error", code: "internal_error", message: TerminalSafe.text("\(type(of: error))")))
            }
        }
        server.counts.update { $0.request(status: Int(response.status.code), atMs: WallClock.nowMs()) }
        return response
    }
}

extension ServeServer {
    static func error(_ error: ServeError) -> Response {
        json(error.document, status: .init(code: error.status))
    }
}
