import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP forwarder standing in for the network between a server and its database: a test can
/// cut it (every connection dropped, new ones refused) and restore it on the same port.
final class TCPProxy: Sendable {
    let port: Int
    private let target: SocketAddress
    private let channels = Mutex<(listener: (any Channel)?, open: [ObjectIdentifier: any Channel])>((nil, [:]))

    private init(port: Int, target: SocketAddress) {
        self.port = port
        self.target = target
    }

    static func start(to host: String, port: Int) async throws -> TCPProxy {
        let target = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let probe = TCPProxy(port: 0, target: target)
        let listener = try await probe.listen(port: 0)
        let proxy = TCPProxy(port: listener.localAddress!.port!, target: target)
        try await listener.close()
        try await proxy.restore()
        return proxy
    }

    /// Listens again on the same port.
    func restore() async throws {
        let listener = try await listen(port: port)
        channels.withLock { $0.listener = listener }
    }

    /// Stops listening and drops every open connection.
    func cut() async {
        let (listener, open) = channels.withLock { c in
            defer { c = (nil, [:]) }
            return (c.listener, Array(c.open.values))
        }
        try? await listener?.close()
        for c in open { try? await c.close() }
    }

    private func listen(port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { [self] inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { outbound in
                        outbound.eventLoop.makeCompletedFuture { try outbound.pipeline.syncOperations.addHandler(Forward(to: inbound)) }
                    }
                    .connect(to: target)
                    .flatMapThrowing { outbound in
                        try inbound.pipeline.syncOperations.addHandler(Forward(to: outbound))
                        self.track(inbound)
                        self.track(outbound)
                        inbound.read()
                    }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLock { $0.open[id] = channel }
        channel.closeFuture.whenComplete { _ in _ = self.channels.withLock { $0.open.removeValue(forKey: id) } }
    }

    /// Writes what one side reads to the other, and closes the other when it closes. Reading waits
    /// for the write, so a slow side slows the other down rather than piling bytes up here.
    private final class Forward: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let peer: any Channel
        init(to peer: any Channel) { self.peer = peer }

        func channelActive(context: ChannelHandlerContext) {
            context.read()
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            let own = context.channel
            peer.writeAndFlush(bytes).whenComplete { result in
                if case .success = result { own.read() } else { own.close(promise: nil) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
