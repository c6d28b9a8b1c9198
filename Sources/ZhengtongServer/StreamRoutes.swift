import Events
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import ZhengtongCore

/// `GET /api/v1/stream`: every event for the signed-in person as `{"type", "cursor", "data"}` text frames.
/// With `?since=<cursor>` it first replays what was missed, then goes live; nothing is lost or repeated
/// because the live subscription starts before the replay and skips what the replay already sent.
///
/// The WebSocket itself is served by `ZhengtongChannel` below the router; what reaches this route is a
/// request that was not upgraded, and it answers why.
struct StreamRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.group("api/v1")
            .add(middleware: AuthMiddleware(services: services, allowQueryToken: true))
            .get("stream") { request, _ -> Response in
                try StreamOpener.checkCursor(request.uri.queryParameters["since"].map(String.init))
                guard request.headers[.upgrade]?.lowercased() == "websocket" else {
                    return ErrorMiddleware.errorResponse(status: .upgradeRequired, code: "upgrade_required",
                                                         message: "the stream is a WebSocket: send an upgrade request",
                                                         headers: [.upgrade: "websocket", .connection: "Upgrade"])
                }
                guard request.headers[.secWebSocketVersion] == "13", request.headers[.secWebSocketKey] != nil else {
                    throw DomainError(.badRequest, "invalid_upgrade", "a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13")
                }
                // A connection upgrades only on its first request; a later one is sent to a new connection.
                return Response(status: .temporaryRedirect, headers: [.location: request.uri.description, .connection: "close"])
            }
    }
}

/// Admits, attaches and starts streams for `ZhengtongChannel`.
struct StreamOpener: Sendable {
    let services: AppServices
    let registry: StreamRegistry
    let delivered: DeliveryMarker
    /// Events a client may fall behind by before it is told to resume from its cursor.
    var queueLimit = 1000

    static func checkCursor(_ since: String?) throws {
        if let since, Event.seq(fromCursor: since) == nil {
            throw DomainError(.badRequest, "invalid_cursor", "since is not a cursor this server issued")
        }
    }

    enum Admission: Sendable {
        case admitted(StreamTicket)
        case refused(Refusal)
    }

    /// Decides an upgrade: the path, the cursor and the session, checked as the route would check them.
    func admit(_ head: HTTPRequestHead) async -> Admission {
        do {
            let request = Request(head: try HTTPRequest(head, secure: false, splitCookie: false), body: .init(buffer: ByteBuffer()))
            guard request.method == .get, request.uri.path == "/api/v1/stream" else {
                throw DomainError(.notFound, "not_found", "only GET /api/v1/stream upgrades to a WebSocket")
            }
            let since = request.uri.queryParameters["since"].map(String.init)
            try Self.checkCursor(since)
            let (auth, viewer) = try await AuthMiddleware.authenticate(request, services: services, allowQueryToken: true)
            // The head is read before the stream joins the hub, and the replay starts from it, so an event
            // committed between the two is replayed rather than filtered out as already seen. A cursor from
            // the future (another database, a bug) is clamped so it cannot swallow live events.
            let head = try await EventLog.head(services.database)
            let after = since.flatMap(Event.seq(fromCursor:)).map { min($0, head) } ?? head
            return .admitted(StreamTicket(personId: viewer.personId, sessionId: auth.sessionId, after: after))
        } catch let error as DomainError {
            return .refused(Refusal(error))
        } catch {
            return .refused(Refusal(DomainError(.unavailable, "unavailable", "the stream cannot be opened now; try again")))
        }
    }

    /// On the channel's event loop, once the 101 is on its way: the handler joins the pipeline and the
    /// hub, so live events are held from here on while `start` replays.
    func attach(_ ticket: StreamTicket, to channel: any Channel) throws -> StreamConnection {
        guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
        let handler = StreamHandler(personId: ticket.personId, limit: queueLimit, delivered: delivered)
        let connection = StreamConnection(ticket: ticket, channel: channel, handler: handler)
        let (hub, registry) = (services.hub, registry)
        handler.onClose = {
            registry.remove(connection)
            hub.detach(connection, personId: ticket.personId)
        }
        try channel.pipeline.syncOperations.addHandler(handler)
        hub.attach(connection, personId: ticket.personId)
        registry.add(connection)
        return connection
    }

    /// Replays after the ticket's cursor in batches, each written before the next is read, then goes live.
    func start(_ connection: StreamConnection, logger: Logger) async {
        let database = services.database
        let personId = connection.ticket.personId
        do {
            var last = connection.ticket.after
            while true {
                let batch = try await EventLog.replay(database, personId: personId, after: last, limit: 500)
                if !batch.isEmpty { try await connection.replay(batch).get() }
                last = batch.last?.seq ?? last
                if batch.count < 500 { break }
            }
            connection.goLive(cursor: last)
        } catch let error as ChannelError {
            logger.trace("stream closed during replay", metadata: ["error": "\(error)"])
        } catch {
            logger.error("stream replay failed", metadata: ["error": "\(error)"])
            connection.close(code: 1011, reason: "could not replay; reconnect with your cursor")
        }
    }
}
