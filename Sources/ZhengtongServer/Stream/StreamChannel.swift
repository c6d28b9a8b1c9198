import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import ZhengtongCore

/// The server's connections: HTTP/1.1, where a `GET /api/v1/stream` upgrade becomes a WebSocket run by
/// NIO channel handlers fed by the event hub. Hummingbird's own WebSocket path runs each connection in
/// several Swift tasks for its whole life; at 5,000 idle connections those tasks' memory is most of the
/// server's, so the stream is served here without them.
struct ZhengtongChannel: ServerChildChannel, HTTPChannelHandler {
    enum Negotiated: Sendable {
        case stream(StreamConnection)
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade that was refused, and the JSON error that says why.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, Refusal)
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let responder: Responder
    let streams: StreamOpener
    let reads: DirectoryReads
    /// `AppConfig.idleTimeoutSeconds`.
    let idleTimeout: Duration
    let http1 = HTTP1Channel.Configuration()

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let admission = NIOLoopBoundBox<StreamOpener.Admission?>(nil, eventLoop: channel.eventLoop)
            let attempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let quiescing = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: 4096,
                shouldUpgrade: { channel, head in
                    let decided = channel.eventLoop.makePromise(of: StreamOpener.Admission.self)
                    decided.completeWithTask { await streams.admit(head) }
                    return decided.futureResult.map { decision in
                        // A shutdown that began while the upgrade was being decided refuses it.
                        admission.value = quiescing.value
                            ? .refused(Refusal(DomainError(.unavailable, "shutting_down", "the server is shutting down; reconnect later")))
                            : decision
                        if case .admitted = admission.value { return HTTPHeaders() }
                        return nil
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard case .admitted(let ticket) = admission.value else { throw ChannelError.inappropriateOperationForState }
                        let connection = try streams.attach(ticket, to: channel)
                        if quiescing.value { connection.shutDown() }
                        return .stream(connection)
                    }
                }
            )
            let upgrades = NIOTypedHTTPServerUpgradeConfiguration<Negotiated>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
                        try channel.pipeline.syncOperations.addHandler(DirectoryReadHandler(reads: reads, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        guard attempted.value else { return .http(http) }
                        // NIO drops the head of an upgrade request it does not upgrade, so the refusal is
                        // answered here rather than by the router.
                        if case .refused(let refusal) = admission.value { return .refused(http, refusal) }
                        return .refused(http, Refusal(DomainError(.badRequest, "invalid_upgrade",
                            "a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13")))
                    }
                }
            )
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(upgradeConfiguration: upgrades)
            pipeline.enablePipelining = false  // Hummingbird handles one request at a time
            pipeline.enableErrorHandling = false  // and its own errors
            pipeline.enableResponseHeaderValidation = false  // HTTPTypes already validates
            pipeline.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            pipeline.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            pipeline.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            let upgradeHandler = try channel.pipeline.syncOperations.handler(type: NIOTypedHTTPServerUpgradeHandler<Negotiated>.self)
            try channel.pipeline.syncOperations.addHandler(UpgradeWatch(attempted: attempted), position: .before(upgradeHandler))
            try channel.pipeline.syncOperations.addHandler(QuiesceWatch(quiescing: quiescing), position: .first)
            // Until its first request's head is read, a connection has no HTTPConnectionStateHandler to
            // time it out.
            let silent = channel.eventLoop.scheduleTask(in: .init(idleTimeout)) { channel.close(promise: nil) }
            negotiated.whenComplete { _ in silent.cancel() }
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let refusal):
                try await http.executeThenClose { _, outbound in
                    var head = HTTPResponse(status: refusal.status, headerFields: refusal.headers)
                    head.headerFields[.connection] = "close"
                    head.headerFields[.contentLength] = String(refusal.body.readableBytes)
                    try await outbound.write(contentsOf: [.head(head), .body(refusal.body), .end(nil)])
                }
            case .stream(let connection):
                // Replays what the client missed, then returns: the live stream needs no task.
                await streams.start(connection, logger: logger)
            }
        } catch let error as ChannelError where error == .inputClosed {
            logger.trace("connection closed before its first request")
        } catch {
            logger.debug("connection setup failed", metadata: ["error": "\(error)"])
            value.channel.close(promise: nil)
        }
    }
}

/// A refused upgrade's answer, in the API's one error shape.
struct Refusal: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer

    init(_ error: DomainError) {
        (status, headers, body) = ErrorMiddleware.parts(error)
    }
}

/// Looks at a connection's first request, then leaves the pipeline. NIO's upgrade handler drops the head
/// of an upgrade request it does not take, so an upgrade to anything but the stream (`h2c`, say) has its
/// `Upgrade` header removed here and is served as the plain request it also is, on a connection that
/// then closes (the request decoder has already switched to the upgrade's bytes).
final class UpgradeWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    private let attempted: NIOLoopBoundBox<Bool>

    init(attempted: NIOLoopBoundBox<Bool>) { self.attempted = attempted }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        if head.headers.contains(name: "upgrade") {
            let stream = head.method == .GET && head.uri.split(separator: "?", maxSplits: 1).first == "/api/v1/stream"
                && head.headers["upgrade"].contains { $0.lowercased() == "websocket" }
            if stream {
                attempted.value = true
            } else {
                head.headers.remove(name: "upgrade")
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// A server that shuts down waits for every connection to close; one that has not sent its first
    /// request yet has nothing in flight and is closed at once.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// Remembers that the server began shutting down, for a connection that is between handlers (its upgrade
/// being decided) when NIO's quiesce event passes. Stays first in the pipeline and passes everything on.
final class QuiesceWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    private let quiescing: NIOLoopBoundBox<Bool>

    init(quiescing: NIOLoopBoundBox<Bool>) { self.quiescing = quiescing }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { quiescing.value = true }
        context.fireUserInboundEventTriggered(event)
    }
}
