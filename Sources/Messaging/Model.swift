import Foundation

public enum ConversationKind: String, Codable, Sendable {
    case direct, group, org
}

public struct Member: Codable, Sendable, Equatable {
    public var personId: String
    public var role: String
    public var readSeq: Int64
}

public struct Conversation: Codable, Sendable, Equatable {
    public var id: String
    public var kind: ConversationKind
    public var name: String?
    public var ownerId: String?
    public var lastSeq: Int64
    public var createdAt: Date
    public var members: [Member]
    /// For a department group: the org whose people are its members, and whether its subtree counts.
    public var orgId: String? = nil
    public var includeSubtree = false
}

public struct Message: Codable, Sendable, Equatable {
    public var id: String
    public var conversationId: String
    public var seq: Int64
    public var senderId: String
    public var text: String
    public var clientMsgId: String
    public var replyTo: String?
    public var mentions: [String]
    public var recalled: Bool
    public var createdAt: Date
    /// Members other than the sender whose read position has reached this message.
    public var readCount: Int
    public var unreadCount: Int
    public var attachments: [Attachment] = []
}

/// One of my conversations, as the list shows it.
public struct ConversationSummary: Sendable {
    public var conversation: Conversation
    public var unreadCount: Int
    public var lastMessage: Message?
}

public struct Receipts: Sendable, Equatable {
    public var read: [String]
    public var unread: [String]
}
