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
    func collect(_ source: IndexSource, rules: IndexRules, needed: Int, budget: IndexBudget,
                 visible: (PersonRec) -> Bool) throws -> [PersonRec] {
        let people = base.people
        var fromBase: [PersonRec] = []
        func take<S: Sequence<Int32>>(_ ranks: S, check: (PersonRec) -> Bool) throws {
            for r in ranks {
                try budget.spend(1)
                guard isCurrent(r) else { continue }
                let rec = people[Int(r)]
                if check(rec) && visible(rec) {
                    fromBase.append(rec)
                    if fromBase.count >= needed { return }
                }
            }
        }
        switch source {
        case .all: try take(0..<Int32(people.count)) { _ in true }
        case .pinyin(let c):
            let range = IndexBase.prefixRange(0..<Int32(people.count), prefix: c) { people[Int($0)].person.pinyinCompact }
            try take(Int32(range.lowerBound)..<Int32(range.upperBound)) { _ in true }
        case .initials(let c):
            let range = IndexBase.prefixRange(base.byInitials, prefix: c) { people[Int($0)].person.initials }
            try take(base.byInitials[range]) { _ in true }
        case .mobile(let c):
            let range = IndexBase.prefixRange(base.byMobile, prefix: c) { people[Int($0)].person.mobile ?? "" }
            try take(base.byMobile[range]) { rules.mobileVisible($0) }
        case .exact(let name): try take(base.names[name] ?? []) { _ in true }
        case .gram(let gram, let needle): try take(base.grams[gram] ?? []) { Bytewise.contains($0.folded, needle) }
        case .narrow(let candidates, let matches):
            let check: (PersonRec) -> Bool = { rec in matches.contains { Self.matches($0, rec, rules) } }
            if let driver = try driver(for: matches, within: candidates, budget: budget) {
                try take(SortedIntersection(driver, candidates), check: check)
            } else {
                try take(candidates, check: check)
            }
        }
        let less = Self.order(source)
        try budget.spend(changed.count)
        let fromChanges = changed.values.filter { Self.matches(source, $0, rules) && visible($0) }.sorted(by: less)
        guard !fromChanges.isEmpty else { return fromBase }
        return Array(Self.merge(fromBase, fromChanges, less).prefix(needed))
    }

    /// An ascending list of ranks holding everyone who can match one of `matches`, to walk together with
    /// a subtree's people (`SortedIntersection`) instead of testing every person of the subtree: a
    /// surname in a county is a few hundred people among thousands, and in the province's lists the
    /// walk skips ahead through whichever list is behind. Nil when a match has no such list; the caller
    /// then walks every candidate. Either way the same check runs on each, so the pages are the same.
    func driver(for matches: [IndexSource], within candidates: [Int32], budget: IndexBudget) throws -> [Int32]? {
        // A name equal to the query contains it, so it is in the query's gram list too.
        if let gram = matches.lazy.compactMap({ m -> String? in if case .gram(let g, _) = m { return g } else { return nil } }).first,
           matches.allSatisfy({ if case .gram = $0 { return true }; if case .exact = $0 { return true }; return false }) {
            return base.grams[gram] ?? []
        }
        var lists: [[Int32]] = []
        var total = 0
        for m in matches {
            let list: [Int32]
            switch m {
            case .exact(let name): list = base.names[name] ?? []
            case .pinyin(let c):
                // Ranks are in pinyin order, so the prefix is one range of ranks and its candidates a slice.
                let range = IndexBase.prefixRange(0..<Int32(base.people.count), prefix: c) { base.people[Int($0)].person.pinyinCompact }
                let slice = candidates[Self.lowerBound(candidates, Int32(range.lowerBound))..<Self.lowerBound(candidates, Int32(range.upperBound))]
                try budget.spend(slice.count)
                list = Array(slice)
            case .initials(let c):
                // Ordered by initials, not rank: sorted here, so only when it is short.
                let range = IndexBase.prefixRange(base.byInitials, prefix: c) { base.people[Int($0)].person.initials }
                guard range.count <= candidates.count else { return nil }
                try budget.spend(range.count)
                list = base.byInitials[range].sorted()
            default: return nil
            }
            total += list.count
            if total > candidates.count { return nil }
            lists.append(list)
        }
        if lists.count == 1 { return lists[0] }
        try budget.spend(total)
        var unique: [Int32] = []
        unique.reserveCapacity(total)
        for r in lists.flatMap({ $0 }).sorted() where unique.last != r { unique.append(r) }
        return unique
    }

    /// The first index of ascending `list` whose value is at least `value`, from `start` on.
    static func lowerBound(_ list: [Int32], _ value: Int32, from start: Int = 0, below end: Int? = nil) -> Int {
        var lo = start, hi = end ?? list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
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

/// The values in both of two ascending lists, ascending, found lazily: whichever list is behind skips
/// ahead (exponentially, then by halves) to the other's value, so a walk that stops after a page costs
/// little even when one list is the province's people called 王 and the other a county's people.
struct SortedIntersection: Sequence, IteratorProtocol {
    let a: [Int32], b: [Int32]
    var i = 0, j = 0

    init(_ a: [Int32], _ b: [Int32]) { (self.a, self.b) = (a, b) }

    mutating func next() -> Int32? {
        while i < a.count && j < b.count {
            let x = a[i], y = b[j]
            if x == y { i += 1; j += 1; return x }
            if x < y { i = Self.skip(a, to: y, from: i) } else { j = Self.skip(b, to: x, from: j) }
        }
        return nil
    }

    /// The first index from `start` whose value is at least `value`.
    static func skip(_ list: [Int32], to value: Int32, from start: Int) -> Int {
        var step = 1, hi = start
        while hi < list.count && list[hi] < value { hi = start + step; step *= 2 }
        return IndexState.lowerBound(list, value, from: start + step / 4, below: Swift.min(hi, list.count))
    }
}
