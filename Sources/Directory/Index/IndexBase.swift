import Foundation
import ZhengtongCore

/// The bulk of the in-memory directory index, built once from the database and never changed after.
/// People are kept in *rank* order, (pinyin_compact, id) as bytes, which is the order every search
/// returns; each list below holds ranks, so walking it in order yields results in search order and a
/// search can stop after a page. Changes made after the build live in the index's overlay.
final class IndexBase: Sendable {
    let people: [PersonRec]
    let rankOf: [String: Int32]
    /// Every character and adjacent pair of a name (`NameGrams`) → ranks, ascending.
    let grams: [String: [Int32]]
    let names: [String: [Int32]]
    /// Ranks ordered by (initials, rank); by (mobile, rank) for people with a mobile.
    let byInitials: [Int32]
    let byMobile: [Int32]
    /// Title → ranks ordered by person id, one entry per position that has the title.
    let titles: [String: [Int32]]
    /// The titles, in byte order.
    let titleKeys: [String]
    /// Org slot → ranks of the people with a position there, ascending (slots of orgs built with this base).
    let orgMembers: [[Int32]]
    /// Org slots ordered by path and by region code, for subtree ranges.
    let orgsByPath: [Int32]
    let orgsByRegion: [Int32]
    /// First six digits of a region code (a county) → ranks of the people with a position there, ascending.
    let countyMembers: [String: [Int32]]

    init(people: [PersonRec], orgs: OrgTable) {
        self.people = people
        var rankOf = [String: Int32](minimumCapacity: people.count)
        var grams: [String: [Int32]] = [:]
        var names: [String: [Int32]] = [:]
        var titleRows: [String: [(String, Int32)]] = [:]
        var orgMembers = [[Int32]](repeating: [], count: orgs.orgs.count)
        var county: [String: [Int32]] = [:]
        for (i, rec) in people.enumerated() {
            let r = Int32(i)
            rankOf[rec.person.id] = r
            for g in NameGrams.grams(rec.person.name) { grams[g, default: []].append(r) }
            names[rec.person.name, default: []].append(r)
            for p in rec.positions {
                if let t = p.title { titleRows[t, default: []].append((rec.person.id, r)) }
                guard p.orgSlot >= 0 else { continue }
                // Ranks arrive in order, so a person with two positions in one org (or county) is listed once.
                if orgMembers[Int(p.orgSlot)].last != r { orgMembers[Int(p.orgSlot)].append(r) }
                let c = String(orgs.orgs[Int(p.orgSlot)].org.regionCode.prefix(6))
                if county[c]?.last != r { county[c, default: []].append(r) }
            }
        }
        self.rankOf = rankOf
        self.grams = grams
        self.names = names
        // A person with the title twice is listed once: the query counts their positions itself.
        self.titles = titleRows.mapValues { rows in
            var out: [Int32] = []
            for (_, r) in rows.sorted(by: { Bytewise.less($0.0, $1.0) }) where out.last != r { out.append(r) }
            return out
        }
        self.titleKeys = titleRows.keys.sorted(by: Bytewise.less)
        self.orgMembers = orgMembers
        self.countyMembers = county
        self.byInitials = (0..<Int32(people.count)).sorted { a, b in
            let c = Bytewise.compare(people[Int(a)].person.initials, people[Int(b)].person.initials)
            return c != 0 ? c < 0 : a < b
        }
        self.byMobile = (0..<Int32(people.count)).filter { people[Int($0)].person.mobile != nil }.sorted { a, b in
            let c = Bytewise.compare(people[Int(a)].person.mobile!, people[Int(b)].person.mobile!)
            return c != 0 ? c < 0 : a < b
        }
        let slots = Array(0..<Int32(orgs.orgs.count))
        self.orgsByPath = slots.sorted { Bytewise.less(orgs.orgs[Int($0)].org.path, orgs.orgs[Int($1)].org.path) }
        self.orgsByRegion = slots.sorted { Bytewise.less(orgs.orgs[Int($0)].org.regionCode, orgs.orgs[Int($1)].org.regionCode) }
    }

    /// The half-open range of `order` whose key lies under `prefix` (`Bytewise.underPrefix`); `order`
    /// must be sorted by `key`.
    static func prefixRange(_ order: some RandomAccessCollection<Int32>, prefix: String, key: (Int32) -> String) -> Range<Int> {
        func lowerBound(_ bound: String) -> Int {
            var lo = 0, hi = order.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if Bytewise.compare(key(order[order.index(order.startIndex, offsetBy: mid)]), bound) < 0 { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        let lo = lowerBound(prefix)
        return lo..<max(lo, lowerBound(prefix + "\u{7F}"))
    }
}

/// Regions and orgs, which the overlay changes in place (they are few beside the people): slots are
/// stable, so lists of org slots in the base stay valid; a new org takes the next slot.
struct OrgTable: Sendable {
    var orgs: [OrgRec] = []
    var slotOf: [String: Int32] = [:]
    var regions: [String: Region] = [:]

    mutating func put(_ org: Org) {
        let unitId = org.path.split(separator: "/").first.map(String.init) ?? org.id
        if let s = slotOf[org.id] {
            orgs[Int(s)] = OrgRec(org: org, unitSlot: slotOf[unitId] ?? s)
        } else {
            let s = Int32(orgs.count)
            slotOf[org.id] = s
            orgs.append(OrgRec(org: org, unitSlot: slotOf[unitId] ?? s))
        }
    }

    /// Resolves units after a bulk load in which a department may come before its unit.
    mutating func resolveUnits() {
        for i in orgs.indices {
            let unitId = orgs[i].org.path.split(separator: "/").first.map(String.init) ?? orgs[i].org.id
            orgs[i] = OrgRec(org: orgs[i].org, unitSlot: slotOf[unitId] ?? Int32(i))
        }
    }

    func lines(of slot: Int32) -> [String] { orgs[Int(orgs[Int(slot)].unitSlot)].org.lines }

    mutating func markDeleted(_ slot: Int32) {
        let rec = orgs[Int(slot)]
        orgs[Int(slot)] = OrgRec(org: rec.org, unitSlot: rec.unitSlot, deleted: true)
    }
}
