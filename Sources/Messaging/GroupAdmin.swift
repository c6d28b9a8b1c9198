import Audit
import Directory
import Events
import Foundation
import SQLKit
import ZhengtongCore

/// Group administration: renaming, appointing admins, and handing the group to a new owner.
extension MessagingService {
    public func rename(_ id: String, name: String, viewer: Viewer, from address: String? = nil) async throws -> Conversation {
        let name = try Validate.name(name, max: 50)
        let c = try await conversation(id, viewer: viewer)
        guard c.kind == .group else { throw DomainError.invalid("kind", "only a group can be renamed") }
        try requireRole(c, viewer, ["owner", "admin"])
        try await write { db, events in
            try await db.raw("UPDATE conversations SET name = \(bind: name), updated_at = \(bind: clock.now().millis) WHERE id = \(bind: id)").run()
            try await audit(db, viewer.acting.from(address), "conversation.rename", id, ["name": name, "was": c.name ?? ""])
            events.append(try StagedEvent(type: "conversation.updated", payload: ["conversation_id": id, "name": name],
                                          recipients: c.members.map(\.personId)))
        }
        return try await conversation(id, viewer: viewer)
    }

    /// Sets a member's role to admin or member (the owner only).
    public func setRole(_ id: String, person: String, role: String, viewer: Viewer, from address: String? = nil) async throws -> Conversation {
        guard ["admin", "member"].contains(role) else { throw DomainError.invalid("role", "role must be admin or member") }
        let c = try await conversation(id, viewer: viewer)
        guard c.kind == .group else { throw DomainError.invalid("kind", "only a group has admins") }
        try requireRole(c, viewer, ["owner"])
        guard let target = c.members.first(where: { $0.personId == person }) else { throw DomainError.notFound("member") }
        guard target.role != "owner" else { throw DomainError(.conflict, "owner_role", "transfer ownership to change the owner's role") }
        try await write { db, events in
            try await db.raw("UPDATE conversation_members SET role = \(bind: role) WHERE conversation_id = \(bind: id) AND person_id = \(bind: person)").run()
            try await audit(db, viewer.acting.from(address), "conversation.set_role", id, ["person_id": person, "role": role])
            events.append(try StagedEvent(type: "conversation.members", payload: ["conversation_id": id, "person_id": person, "role": role],
                                          recipients: c.members.map(\.personId)))
        }
        return try await conversation(id, viewer: viewer)
    }

    /// Hands the group to another member; the old owner stays on as an admin.
    public func transferOwnership(_ id: String, to person: String, viewer: Viewer, from address: String? = nil) async throws -> Conversation {
        let c = try await conversation(id, viewer: viewer)
        guard c.kind == .group else { throw DomainError.invalid("kind", "only a group has an owner") }
        try requireRole(c, viewer, ["owner"])
        guard person != viewer.personId else { throw DomainError.invalid("person_id", "you already own this group") }
        guard c.members.contains(where: { $0.personId == person }) else { throw DomainError.invalid("person_id", "the new owner must be a member") }
        try await write { db, events in
            try await db.raw("UPDATE conversations SET owner_id = \(bind: person) WHERE id = \(bind: id)").run()
            try await db.raw("UPDATE conversation_members SET role = 'owner' WHERE conversation_id = \(bind: id) AND person_id = \(bind: person)").run()
            try await db.raw("UPDATE conversation_members SET role = 'admin' WHERE conversation_id = \(bind: id) AND person_id = \(bind: viewer.personId)").run()
            try await audit(db, viewer.acting.from(address), "conversation.transfer_owner", id, ["owner_id": person])
            events.append(try StagedEvent(type: "conversation.updated", payload: ["conversation_id": id, "owner_id": person],
                                          recipients: c.members.map(\.personId)))
        }
        return try await conversation(id, viewer: viewer)
    }

    /// A group's administration is audited like the directory's, in the same transaction: who changed
    /// which conversation, and how. (Messages themselves are not audited; their log is the event log.)
    func audit(_ db: any SQLDatabase, _ actor: ActingContext, _ action: String, _ targetId: String, _ detail: [String: String],
               targetType: String = "conversation") async throws {
        try await AuditLog.append(db, actor: actor, action: action, targetType: targetType, targetId: targetId,
                                  detail: detail, at: clock.now())
    }

    func requireRole(_ c: Conversation, _ viewer: Viewer, _ roles: Set<String>) throws {
        guard let me = c.members.first(where: { $0.personId == viewer.personId }), roles.contains(me.role) else {
            throw DomainError(.forbidden, roles == ["owner"] ? "not_group_owner" : "not_group_admin",
                              roles == ["owner"] ? "only the group's owner may do this" : "only the group's owner or admins may do this")
        }
    }
}
