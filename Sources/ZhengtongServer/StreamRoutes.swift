import Events
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Storage
import ZhengtongCore

/// `GET /api/v1/stream`: every event for the signed-in person as `{"type", "cursor", "data"}` text frames.
/// With `?since=<cursor>` it first replays what was missed, then goes live; nothing is lost or repeated
/// because the live subscription starts before the replay and skips what the replay already sent.
struct StreamRoutes {
    let services: AppServices
    static let closeResume = 4000
    static let closeSessionEnded = 4001

    func register(on router: Router<AppContext>) {
        let group = router.group("api/v1")
            .add(middleware: AuthMiddleware(services: services, allowQueryToken: true))
        group.ws("stream", shouldUpgrade: { request, _ in
            if let since = request.uri.queryParameters["since"], Event.seq(fromCursor: String(since)) == nil {
                throw DomainError(.badRequest, "invalid_cursor", "since is not a cursor this server issued")
            }
            return .upgrade([:])
        }) { inbound, outbound, context in
            guard let viewer = context.requestContext.viewer, let session = context.requestContext.session else { return }
            let database = services.database
            let hub = services.hub
            let subscription = hub.subscribe(personId: viewer.personId)
            defer { hub.unsubscribe(subscription) }
            var last: Int64
            if let since = context.request.uri.queryParameters["since"].flatMap({ Event.seq(fromCursor: String($0)) }) {
                // A cursor from the future (another database, a bug) must not swallow live events.
                last = min(since, try await EventLog.head(database))
                while true {
                    let batch = try await EventLog.replay(database, personId: viewer.personId, after: last, limit: 500)
                    for e in batch { try await Self.deliver(e, to: viewer.personId, outbound, services: services) }
                    last = batch.last?.seq ?? last
                    if batch.count < 500 { break }
                }
            } else {
                last = try await EventLog.head(database)
            }
            try await outbound.write(.text(#"{"type":"ready","cursor":"\#(last)","data":{}}"#))
            let replayedThrough = last
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Reading until the client goes away; clients send nothing else.
                    for try await _ in inbound.messages(maxSize: 4096) {}
                }
                group.addTask {
                    for await e in subscription.events where e.seq > replayedThrough {
                        try await Self.deliver(e, to: viewer.personId, outbound, services: services)
                    }
                    // The subscription ended: this client fell too far behind. It resumes from its cursor.
                    try await outbound.close(.unknown(UInt16(Self.closeResume)), reason: "resume from your last cursor")
                }
                group.addTask {
                    // A token is checked once at connect; a revoked session, an expired one or a disabled
                    // person must not go on receiving, so the stream checks again every so often.
                    while true {
                        try await Task.sleep(for: services.streamRecheck)
                        if try await !services.accounts.isLive(sessionId: session.sessionId) {
                            try await outbound.close(.unknown(UInt16(Self.closeSessionEnded)), reason: "session ended; sign in again")
                            return
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Writes an event; a DING written to a device counts as delivered to its recipient.
    static func deliver(_ e: Event, to personId: String, _ outbound: WebSocketOutboundWriter, services: AppServices) async throws {
        try await outbound.write(.text(frame(e)))
        if e.type == "ding.new", let data = e.data.data(using: .utf8),
           let id = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["ding_id"] as? String {
            try await services.dings.markDelivered([id], personId: personId)
        }
    }

    static func frame(_ e: Event) -> String {
        #"{"type":"\#(e.type)","cursor":"\#(e.seq)","data":\#(e.data)}"#
    }
}
