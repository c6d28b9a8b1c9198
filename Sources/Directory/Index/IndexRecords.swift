import Foundation

/// What the in-memory index keeps of an org: the fields privacy rules and filters read, plus its unit
/// (whose lines every position in the org carries).
struct OrgRec: Sendable {
    var org: Org
    /// Slot of the unit at the top of this org's path (itself for a unit), nil until resolved.
    var unitSlot: Int32
    var deleted = false
}

/// One position as the index keeps it; the org's derived fields are read through `orgSlot`, so an org
/// that is renamed or hidden changes every position in it at once.
struct PosRec: Sendable {
    var id: String
    var orgSlot: Int32
    var title: String?
    var leader: Bool
    var roles: [String]
    var main: Bool
    var order: Int
}

/// A person with their positions, in the order the API shows them (main first, then display order, id).
struct PersonRec: Sendable {
    var person: Person
    var positions: [PosRec]

    static func sortPositions(_ ps: inout [PosRec]) {
        ps.sort { a, b in
            if a.main != b.main { return a.main }
            if a.order != b.order { return a.order < b.order }
            return Bytewise.less(a.id, b.id)
        }
    }
}

/// Comparisons in byte order of the UTF-8, which is how SQLite's BINARY collation and PostgreSQL's C
/// collation order text: the index must agree with the database on what "in order" means.
enum Bytewise {
    static func less(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    static func compare(_ a: String, _ b: String) -> Int {
        var i = a.utf8.makeIterator(), j = b.utf8.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case let (x?, y?): if x != y { return x < y ? -1 : 1 }
            }
        }
    }

    /// `s` lies in `[prefix, prefix + "\u{7F}")`, the SQL side's prefix test (`PrivacySQL.under`): it
    /// starts with `prefix` and the byte after it, if any, is below 0x7F.
    static func underPrefix(_ s: String, _ prefix: String) -> Bool {
        var i = s.utf8.makeIterator()
        for b in prefix.utf8 where i.next() != b { return false }
        guard let next = i.next() else { return true }
        return next < 0x7F
    }
}
