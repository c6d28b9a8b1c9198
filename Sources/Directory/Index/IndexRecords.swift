import Foundation

/// What the in-memory index keeps of an org: the fields privacy rules and filters read, plus its unit
/// (whose lines every position in the org carries).
/// A class, so a position's check reads the org's fields in place instead of copying the org.
final class OrgRec: Sendable {
    let org: Org
    /// Slot of the unit at the top of this org's path (itself for a unit).
    let unitSlot: Int32
    let deleted: Bool

    init(org: Org, unitSlot: Int32, deleted: Bool = false) {
        self.org = org
        self.unitSlot = unitSlot
        self.deleted = deleted
    }
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
/// A class, so the lists and the candidates of a search share one record instead of copying its fields.
final class PersonRec: Sendable {
    let person: Person
    let positions: [PosRec]
    /// The name lower-cased, for substring matches (SQLite's LIKE folds ASCII case).
    let folded: String

    init(person: Person, positions: [PosRec]) {
        self.person = person
        var ps = positions
        Self.sortPositions(&ps)
        self.positions = ps
        let lower = person.name.lowercased()
        self.folded = lower == person.name ? person.name : lower
    }

    static func sortPositions(_ ps: inout [PosRec]) {
        guard ps.count > 1 else { return }
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

    /// Byte equality, as the databases compare text (Swift's `==` compares canonical equivalence, and
    /// takes a slow path for every non-ASCII string).
    static func equal(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    /// Whether `needle` occurs in `haystack`, byte for byte (UTF-8 keeps characters whole).
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        var h = haystack, n = needle
        return h.withUTF8 { hb in
            n.withUTF8 { nb in
                guard let first = nb.first else { return true }
                guard hb.count >= nb.count else { return false }
                var i = 0
                let last = hb.count - nb.count
                while i <= last {
                    if hb[i] == first {
                        var k = 1
                        while k < nb.count && hb[i + k] == nb[k] { k += 1 }
                        if k == nb.count { return true }
                    }
                    i += 1
                }
                return false
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
