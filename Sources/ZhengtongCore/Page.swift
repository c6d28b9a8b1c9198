import Foundation

/// One page of a list: every list endpoint answers `{"items": [...], "next_cursor": ...}`.
public struct Page<T: Sendable>: Sendable {
    public var items: [T]
    public var nextCursor: String?
    public init(items: [T], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

extension Page: Equatable where T: Equatable {}

/// Paging request: `limit` in 1...200 and an opaque cursor (a position in the listing's order).
public struct PageRequest: Sendable, Equatable {
    public static let maxLimit = 200
    public var limit: Int
    public var offset: Int

    public init(limit: Int?, cursor: String?, defaultLimit: Int = 50) throws {
        let l = limit ?? defaultLimit
        guard (1...Self.maxLimit).contains(l) else {
            throw DomainError(.badRequest, "invalid_limit", "limit must be between 1 and \(Self.maxLimit)")
        }
        self.limit = l
        if let cursor {
            guard let data = Data(base64Encoded: Self.unURL(cursor)), let s = String(data: data, encoding: .utf8),
                  s.hasPrefix("o:"), let o = Int(s.dropFirst(2)), o >= 0 else {
                throw DomainError(.badRequest, "invalid_cursor", "cursor is not one this server issued")
            }
            offset = o
        } else {
            offset = 0
        }
    }

    /// Fetch one more row than asked to know whether another page exists.
    public var fetchLimit: Int { limit + 1 }

    public func page<T>(_ rows: [T]) -> Page<T> {
        if rows.count > limit {
            let next = Data("o:\(offset + limit)".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            return Page(items: Array(rows.prefix(limit)), nextCursor: next)
        }
        return Page(items: rows, nextCursor: nil)
    }

    static func unURL(_ s: String) -> String {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return b
    }
}
