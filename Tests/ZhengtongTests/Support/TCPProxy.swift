import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP forwarder standing in for the network between a server and its database: a test can
/// cut it (every connection dropped, new ones closed as soon as they are accepted) and restore it. The
/// listener stays bound throughout: a port given up while cut could be taken by any of the parallel
/// tests' connections, and the restore would fail.
final class TCPProxy: Sendable {
    let port: Int
    private let target: SocketAddress
    private let state = Mutex<(cut: Bool, listener: (any Channel)?, open: [ObjectIdentifier: any Channel])>((false, nil, [:]))

    private init(port: Int, target: SocketAddress) {
        self.port = port
        self.target = target
    }

    static func start(to host: String, port: Int) async throws -> TCPProxy {
        let target = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let holder = Mutex<TCPProxy?>(nil)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                guard let proxy = holder.withLock({ $0 }) else { return inbound.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
                return proxy.forward(inbound)
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = TCPProxy(port: listener.localAddress!.port!, target: target)
        proxy.state.withLock { $0.listener = listener }
        holder.withLock { $0 = proxy }
        return proxy
    }

    /// Lets new connections through again.
    func restore() {
        state.withLock { $0.cut = false }
    }

    /// Drops every open connection and closes new ones as they come.
    func cut() async {
        let open = state.withLock { s in
            s.cut = true
            defer { s.open = [:] }
            return Array(s.open.values)
        }
        for c in open { try? await c.close() }
    }

    /// Stops listening for good.
    func stop() async {
        await cut()
        let listener = state.withLock { s in
            defer { s.listener = nil }
            return s.listener
        }
        try? await listener?.close()
    }

    private func forward(_ inbound: any Channel) -> EventLoopFuture<Void> {
        // A failed initializer makes NIO close the accepted connection.
        if state.withLock({ $0.cut }) { return inbound.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        return ClientBootstrap(group: inbound.eventLoop)
            .channelInitializer { outbound in
                outbound.eventLoop.makeCompletedFuture { try outbound.pipeline.syncOperations.addHandler(Forward(to: inbound)) }
            }
            .connect(to: target)
            .flatMapThrowing { outbound in
                // Cut while connecting: this one goes too.
                guard self.track(inbound, outbound) else {
                    outbound.close(promise: nil)
                    throw ChannelError.ioOnClosedChannel
                }
                try inbound.pipeline.syncOperations.addHandler(Forward(to: outbound))
            }
    }

    /// False, tracking nothing, if the proxy has been cut.
    private func track(_ channels: any Channel...) -> Bool {
        let ok = state.withLock { s -> Bool in
            guard !s.cut else { return false }
            for c in channels { s.open[ObjectIdentifier(c)] = c }
            return true
        }
        guard ok else { return false }
        for c in channels {
            let id = ObjectIdentifier(c)
            c.closeFuture.whenComplete { _ in _ = self.state.withLock { $0.open.removeValue(forKey: id) } }
        }
        return true
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
