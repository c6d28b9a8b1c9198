import Events
import NIOCore
import NIOWebSocket

/// Who an admitted stream belongs to, decided before the upgrade is answered.
struct StreamTicket: Sendable {
    let personId: String
    let sessionId: String
    /// The cursor to replay after: the client's `since`, or the log's head when it was admitted.
    let after: Int64
}

/// A live stream as the rest of the server sees it: a sink the hub publishes into, and the handle the
/// sweeper pings or closes. Everything it does runs on its channel's event loop, in `StreamHandler`.
///
/// An idle connection owns no Swift task: its state is this object, the handler and the NIO channel.
final class StreamConnection: EventSink {
    let ticket: StreamTicket
    let channel: any Channel
    private let handler: NIOLoopBound<StreamHandler>

    init(ticket: StreamTicket, channel: any Channel, handler: StreamHandler) {
        self.ticket = ticket
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    var eventLoop: (any EventLoop)? { channel.eventLoop }

    /// Called on the channel's event loop (the hub batches per loop).
    func receive(_ event: Event, frame: ByteBuffer) {
        handler.value.live(event, frame: frame)
    }

    /// Writes a replayed batch; the future completes when it is flushed, so replay never runs ahead of
    /// the socket by more than a batch.
    func replay(_ events: [Event]) -> EventLoopFuture<Void> {
        channel.eventLoop.flatSubmit { self.handler.value.replay(events, on: self.channel.eventLoop) }
    }

    /// Ends the replay: sends `ready` with the cursor, then what arrived live meanwhile.
    func goLive(cursor: Int64) {
        channel.eventLoop.execute { self.handler.value.goLive(cursor: cursor) }
    }

    /// Sends a ping, or drops the connection if the previous ping went unanswered.
    func ping() {
        channel.eventLoop.execute { self.handler.value.pingOrDrop() }
    }

    func close(code: Int, reason: String) {
        channel.eventLoop.execute { self.handler.value.close(code: code, reason: reason) }
    }

    /// Closes with 1001, as for a server shutdown.
    func shutDown() {
        channel.eventLoop.execute { self.handler.value.shutDown() }
    }
}

/// The stream's protocol on one channel, confined to its event loop.
final class StreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    static let closeResume = 4000
    static let closeSessionEnded = 4001

    private enum Phase { case replaying, live, closing }
    private var phase = Phase.replaying
    /// Live events that arrived while the replay ran; sent after it, minus what it already covered.
    private var held: [(Event, ByteBuffer)] = []
    /// Frames waiting for the socket to drain (made when first needed: most connections never wait).
    private var backlog: CircularBuffer<(ByteBuffer, String?)>?
    private var replayedThrough: Int64 = 0
    private var awaitingPong = false
    private var forcedClose: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    let personId: String
    /// How far a client may fall behind (events held or waiting) before it is told to resume.
    let limit: Int
    let delivered: DeliveryMarker
    /// Called once, when the channel goes away (it holds the connection, which holds this handler:
    /// clearing it then breaks the cycle).
    var onClose: (() -> Void)?

