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
        case .narrow(let candidates, let matches):
            take(narrowed(candidates, matches) ?? candidates) { rec in matches.contains { Self.matches($0, rec, rules) } }
        }
        let less = Self.order(source)
        let fromChanges = changed.values.filter { Self.matches(source, $0, rules) && visible($0) }.sorted(by: less)
        guard !fromChanges.isEmpty else { return fromBase }
        return Array(Self.merge(fromBase, fromChanges, less).prefix(needed))
    }

    /// The candidates that can match one of `matches`, still in rank order, read from the matches' own
    /// lists when those are shorter than the candidates: a surname in a county is a few hundred people,
    /// where walking the county's thousands checked every name. Nil when a match has no such list or the
    /// lists are longer; the caller then walks every candidate. Either way the same check runs on each,
    /// so the pages are the same.
    func narrowed(_ candidates: [Int32], _ matches: [IndexSource]) -> [Int32]? {
        var lists: [[Int32]] = []
        var total = 0
        for m in matches {
            let list: [Int32]
            switch m {
            case .exact(let name): list = base.names[name] ?? []
            case .gram(let gram, _): list = base.grams[gram] ?? []
            case .pinyin(let c):
                // Ranks are in pinyin order, so the prefix is one range of ranks and its candidates a slice.
                let range = IndexBase.prefixRange(0..<Int32(base.people.count), prefix: c) { base.people[Int($0)].person.pinyinCompact }
                list = Array(candidates[Self.lowerBound(candidates, Int32(range.lowerBound))..<Self.lowerBound(candidates, Int32(range.upperBound))])
            case .initials(let c):
                let range = IndexBase.prefixRange(base.byInitials, prefix: c) { base.people[Int($0)].person.initials }
                guard range.count <= candidates.count else { return nil }
                list = base.byInitials[range].sorted()
            default: return nil
            }
            total += list.count
            if total > candidates.count { return nil }
            lists.append(list)
        }
        var union = lists.count == 1 ? lists[0] : lists.flatMap { $0 }.sorted()
        if lists.count > 1 {
            var unique: [Int32] = []
            unique.reserveCapacity(union.count)
            for r in union where unique.last != r { unique.append(r) }
            union = unique
        }
        return Self.intersect(union, candidates)
    }

    /// The first index of ascending `list` whose value is at least `value`, from `start` on.
    static func lowerBound(_ list: [Int32], _ value: Int32, from start: Int = 0) -> Int {
        var lo = start, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The values in both ascending lists, ascending: each value of the shorter is looked up in the
    /// longer from where the last one was found.
    static func intersect(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        let (short, long) = a.count <= b.count ? (a, b) : (b, a)
        var out: [Int32] = []
        var from = 0
        for r in short {
            from = lowerBound(long, r, from: from)
            if from == long.count { break }
            if long[from] == r { out.append(r) }
        }
        return out
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
