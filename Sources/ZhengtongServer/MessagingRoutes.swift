import Foundation
import Hummingbird
import Messaging
import ZhengtongCore

struct ConversationRequest: Decodable {
    var kind: String
    var name: String?
    var members: [String]?
    var orgId: String?
    var includeSubtree: Bool?
}
struct MembersRequest: Decodable { var members: [String] }
struct SendRequest: Decodable { var text: String; var clientMsgId: String; var mentions: [String]?; var replyTo: String?; var attachments: [String]? }

struct AttachmentDTO: ResponseEncodable, Encodable {
    var a: Attachment
    enum CodingKeys: String, CodingKey { case id, name, contentType, size, sha256 }
    func encode(to e: any Encoder) throws {
        var k = e.container(keyedBy: CodingKeys.self)
        try k.encode(a.id, forKey: .id); try k.encode(a.name, forKey: .name); try k.encode(a.contentType, forKey: .contentType)
        try k.encode(a.size, forKey: .size); try k.encode(a.sha256, forKey: .sha256)
    }
}
struct ReadRequest: Decodable { var seq: Int64 }
struct RenameRequest: Decodable { var name: String }
struct RoleRequest: Decodable { var role: String }
struct OwnerRequest: Decodable { var personId: String }

struct MemberDTO: ResponseEncodable { var personId: String; var role: String; var readSeq: Int64 }

struct ConversationDTO: ResponseEncodable {
    var c: Conversation
    var unreadCount: Int? = nil
    var lastMessage: MessageDTO? = nil
    var includeSummary = false
    enum CodingKeys: String, CodingKey { case id, kind, name, ownerId, lastSeq, createdAt, members, unreadCount, lastMessage }
    func encode(to e: any Encoder) throws {
        var k = e.container(keyedBy: CodingKeys.self)
        try k.encode(c.id, forKey: .id); try k.encode(c.kind.rawValue, forKey: .kind); try k.encode(c.name, forKey: .name)
        try k.encode(c.ownerId, forKey: .ownerId); try k.encode(c.lastSeq, forKey: .lastSeq); try k.encode(c.createdAt, forKey: .createdAt)
        try k.encode(c.members.map { MemberDTO(personId: $0.personId, role: $0.role, readSeq: $0.readSeq) }, forKey: .members)
        if includeSummary {
            try k.encode(unreadCount ?? 0, forKey: .unreadCount)
            try k.encode(lastMessage, forKey: .lastMessage)
        }
    }
}

struct MessageDTO: ResponseEncodable {
    var m: Message
    enum CodingKeys: String, CodingKey {
        case id, conversationId, seq, senderId, text, clientMsgId, replyTo, mentions, recalled, createdAt, readCount, unreadCount, attachments
    }
    func encode(to e: any Encoder) throws {
        var k = e.container(keyedBy: CodingKeys.self)
        try k.encode(m.id, forKey: .id); try k.encode(m.conversationId, forKey: .conversationId); try k.encode(m.seq, forKey: .seq)
        try k.encode(m.senderId, forKey: .senderId); try k.encode(m.text, forKey: .text); try k.encode(m.clientMsgId, forKey: .clientMsgId)
        try k.encode(m.replyTo, forKey: .replyTo); try k.encode(m.mentions, forKey: .mentions); try k.encode(m.recalled, forKey: .recalled)
        try k.encode(m.createdAt, forKey: .createdAt); try k.encode(m.readCount, forKey: .readCount); try k.encode(m.unreadCount, forKey: .unreadCount)
        try k.encode(m.attachments.map(AttachmentDTO.init), forKey: .attachments)
    }
}

struct ReceiptsDTO: ResponseEncodable { var read: [String]; var unread: [String] }

/// Conversations and messages: decode, call the messaging service, encode.
struct MessagingRoutes {
    let services: AppServices
    var messaging: MessagingService { services.messaging }

