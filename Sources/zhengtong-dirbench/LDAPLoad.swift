import NIOCore
import NIOPosix

/// OpenLDAP over one LDAPv3 connection per client, bound anonymously before the run.
enum LDAPLoad {
    /// Sent down the pipeline right after connecting; the promise completes when the bind has been answered.
    struct Bind: Sendable {
        var promise: EventLoopPromise<Void>
    }

    struct BindFailed: Error, CustomStringConvertible {
        var resultCode: Int?
        var description: String { "LDAP bind failed" + (resultCode.map { ": result code \($0)" } ?? ": connection closed") }
    }

    static func connector(_ endpoint: Endpoint, searches: [LDAPSearch], group: any EventLoopGroup) throws -> Connector {
        let requests = try searches.map { try LDAPMessage.search($0) }
        return Connector(system: "openldap", queryCount: requests.count) { firstQuery in
            ClientBootstrap(group: group)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(BERFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(LDAPLoadHandler(requests: requests, firstQuery: firstQuery))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
                .flatMap { channel in
                    let bound = channel.eventLoop.makePromise(of: Void.self)
                    // If the connection dies before the handler sees the bind, nobody else completes the promise.
                    channel.closeFuture.whenComplete { _ in bound.fail(BindFailed()) }
                    channel.pipeline.fireUserInboundEventTriggered(Bind(promise: bound))
                    return bound.futureResult.map { channel }
                }
        }
    }
}

final class LDAPLoadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let requests: [[UInt8]]
    private var loop: LoadLoop
    private var messageID = 0
    private var entries = 0
    private var bound: EventLoopPromise<Void>?

    init(requests: [[UInt8]], firstQuery: Int) {
        self.requests = requests
        loop = LoadLoop(queryCount: requests.count, firstQuery: firstQuery)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let bind = event as? LDAPLoad.Bind {
            bound = bind.promise
            send(LDAPMessage.anonymousBind, context: context)
        } else if let start = event as? StartLoad {
            loop.begin(start)
            sendNext(context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let response: LDAPMessage.Response
        do {
            response = try LDAPMessage.parse(unwrapInboundIn(data))
        } catch {
            return context.fireErrorCaught(error)
        }
        // Id 0 is an unsolicited notification (RFC 4511 §4.4): the server is about to close.
        guard response.id == messageID else {
            if response.id == 0 { context.close(promise: nil) }
            return
        }
        switch response.op {
        case LDAPMessage.Op.bindResponse:
            if response.resultCode == LDAPMessage.success {
                bound?.succeed()
            } else {
                bound?.fail(LDAPLoad.BindFailed(resultCode: response.resultCode))
            }
            bound = nil
        case LDAPMessage.Op.searchResultEntry:
            entries += 1
        case LDAPMessage.Op.searchResultDone:
            let ok = response.resultCode == LDAPMessage.success || response.resultCode == LDAPMessage.sizeLimitExceeded
            loop.answered(ok: ok, results: entries)
            entries = 0
            sendNext(context: context)
        default:
            break  // references: slapd sends none for this data, and ldap3's `entries` would not count them either
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        bound?.fail(LDAPLoad.BindFailed())
        bound = nil
        loop.lost()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard let query = loop.nextQuery() else { return send(LDAPMessage.unbind, context: context) }
        send(requests[query], context: context)
    }

    private func send(_ op: [UInt8], context: ChannelHandlerContext) {
        messageID += 1
        var buffer = context.channel.allocator.buffer(capacity: op.count + 8)
        LDAPMessage.write(id: messageID, op: op, into: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}
