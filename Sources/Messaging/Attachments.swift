import Crypto
import Directory
import Foundation
import SQLKit
import ZhengtongCore

public struct Attachment: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var contentType: String
    public var size: Int
    public var sha256: String
}

/// Where attachment bytes are kept. On disk by default; the protocol is the seam for an object store.
public protocol AttachmentStore: Sendable {
    func write(id: String, _ chunks: [Data]) throws
    func read(id: String) throws -> Data
    func delete(id: String)
}

public struct DiskAttachmentStore: AttachmentStore {
    public let directory: URL
    public init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }
    public func write(id: String, _ chunks: [Data]) throws {
        let url = directory.appendingPathComponent(id)
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        for c in chunks { try handle.write(contentsOf: c) }
    }
    public func read(id: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(id)) }
    public func delete(id: String) { try? FileManager.default.removeItem(at: directory.appendingPathComponent(id)) }
}

/// Upload rules: a size limit and an allow-list of content types, with the declared type checked
/// against the file's first bytes where a format has a signature (so an executable cannot pass as a PNG).
public enum AttachmentRules {
    public static let allowed: [String: [UInt8]?] = [
        "image/png": [0x89, 0x50, 0x4E, 0x47], "image/jpeg": [0xFF, 0xD8, 0xFF], "image/gif": [0x47, 0x49, 0x46, 0x38],
        "application/pdf": [0x25, 0x50, 0x44, 0x46], "application/zip": [0x50, 0x4B, 0x03, 0x04],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [0x50, 0x4B, 0x03, 0x04],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [0x50, 0x4B, 0x03, 0x04],
        "application/msword": [0xD0, 0xCF, 0x11, 0xE0], "application/vnd.ms-excel": [0xD0, 0xCF, 0x11, 0xE0],
        "text/plain": nil, "text/csv": nil,
    ]

    public static func check(contentType: String, firstBytes: Data) throws {
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard let signature = allowed[type] else {
            throw DomainError(.unprocessable, "unsupported_content_type", "files of type \(type.isEmpty ? "(none)" : type) cannot be attached")
        }
        if let signature, !firstBytes.starts(with: signature) {
            throw DomainError(.unprocessable, "content_mismatch", "the file's content is not \(type)")
        }
        if signature == nil, String(data: firstBytes.prefix(4096), encoding: .utf8) == nil && firstBytes.count < 4096 {
            throw DomainError(.unprocessable, "content_mismatch", "the file is not UTF-8 text")
        }
    }
}

extension MessagingService {
    /// Stores an uploaded file for the viewer; it is attached when a message naming it is sent.
    public func upload(name: String, contentType: String, chunks: [Data], viewer: Viewer, store: any AttachmentStore) async throws -> Attachment {
        let name = try Validate.name(name.replacingOccurrences(of: "/", with: "_"), field: "name", max: 200)
        let size = chunks.reduce(0) { $0 + $1.count }
        guard size > 0 else { throw DomainError.invalid("file", "the file is empty") }
        var first = Data()
        for c in chunks where first.count < 4096 { first.append(c.prefix(4096 - first.count)) }
        try AttachmentRules.check(contentType: contentType, firstBytes: first)
        var hasher = SHA256()
        for c in chunks { hasher.update(data: c) }
        let digest = Hex.string(hasher.finalize())
        let type = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? contentType
        let id = ID.make(at: clock.now())
        try store.write(id: id, chunks)
        do {
            try await database.transaction { db in
                try await db.raw("""
                    INSERT INTO attachments (id, uploader_id, name, content_type, size, sha256, created_at)
                    VALUES (\(bind: id), \(bind: viewer.personId), \(bind: name), \(bind: type), \(bind: size), \(bind: digest), \(bind: clock.now().millis))
                    """).run()
            }
        } catch {
            store.delete(id: id)
            throw error
        }
        return Attachment(id: id, name: name, contentType: type, size: size, sha256: digest)
    }

    /// An attachment and its bytes, for its uploader or the members of the conversation it was sent to.
    public func download(_ id: String, viewer: Viewer, store: any AttachmentStore) async throws -> (Attachment, Data) {
        guard ID.isValid(id), let row = try await database.read({ db in
            try await db.raw("SELECT id, uploader_id, name, content_type, size, sha256, conversation_id FROM attachments WHERE id = \(bind: id)").first()
        }) else { throw DomainError.notFound("attachment") }
        let uploader = try row.decode(column: "uploader_id", as: String.self)
        if uploader != viewer.personId {
            guard let conversation = try row.decode(column: "conversation_id", as: String?.self),
                  (try? await self.conversation(conversation, viewer: viewer)) != nil else { throw DomainError.notFound("attachment") }
        }
        let a = Attachment(id: id, name: try row.decode(column: "name", as: String.self), contentType: try row.decode(column: "content_type", as: String.self),
                           size: try row.decode(column: "size", as: Int.self), sha256: try row.decode(column: "sha256", as: String.self))
        return (a, try store.read(id: id))
    }

    /// Claims the viewer's unattached uploads for a message, inside the send's transaction.
    static func attach(_ db: any SQLDatabase, ids: [String], messageId: String, conversationId: String, viewer: Viewer) async throws -> [Attachment] {
        guard !ids.isEmpty else { return [] }
        guard ids.count <= 10 else { throw DomainError.invalid("attachments", "at most 10 attachments per message") }
        var out: [Attachment] = []
        for id in ids {
            guard let r = try await db.raw("""
                UPDATE attachments SET message_id = \(bind: messageId), conversation_id = \(bind: conversationId)
                WHERE id = \(bind: id) AND uploader_id = \(bind: viewer.personId) AND message_id IS NULL
                RETURNING id, name, content_type, size, sha256
                """).first() else { throw DomainError.invalid("attachments", "attachment \(id) is not an unused upload of yours") }
            out.append(Attachment(id: id, name: try r.decode(column: "name", as: String.self), contentType: try r.decode(column: "content_type", as: String.self),
                                  size: try r.decode(column: "size", as: Int.self), sha256: try r.decode(column: "sha256", as: String.self)))
        }
        return out
    }

    static func attachments(_ db: any SQLDatabase, messageIds: [String]) async throws -> [String: [Attachment]] {
        guard !messageIds.isEmpty else { return [:] }
        var out: [String: [Attachment]] = [:]
        for r in try await db.raw("""
            SELECT id, message_id, name, content_type, size, sha256 FROM attachments WHERE message_id IN (\(binds: messageIds)) ORDER BY id
            """).all() {
            out[try r.decode(column: "message_id", as: String.self), default: []].append(
                Attachment(id: try r.decode(column: "id", as: String.self), name: try r.decode(column: "name", as: String.self),
                           contentType: try r.decode(column: "content_type", as: String.self), size: try r.decode(column: "size", as: Int.self),
                           sha256: try r.decode(column: "sha256", as: String.self)))
        }
        return out
    }
}
