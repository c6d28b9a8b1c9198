import NIOCore
import NIOHTTP1
import NIOPosix

/// Zhengtong over one keep-alive HTTP/1.1 connection per client.
enum HTTPLoad {
    static func connector(_ endpoint: Endpoint, token: String, paths: [String], verifyAll: Bool, group: any EventLoopGroup) -> Connector {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.description)
        headers.add(name: "Authorization", value: "Bearer \(token)")
        headers.add(name: "Connection", value: "keep-alive")
        let requests = paths.map { HTTPRequestHead(version: .http1_1, method: .GET, uri: $0, headers: headers) }
        return Connector(system: "zhengtong", queryCount: requests.count) { firstQuery in
            ClientBootstrap(group: group)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPLoadHandler(requests: requests, firstQuery: firstQuery, verifyAll: verifyAll))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
        }
    }
}

final class HTTPLoadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let requests: [HTTPRequestHead]
    private let verifyAll: Bool
    // The first answer of every connection is checked against JSONSerialization even without --verify-counts.
    private var verifyNext = true
    private var loop: LoadLoop
    private var status: HTTPResponseStatus = .ok
    private var body = ByteBuffer()

    init(requests: [HTTPRequestHead], firstQuery: Int, verifyAll: Bool) {
        self.requests = requests
        self.verifyAll = verifyAll
        loop = LoadLoop(queryCount: requests.count, firstQuery: firstQuery)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let start = event as? StartLoad else { return context.fireUserInboundEventTriggered(event) }
        loop.begin(start)
        sendNext(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            var ok = status == .ok
            var results = 0
            if ok {
                if let count = ItemCount.scan(body) { results = count } else { ok = false }
                if verifyAll || verifyNext {
                    verifyNext = false
                    let reference = ItemCount.verified(body)
                    guard reference == (ok ? results : nil) else {
                        fatalError("item count \(ok ? String(results) : "none") but JSONSerialization says \(reference.map(String.init) ?? "none"): \(String(buffer: body))")
                    }
                }
            }
            loop.answered(ok: ok, results: results)
            sendNext(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        loop.lost()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard let query = loop.nextQuery() else { return }
        context.write(wrapOutboundOut(.head(requests[query])), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
