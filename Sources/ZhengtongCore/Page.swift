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
///
/// Most listings page by position (`o:` cursors). One whose rows move while a client pages through it
/// (conversations, which rise with each new message) pages by key instead (`k:` cursors): `after` is
/// the key of the last row already seen, so no row is repeated and none that stayed put is skipped.
/// A cursor belongs to the listing that issued it.
public struct PageRequest: Sendable, Equatable {
    public static let maxLimit = 200
    public var limit: Int
    public var offset: Int
    /// From a `k:` cursor: the key of the previous page's last row.
    public var after: String?

    /// No listing is paged this deep; a larger offset is a forged cursor (and would overflow).
    public static let maxOffset = 100_000_000

    /// `keyed`: the listing pages by key and takes `k:` cursors (an `o:` one from before still works);
    /// any other listing refuses them.
    public init(limit: Int?, cursor: String?, defaultLimit: Int = 50, keyed: Bool = false) throws {
        let l = limit ?? defaultLimit
        guard (1...Self.maxLimit).contains(l) else {
            throw DomainError(.badRequest, "invalid_limit", "limit must be between 1 and \(Self.maxLimit)")
        }
        self.limit = l
        offset = 0
        if let cursor {
            guard let data = Data(base64Encoded: Self.unURL(cursor)), let s = String(data: data, encoding: .utf8) else {
                throw Self.invalidCursor
            }
            if s.hasPrefix("k:"), s.count > 2 {
                guard keyed else { throw Self.invalidCursor }
                after = String(s.dropFirst(2))
            } else {
                guard s.hasPrefix("o:"), let o = Int(s.dropFirst(2)), (0...Self.maxOffset).contains(o) else { throw Self.invalidCursor }
                offset = o
            }
        }
    }

    public static let invalidCursor = DomainError(.badRequest, "invalid_cursor", "cursor is not one this server issued")

    /// Fetch one more row than asked to know whether another page exists.
    public var fetchLimit: Int { limit + 1 }

    public func page<T>(_ rows: [T]) -> Page<T> {
        if rows.count > limit {
            return Page(items: Array(rows.prefix(limit)), nextCursor: Self.cursor("o:\(offset + limit)"))
        }
        return Page(items: rows, nextCursor: nil)
    }

    /// A page of a listing paged by key: the next cursor carries the key of this page's last row.
    public func page<T>(_ rows: [T], key: (T) -> String) -> Page<T> {
        if rows.count > limit {
            let items = Array(rows.prefix(limit))
            return Page(items: items, nextCursor: Self.cursor("k:" + key(items[items.count - 1])))
        }
        return Page(items: rows, nextCursor: nil)
    }

    static func cursor(_ s: String) -> String {
        Data(s.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unURL(_ s: String) -> String {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return b
    }
}