    func register(on router: Router<AppContext>) {
        let api = router.group("api/v1").add(middleware: AuthMiddleware(services: services))
        api.post("conversations") { request, ctx -> Response in
            var req = request
            let b = try await req.json(ConversationRequest.self, context: ctx)
            let viewer = try ctx.requireViewer()
            switch b.kind {
            case "direct":
                guard let members = b.members, members.count == 1 else {
                    throw DomainError.invalid("members", "a direct conversation has exactly one other member")
                }
                let (c, created) = try await messaging.openDirect(with: members[0], viewer: viewer)
                return try Created(value: ConversationDTO(c: c), status: created ? .created : .ok).response(from: req, context: ctx)
            case "group":
                let c = try await messaging.createGroup(name: b.name ?? "", members: b.members ?? [], viewer: viewer)
                return try Created(value: ConversationDTO(c: c)).response(from: req, context: ctx)
            case "org":
                guard let orgId = b.orgId else { throw DomainError.invalid("org_id", "a department group needs org_id") }
                let (c, created) = try await messaging.openOrgGroup(orgId: orgId, includeSubtree: b.includeSubtree ?? false, viewer: viewer)
                return try Created(value: ConversationDTO(c: c), status: created ? .created : .ok).response(from: req, context: ctx)
            default:
                throw DomainError.invalid("kind", "kind must be direct, group or org")
            }
        }
        api.get("conversations") { req, ctx in
            let page = try await messaging.conversations(viewer: try ctx.requireViewer(), page: try pageRequest(req, keyed: true))
            return PageDTO(page) { ConversationDTO(c: $0.conversation, unreadCount: $0.unreadCount, lastMessage: $0.lastMessage.map(MessageDTO.init),
                                                   includeSummary: true) }
        }
        api.get("conversations/:id") { _, ctx in
            ConversationDTO(c: try await messaging.conversation(try ctx.parameters.require("id"), viewer: try ctx.requireViewer()))
        }
        api.patch("conversations/:id") { request, ctx in
            var req = request
            let b = try await req.json(RenameRequest.self, context: ctx)
            return ConversationDTO(c: try await messaging.rename(try ctx.parameters.require("id"), name: b.name, viewer: try ctx.requireViewer(), from: ctx.clientAddress))
        }
        api.patch("conversations/:id/members/:person") { request, ctx in
            var req = request
            let b = try await req.json(RoleRequest.self, context: ctx)
            return ConversationDTO(c: try await messaging.setRole(try ctx.parameters.require("id"), person: try ctx.parameters.require("person"),
                                                                  role: b.role, viewer: try ctx.requireViewer(), from: ctx.clientAddress))
        }
        api.post("conversations/:id/owner") { request, ctx in
            var req = request
            let b = try await req.json(OwnerRequest.self, context: ctx)
            return ConversationDTO(c: try await messaging.transferOwnership(try ctx.parameters.require("id"), to: b.personId, viewer: try ctx.requireViewer(), from: ctx.clientAddress))
        }
        api.post("conversations/:id/members") { request, ctx in
            var req = request
            let b = try await req.json(MembersRequest.self, context: ctx)
            return ConversationDTO(c: try await messaging.addMembers(try ctx.parameters.require("id"), members: b.members, viewer: try ctx.requireViewer(), from: ctx.clientAddress))
        }
        api.delete("conversations/:id/members/:person") { _, ctx -> Response in
            try await messaging.removeMember(try ctx.parameters.require("id"), person: try ctx.parameters.require("person"), viewer: try ctx.requireViewer(), from: ctx.clientAddress)
            return Response(status: .noContent)
        }
        api.post("conversations/:id/messages") { request, ctx -> Response in
            var req = request
            let b = try await req.json(SendRequest.self, context: ctx)
            let (m, created) = try await messaging.send(try ctx.parameters.require("id"), text: b.text, clientMsgId: b.clientMsgId,
                                                        mentions: b.mentions, replyTo: b.replyTo, attachments: b.attachments,
                                                        viewer: try ctx.requireViewer())
            return try Created(value: MessageDTO(m: m), status: created ? .created : .ok).response(from: req, context: ctx)
        }
        api.get("conversations/:id/messages") { req, ctx in
            let q = req.uri.queryParameters
            let before = try q["before_seq"].map { s -> Int64 in
                guard let n = Int64(s), n > 0 else { throw DomainError(.badRequest, "invalid_before_seq", "before_seq must be a positive number") }
                return n
            }
            let limit = try limitParam(req, default: 50)
            let items = try await messaging.messages(try ctx.parameters.require("id"), beforeSeq: before, limit: limit, viewer: try ctx.requireViewer())
            return PageDTO(items: items.map(MessageDTO.init), nextCursor: items.count == limit ? items.last.map { String($0.seq) } : nil)
        }
        api.post("conversations/:id/read") { request, ctx -> Response in
            var req = request
            let b = try await req.json(ReadRequest.self, context: ctx)
            try await messaging.markRead(try ctx.parameters.require("id"), seq: b.seq, viewer: try ctx.requireViewer())
            return Response(status: .noContent)
        }
        api.post("attachments") { request, ctx -> Response in
            let name = request.uri.queryParameters["name"].map(String.init) ?? "file"
            let type = request.headers[.contentType] ?? ""
            let limit = services.maxAttachmentBytes
            // The body is read in chunks up to the limit, never as a whole beyond it.
            var chunks: [Data] = []
            var size = 0
            for try await buffer in request.body {
                size += buffer.readableBytes
                guard size <= limit else {
                    throw DomainError(.payloadTooLarge, "file_too_large", "attachments are limited to \(limit >> 20) MiB")
                }
                chunks.append(Data(buffer: buffer))
            }
            let a = try await messaging.upload(name: name, contentType: type, chunks: chunks, viewer: try ctx.requireViewer(),
                                               store: messaging.attachmentStore)
            return try Created(value: AttachmentDTO(a: a)).response(from: request, context: ctx)
        }
        api.get("attachments/:id") { _, ctx -> Response in
            let (a, data) = try await messaging.download(try ctx.parameters.require("id"), viewer: try ctx.requireViewer(),
                                                         store: messaging.attachmentStore)
            let encodedName = a.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "file"
            return Response(status: .ok, headers: [.contentType: a.contentType, .contentDisposition: "attachment; filename*=UTF-8''\(encodedName)",
                                                   .init("X-Content-Type-Options")!: "nosniff"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        api.get("search/messages") { req, ctx in
            let q = req.uri.queryParameters
            let limit = try limitParam(req, default: 20)
            let before = try q["cursor"].map { c -> String in
                guard ID.isValid(String(c)) else { throw DomainError(.badRequest, "invalid_cursor", "cursor is not one this server issued") }
                return String(c)
            }
            let items = try await messaging.search(q["q"].map { formDecoded(String($0)) } ?? "", viewer: try ctx.requireViewer(), limit: limit, before: before)
            return PageDTO(items: items.map(MessageDTO.init), nextCursor: items.count == limit ? items.last?.id : nil)
        }
        api.post("messages/:id/recall") { _, ctx in
            MessageDTO(m: try await messaging.recall(try ctx.parameters.require("id"), viewer: try ctx.requireViewer(), from: ctx.clientAddress))
        }
        api.get("messages/:id/receipts") { _, ctx in
            let r = try await messaging.receipts(try ctx.parameters.require("id"), viewer: try ctx.requireViewer())
            return ReceiptsDTO(read: r.read, unread: r.unread)
        }
    }
}