    init(personId: String, limit: Int, delivered: DeliveryMarker) {
        self.personId = personId
        self.limit = limit
        self.delivered = delivered
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    /// The context holds this handler: letting go of it here frees both when the channel goes.
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelInactive(context: ChannelHandlerContext) {
        phase = .closing
        held = []
        backlog = nil
        forcedClose?.cancel()
        onClose?()
        onClose = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        awaitingPong = false  // any traffic shows the peer is there
        switch frame.opcode {
        case .connectionClose:
            if phase == .closing {
                context.close(promise: nil)
            } else {
                // Echo the client's code (a one-byte payload is a protocol error: 1002), then hang up,
                // at the latest after a second if the echo cannot be written (a peer that stopped reading).
                phase = .closing
                held = []
                backlog = nil
                var payload = frame.unmaskedData
                var code = payload.readSlice(length: min(2, payload.readableBytes)) ?? ByteBuffer()
                if code.readableBytes == 1 { code = ByteBuffer(integer: UInt16(1002)) }
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)))
                    .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                forcedClose = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { context.close(promise: nil) }
            }
        case .ping:
            if phase != .closing {
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
            }
        default:
            break  // clients send nothing else on this stream
        }
    }

    /// The server is shutting down (NIO's quiescing): it waits for every connection to close, so the
    /// stream says goodbye at once and does not wait long for the client's answer.
    /// A client that half-closes (FIN) is gone: it is not kept until a write fails.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            shutDown()
        } else if let e = event as? ChannelEvent, e == .inputClosed {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// Closes with 1001 for a server shutdown; a stream already closing is cut at once.
    func shutDown() {
        guard let context else { return }
        if phase == .closing { return context.close(promise: nil) }
        close(code: 1001, reason: "server shutting down", grace: .seconds(1))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        drain(context)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: Events

    func live(_ event: Event, frame: ByteBuffer) {
        switch phase {
        case .closing:
            return
        case .replaying:
            held.append((event, frame))
            if held.count > limit { tooFarBehind() }
        case .live:
            if event.seq > replayedThrough { send(frame, event: event) }
        }
    }

    func replay(_ events: [Event], on loop: any EventLoop) -> EventLoopFuture<Void> {
        guard let context, phase == .replaying else { return loop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        guard let last = events.last else { return loop.makeSucceededVoidFuture() }
        for e in events.dropLast() {
            context.write(wrapOutboundOut(Self.text(ByteBuffer(string: e.wireText))), promise: nil)
            markIfDing(e.type, e.data)
        }
        let flushed = loop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(Self.text(ByteBuffer(string: last.wireText))), promise: flushed)
        markIfDing(last.type, last.data)
        return flushed.futureResult
    }

    func goLive(cursor: Int64) {
        guard phase == .replaying else { return }
        phase = .live
        replayedThrough = cursor
        send(ByteBuffer(string: #"{"type":"ready","cursor":"\#(cursor)","data":{}}"#), event: nil)
        let pending = held
        held = []
        for (e, f) in pending where e.seq > cursor { send(f, event: e) }
    }

    func pingOrDrop() {
        guard let context else { return }
        // A stream stuck in its close handshake for a whole interval is cut.
        if phase == .closing { return context.close(promise: nil) }
        if awaitingPong {
            // Most likely nobody is there, but a client that is only slow (a phone waking up) learns
            // why and resumes; a second later the connection goes either way.
            close(code: 4002, reason: "ping not answered; reconnect with your cursor", grace: .seconds(1))
            return
        }
        awaitingPong = true
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())), promise: nil)
    }

    /// Sends a close frame and waits a moment for the client's; then closes regardless.
    func close(code: Int, reason: String, grace: TimeAmount = .seconds(5)) {
        guard let context, phase != .closing else { return }
        phase = .closing
        held = []
        backlog = nil
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.writeInteger(UInt16(code))
        data.writeString(reason)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: nil)
        forcedClose = context.eventLoop.assumeIsolated().scheduleTask(in: grace) { context.close(promise: nil) }
    }

    // MARK: Writing

    private func send(_ frame: ByteBuffer, event: Event?) {
        guard let context else { return }
        if backlog?.isEmpty ?? true, context.channel.isWritable {
            context.writeAndFlush(wrapOutboundOut(Self.text(frame)), promise: nil)
            if let event { markIfDing(event.type, event.data) }
            return
        }
        backlog = backlog ?? CircularBuffer(initialCapacity: 16)
        backlog!.append((frame, event.flatMap { $0.type == "ding.new" ? $0.data : nil }))
        if backlog!.count > limit { tooFarBehind() }
    }

    private func drain(_ context: ChannelHandlerContext) {
        guard phase != .closing, var waiting = backlog, !waiting.isEmpty else { return }
        backlog = nil  // one owner while draining, so the pops do not copy
        while context.channel.isWritable, let (frame, ding) = waiting.popFirst() {
            context.write(wrapOutboundOut(Self.text(frame)), promise: nil)
            if let ding { markIfDing("ding.new", ding) }
        }
        context.flush()
        if !waiting.isEmpty { backlog = waiting }
    }

    /// The client cannot keep up: it is told to resume from its cursor, which replays from the log.
    private func tooFarBehind() {
        close(code: Self.closeResume, reason: "resume from your last cursor")
    }

    private func markIfDing(_ type: String, _ data: String) {
        guard type == "ding.new", let id = Self.dingId(in: data) else { return }
        delivered.add(dingId: id, personId: personId)
    }

    static func text(_ buffer: ByteBuffer) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, data: buffer)
    }

    /// The `ding_id` of a `ding.new` payload (stored JSON with sorted keys), found without parsing the rest.
    static func dingId(in data: String) -> String? {
        guard let start = data.range(of: #""ding_id":""#)?.upperBound,
              let end = data[start...].firstIndex(of: "\"") else { return nil }
        return String(data[start..<end])
    }
}
