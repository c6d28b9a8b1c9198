import Foundation
import ZhengtongCore

/// One consistent state of the index: the base, the orgs, and the people changed since the base was
/// built (which replace their base entries, the *tombstones*). Searches run on a copy of it, outside
/// any lock.
struct IndexState: Sendable {
    var base: IndexBase
    var orgs: OrgTable
    /// Person id → current record, for everyone created or changed since the base was built.
    var changed: [String: PersonRec] = [:]
    var tombstones: Set<Int32> = []

    func isCurrent(_ rank: Int32) -> Bool { tombstones.isEmpty || !tombstones.contains(rank) }
}

/// Where one list of search results comes from, and in which order (see `DirectoryService.sources`,
/// whose SQL this follows exactly, so both give the same pages).
enum IndexSource {
    case all
    case pinyin(String)
    case initials(String)
    case mobile(String)
    case exact(String)
    case gram(String, needle: String)
    /// People of an org or a county-or-lower region matching any of `matches`, in rank order.
    case narrow(candidates: [Int32], matches: [IndexSource])
}

extension IndexState {
    /// The `needed` first people of `source` who pass `visible`, merging base and changed records.
    func collect(_ source: IndexSource, rules: IndexRules, needed: Int, visible: (PersonRec) -> Bool) -> [PersonRec] {
        let people = base.people
        var fromBase: [PersonRec] = []
        func take<S: Sequence<Int32>>(_ ranks: S, check: (PersonRec) -> Bool) {
            for r in ranks where isCurrent(r) {
                let rec = people[Int(r)]
                if check(rec) && visible(rec) {
                    fromBase.append(rec)
                    if fromBase.count >= needed { return }
                }
            }
        }
        switch source {
        case .all: take(0..<Int32(people.count)) { _ in true }
        case .pinyin(let c):
            let range = IndexBase.prefixRange(0..<Int32(people.count), prefix: c) { people[Int($0)].person.pinyinCompact }
            take(Int32(range.lowerBound)..<Int32(range.upperBound)) { _ in true }
        case .initials(let c):
            let range = IndexBase.prefixRange(base.byInitials, prefix: c) { people[Int($0)].person.initials }
            take(base.byInitials[range]) { _ in true }
        case .mobile(let c):
            let range = IndexBase.prefixRange(base.byMobile, prefix: c) { people[Int($0)].person.mobile ?? "" }
            take(base.byMobile[range]) { rules.mobileVisible($0) }
        case .exact(let name): take(base.names[name] ?? []) { _ in true }
        case .gram(let gram, let needle): take(base.grams[gram] ?? []) { Bytewise.contains($0.folded, needle) }
        case .narrow(let candidates, let matches): take(candidates) { rec in matches.contains { Self.matches($0, rec, rules) } }
        }
        let less = Self.order(source)
        let fromChanges = changed.values.filter { Self.matches(source, $0, rules) && visible($0) }.sorted(by: less)
        guard !fromChanges.isEmpty else { return fromBase }
        return Array(Self.merge(fromBase, fromChanges, less).prefix(needed))
    }

    /// Whether `rec` belongs to `source` (how a changed record is tested, having no place in the lists).
    static func matches(_ source: IndexSource, _ rec: PersonRec, _ rules: IndexRules) -> Bool {
        let p = rec.person
        switch source {
        case .all: return true
        case .pinyin(let c): return Bytewise.underPrefix(p.pinyinCompact, c)
        case .initials(let c): return Bytewise.underPrefix(p.initials, c)
        case .mobile(let c): return p.mobile.map { Bytewise.underPrefix($0, c) } ?? false && rules.mobileVisible(rec)
        case .exact(let name): return Bytewise.equal(p.name, name)
        case .gram(_, let needle): return Bytewise.contains(rec.folded, needle)
        case .narrow(_, let matches): return matches.contains { Self.matches($0, rec, rules) }
        }
    }

    static func order(_ source: IndexSource) -> (PersonRec, PersonRec) -> Bool {
        switch source {
        case .initials:
            return { a, b in
                let c = Bytewise.compare(a.person.initials, b.person.initials)
                return c != 0 ? c < 0 : IndexLoader.rankLess(a.person, b.person)
            }
        case .mobile:
            return { a, b in
                let c = Bytewise.compare(a.person.mobile ?? "", b.person.mobile ?? "")
                return c != 0 ? c < 0 : IndexLoader.rankLess(a.person, b.person)
            }
        default:
            return { IndexLoader.rankLess($0.person, $1.person) }
        }
    }

    static func merge<T>(_ a: [T], _ b: [T], _ less: (T, T) -> Bool) -> [T] {
        var out: [T] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && !less(b[j], a[i])) { out.append(a[i]); i += 1 } else { out.append(b[j]); j += 1 }
        }
        return out
    }
}
