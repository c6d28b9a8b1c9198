import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Sits in each HTTP connection's pipeline between Hummingbird's connection-state handler and the
/// router's channel, and answers what `DirectoryReads` can answer at once; every other request, and
/// every one it declines, is passed on untouched.
///
/// Responses stay in request order: while the router has a request of this connection in hand (one
/// passed on whose response has not ended), every later request is passed on too, so a pipelined
/// search can never overtake the request before it. The connection-state handler sees both requests
/// and responses, so keep-alive, idle and graceful-shutdown handling are unchanged.
final class DirectoryReadHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let reads: DirectoryReads
    private let logger: Logger
    /// A request's head kept back until its end arrives, to be answered here.
    private var held: (head: HTTPRequest, route: DirectoryReads.Route)?
    /// Requests passed on to the router whose responses have not ended yet.
    private var routed = 0
    private var lastToken = DirectoryReads.LastToken()

    init(reads: DirectoryReads, logger: Logger) {
        self.reads = reads
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if routed == 0, held == nil, let route = DirectoryReads.route(head) {
                held = (head, route)
                return
            }
            routed += 1
            context.fireChannelRead(data)
        case .body:
            // A GET with a body is not one of these reads.
            passHeldOn(context: context)
            context.fireChannelRead(data)
        case .end:
            if let (head, route) = held {
                held = nil
                if let body = reads.answer(head, route: route, lastToken: &lastToken) {
                    // The route only: a query string can carry search terms, or a token sent where it does not belong.
                    logger.trace("directory read answered on the event loop", metadata: ["route": "\(route)"])
                    context.write(wrapOutboundOut(.head(reads.responseHead(for: body))), promise: nil)
                    context.write(wrapOutboundOut(.body(body)), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    return
                }
                routed += 1
                context.fireChannelRead(wrapInboundOut(.head(head)))
            }
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), routed > 0 { routed -= 1 }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        held = nil
        context.fireChannelInactive()
    }

    private func passHeldOn(context: ChannelHandlerContext) {
        guard let (head, _) = held else { return }
        held = nil
        routed += 1
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }
}
