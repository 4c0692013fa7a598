import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix

/// One listening socket as NIO holds it, served by Hummingbird's HTTP/1 channel.
///
/// Hummingbird 2.28's `Application` can only bind an address itself, so the endpoint uses the
/// layer below it: NIO's `ServerBootstrap` binds the address or adopts a descriptor systemd
/// passed (`bind(_:)` on an existing socket), and `HTTP1Channel` parses and answers every
/// connection with the same router whichever way the socket came.
struct BoundListener: Sendable {
    /// The listening channel; its inbound stream yields the accepted connections.
    let channel: NIOAsyncChannel<HTTP1Channel.Value, Never>
    /// What it listens on.
    let listener: ServeListener

    /// The TCP port it listens on, when it is a TCP socket.
    var tcpPort: Int? {
        if case .unixDomainSocket = channel.channel.localAddress { return nil }
        return channel.channel.localAddress?.port
    }

    /// Binds (or adopts) `listener`; its connections are set up by `http`.
    static func bind(_ listener: ServeListener, http: HTTP1Channel, logger: Logger) async throws -> BoundListener {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
        let setUp: @Sendable (any Channel) -> EventLoopFuture<HTTP1Channel.Value> = { http.setup(channel: $0, logger: logger) }
        let channel: NIOAsyncChannel<HTTP1Channel.Value, Never>
        switch listener {
        case .tcp(let host, let port):
            channel = try await bootstrap.bind(host: host, port: port, childChannelInitializer: setUp)
        case .unix(let path):
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: setUp)
        case .inherited(let descriptor, _):
            channel = try await bootstrap.bind(descriptor, childChannelInitializer: setUp)
        }
        return BoundListener(channel: channel, listener: listener)
    }

    /// Accepts and serves connections until the task is cancelled or the socket fails; then
    /// closes the listening channel (an inherited socket stays open in systemd).
    func serve(http: HTTP1Channel, logger: Logger) async {
        await withDiscardingTaskGroup { group in
            do {
                try await channel.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await http.handle(value: connection, logger: logger) }
                    }
                }
            } catch {
                logger.debug("serve: listener ended: \(error)")
            }
        }
    }
}
