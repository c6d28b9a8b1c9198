import Ding
import Foundation
import Hummingbird
import ZhengtongCore

struct DingRecipientsRequest: Decodable { var people: [String]?; var orgs: [String]?; var regions: [String]? }
struct DingRequest: Decodable {
    var text: String
    var recipients: DingRecipientsRequest
    var channels: [String]?
    var smsAfterMinutes: Int?
    var voiceAfterMinutes: Int?
    var sendAt: String?
}

struct DingStatsDTO: ResponseEncodable {
    var s: DingStats
    enum CodingKeys: String, CodingKey { case recipients, delivered, read, confirmed, arrivalRate, confirmationRate, meanConfirmSeconds }
    func encode(to e: any Encoder) throws {
        var k = e.container(keyedBy: CodingKeys.self)
        try k.encode(s.recipients, forKey: .recipients); try k.encode(s.delivered, forKey: .delivered); try k.encode(s.read, forKey: .read)
        try k.encode(s.confirmed, forKey: .confirmed); try k.encode(s.arrivalRate, forKey: .arrivalRate)
        try k.encode(s.confirmationRate, forKey: .confirmationRate); try k.encode(s.meanConfirmSeconds, forKey: .meanConfirmSeconds)
    }
}

struct DingDTO: ResponseEncodable {
    var d: Ding
    var recipientCount: Int? = nil
    var excluded: [Exclusion]? = nil
    enum CodingKeys: String, CodingKey {
        case id, senderId, text, channels, smsAfterMinutes, voiceAfterMinutes, sendAt, sent, createdAt, deliveredAt, readAt, confirmedAt, stats,
             recipientCount, excluded
    }
    func encode(to e: any Encoder) throws {
        var k = e.container(keyedBy: CodingKeys.self)
        try k.encode(d.id, forKey: .id); try k.encode(d.senderId, forKey: .senderId); try k.encode(d.text, forKey: .text)
        try k.encode(d.channels, forKey: .channels); try k.encode(d.smsAfterMinutes, forKey: .smsAfterMinutes)
        try k.encode(d.voiceAfterMinutes, forKey: .voiceAfterMinutes); try k.encode(d.sendAt, forKey: .sendAt); try k.encode(d.sent, forKey: .sent)
        try k.encode(d.createdAt, forKey: .createdAt); try k.encode(d.myDeliveredAt, forKey: .deliveredAt); try k.encode(d.myReadAt, forKey: .readAt)
        try k.encode(d.myConfirmedAt, forKey: .confirmedAt); try k.encode(d.stats.map(DingStatsDTO.init), forKey: .stats)
        try k.encodeIfPresent(recipientCount, forKey: .recipientCount); try k.encodeIfPresent(excluded, forKey: .excluded)
    }
}

struct DingRecipientDTO: ResponseEncodable {
    var r: DingRecipientStatus
    enum CodingKeys: String, CodingKey { case personId, name, deliveredAt, readAt, confirmedAt, smsAt, voiceAt }
    func encode(to e: any Encoder) throws {
        var k = e.container(keyedBy: CodingKeys.self)
        try k.encode(r.personId, forKey: .personId); try k.encode(r.name, forKey: .name); try k.encode(r.deliveredAt, forKey: .deliveredAt)
        try k.encode(r.readAt, forKey: .readAt); try k.encode(r.confirmedAt, forKey: .confirmedAt); try k.encode(r.smsAt, forKey: .smsAt)
        try k.encode(r.voiceAt, forKey: .voiceAt)
    }
}

struct RemindDTO: ResponseEncodable { var reminded: Int }

/// DING: decode, call the DING service, encode.
struct DingRoutes {
    let services: AppServices
    var dings: DingService { services.dings }

    func register(on router: Router<AppContext>) {
        let api = router.group("api/v1").add(middleware: AuthMiddleware(services: services))
        api.post("dings") { request, ctx in
            var req = request
            let b = try await req.json(DingRequest.self, context: ctx)
            let sendAt = try b.sendAt.map { s -> Date in
                guard let d = try? Date(s, strategy: .iso8601) else { throw DomainError.invalid("send_at", "send_at must be an ISO 8601 time") }
                return d
            }
            let (d, count, excluded) = try await dings.send(NewDing(
                text: b.text, people: b.recipients.people ?? [], orgs: b.recipients.orgs ?? [], regions: b.recipients.regions ?? [],
                channels: b.channels ?? ["app"], smsAfterMinutes: b.smsAfterMinutes, voiceAfterMinutes: b.voiceAfterMinutes, sendAt: sendAt),
                viewer: try ctx.requireViewer())
            return Created(value: DingDTO(d: d, recipientCount: count, excluded: excluded))
        }
        api.get("dings") { req, ctx in
            let box = req.uri.queryParameters["box"].map(String.init) ?? "inbox"
            return PageDTO(try await dings.list(box: box, viewer: try ctx.requireViewer(), page: try pageRequest(req)), { DingDTO(d: $0) })
        }
        api.get("dings/:id") { _, ctx in DingDTO(d: try await dings.ding(try ctx.parameters.require("id"), viewer: try ctx.requireViewer())) }
        api.get("dings/:id/recipients") { req, ctx in
            PageDTO(try await dings.recipients(try ctx.parameters.require("id"), status: req.uri.queryParameters["status"].map(String.init),
                                               viewer: try ctx.requireViewer(), page: try pageRequest(req, defaultLimit: 200)), DingRecipientDTO.init)
        }
        api.post("dings/:id/read") { _, ctx in DingDTO(d: try await dings.markRead(try ctx.parameters.require("id"), viewer: try ctx.requireViewer())) }
        api.post("dings/:id/confirm") { _, ctx in DingDTO(d: try await dings.confirm(try ctx.parameters.require("id"), viewer: try ctx.requireViewer())) }
        api.post("dings/:id/remind") { _, ctx in
            RemindDTO(reminded: try await dings.remind(try ctx.parameters.require("id"), viewer: try ctx.requireViewer()))
        }
        api.get("stats/dings") { req, ctx in
            let q = req.uri.queryParameters
            func date(_ name: String) throws -> Date? {
                try q[name[...]].map { s in
                    guard let d = try? Date(String(s), strategy: .iso8601) else { throw DomainError(.badRequest, "invalid_\(name)", "\(name) must be an ISO 8601 time") }
                    return d
                }
            }
            return DingStatsDTO(s: try await dings.aggregate(orgId: q["org"].map(String.init), regionCode: q["region"].map(String.init),
                                                             from: try date("from"), to: try date("to"), viewer: try ctx.requireViewer()))
        }
    }
}
