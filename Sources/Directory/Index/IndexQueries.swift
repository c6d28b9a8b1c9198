import Foundation
import ZhengtongCore

/// People search and org member listings answered from memory. Each follows its SQL counterpart in
/// `DirectoryService` rule for rule, so the two give the same pages and the same errors.
extension IndexState {
    func org(_ id: String, viewer: Viewer) throws -> (Org, Int32) {
        guard ID.isValid(id), let slot = orgs.slotOf[id], !orgs.orgs[Int(slot)].deleted,
              Privacy.canSee(org: orgs.orgs[Int(slot)].org, viewer: viewer) else {
            throw DomainError.notFound("org")
        }
        return (orgs.orgs[Int(slot)].org, slot)
    }

    func search(_ query: PeopleQuery, viewer: Viewer, page: PageRequest, budget: IndexBudget = .unlimited) throws -> Page<PersonView> {
        let rules = IndexRules(viewer: viewer, orgs: orgs)
        var filter = PositionFilter()
        var narrow: [Int32]? = nil
        if let code = query.region?.trimmed(.whitespaces), !code.isEmpty {
            guard let r = orgs.regions[code] else { throw DomainError.notFound("region") }
            filter.regionPrefix = r.prefix
            if r.level >= .county { narrow = try regionCandidates(r.prefix, budget: budget) }
        }
        if let id = query.org?.trimmed(.whitespaces), !id.isEmpty {
            let (o, _) = try org(id, viewer: viewer)
            filter.orgPath = o.path
            narrow = try subtreeCandidates(o.path, budget: budget)
        }
        if let line = query.line?.trimmed(.whitespaces), !line.isEmpty { filter.line = line }
        if let role = query.role?.trimmed(.whitespaces), !role.isEmpty { filter.role = role }
        let rank = query.rank?.trimmed(.whitespaces).nonEmpty
        let q = (query.q ?? "").trimmed(.whitespacesAndNewlines)
        guard q.count <= 100 else { throw DomainError(.badRequest, "invalid_q", "q is longer than 100 characters") }

        let positionFilter = filter.isEmpty ? nil : filter
        let visible: (PersonRec) -> Bool = { rec in
            (rank.map { r in rec.person.rank.map { Bytewise.equal($0, r) } ?? false } ?? true) && rules.personVisible(rec, filter: positionFilter)
        }
        var sources = Self.sources(q)
        if let narrow { sources = [.narrow(candidates: narrow, matches: sources)] }
        let needed = page.offset + page.fetchLimit
        var seen = Set<String>()
        var found: [PersonRec] = []
        for source in sources {
            for rec in try collect(source, rules: rules, needed: needed, budget: budget, visible: visible) where seen.insert(rec.person.id).inserted {
                found.append(rec)
            }
            if found.count >= needed { break }
        }
        if found.count < needed, !q.isEmpty {
            for rec in try titleRows(q, rules: rules, needed: needed, budget: budget, visible: visible) where seen.insert(rec.person.id).inserted {
                found.append(rec)
            }
        }
        let pageOfPeople = page.page(Array(found.dropFirst(page.offset).prefix(page.fetchLimit)))
        return Page(items: pageOfPeople.items.map(rules.view), nextCursor: pageOfPeople.nextCursor)
    }

    /// The sources for `q` (`DirectoryService.sources`).
    static func sources(_ q: String) -> [IndexSource] {
        guard !q.isEmpty else { return [.all] }
        let compact = Pinyin.normaliseQuery(q)
        if !compact.isEmpty, compact.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) }) {
            return [.pinyin(compact), .initials(compact)]
        }
        if !compact.isEmpty, compact.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
            return [.mobile(compact)]
        }
        var sources: [IndexSource] = [.exact(q)]
        if let gram = NameGrams.lookup(q) { sources.append(.gram(gram, needle: q.lowercased())) }
        return sources
    }

    /// People holding a visible position whose title contains `q`, as rows ordered by (title, person id):
    /// a person appears once for each such position, and rows count towards `needed` as in the SQL.
    func titleRows(_ q: String, rules: IndexRules, needed: Int, budget: IndexBudget, visible: (PersonRec) -> Bool) throws -> [PersonRec] {
        let compact = Pinyin.normaliseQuery(q)
        guard !compact.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) }) else { return [] }
        let needle = q.lowercased()
        func rows(_ rec: PersonRec) -> [(String, PersonRec)] {
            rec.positions.compactMap { p in
                guard let t = p.title, Bytewise.contains(t.lowercased(), needle), let o = rules.org(p),
                      rules.positionVisible(o), rules.withinRestriction(o) else { return nil }
                return (t, rec)
            }
        }
        var out: [(String, PersonRec)] = []
        try budget.spend(base.titleKeys.count + changed.count)
        for title in base.titleKeys where Bytewise.contains(title.lowercased(), needle) {
            for r in base.titles[title] ?? [] where isCurrent(r) {
                try budget.spend(1)
                let rec = base.people[Int(r)]
                guard visible(rec) else { continue }
                out += rows(rec).filter { $0.0 == title }
                if out.count >= needed { break }
            }
            if out.count >= needed { break }
        }
        let less: ((String, PersonRec), (String, PersonRec)) -> Bool = { a, b in
            let c = Bytewise.compare(a.0, b.0)
            return c != 0 ? c < 0 : Bytewise.less(a.1.person.id, b.1.person.id)
        }
        let fromChanges = changed.values.filter(visible).flatMap(rows).sorted(by: less)
        return Array(Self.merge(out, fromChanges, less).prefix(needed)).map(\.1)
    }

    /// Ranks of the people with a position in a region subtree (county or below), ascending.
    func regionCandidates(_ prefix: String, budget: IndexBudget) throws -> [Int32] {
        if prefix.count == 6 { return base.countyMembers[prefix] ?? [] }
        let range = IndexBase.prefixRange(base.orgsByRegion, prefix: prefix) { orgs.orgs[Int($0)].org.regionCode }
        return try union(base.orgsByRegion[range], budget: budget)
    }

    /// Ranks of the people with a position in an org's subtree, ascending.
    func subtreeCandidates(_ path: String, budget: IndexBudget) throws -> [Int32] {
        let range = IndexBase.prefixRange(base.orgsByPath, prefix: path) { orgs.orgs[Int($0)].org.path }
        return try union(base.orgsByPath[range], budget: budget)
    }

    func union(_ slots: some Collection<Int32>, budget: IndexBudget) throws -> [Int32] {
        try budget.spend(slots.count)
        let lists = slots.compactMap { Int($0) < base.orgMembers.count ? base.orgMembers[Int($0)] : nil }
        if lists.count == 1 { return lists[0] }
        try budget.spend(lists.reduce(0) { $0 + $1.count })
        var all = lists.flatMap { $0 }
        all.sort()
        var out: [Int32] = []
        out.reserveCapacity(all.count)
        for r in all where out.last != r { out.append(r) }
        return out
    }

    /// `DirectoryService.members`: by the smallest display order of the person's positions in the org,
    /// then rank.
    func members(_ id: String, recursive: Bool, viewer: Viewer, page: PageRequest,
                 budget: IndexBudget = .unlimited) throws -> Page<PersonView> {
        let (o, slot) = try org(id, viewer: viewer)
        let rules = IndexRules(viewer: viewer, orgs: orgs)
        let filter = recursive ? PositionFilter(orgPath: o.path) : PositionFilter(orgSlot: slot)
        let candidates = recursive ? try subtreeCandidates(o.path, budget: budget)
                                   : (Int(slot) < base.orgMembers.count ? base.orgMembers[Int(slot)] : [])
        // Every candidate is tested and sorted before the page is cut.
        try budget.spend(candidates.count + changed.count)
        var recs = candidates.filter(isCurrent).map { base.people[Int($0)] }
        recs += changed.values.filter { rec in rec.positions.contains { p in rules.org(p).map { filter.matches(p, $0, orgs: orgs) } ?? false } }
        var keyed: [(Int, PersonRec)] = []
        for rec in recs where rules.personVisible(rec, filter: filter) {
            let order = rec.positions.compactMap { p in rules.org(p).flatMap { filter.matches(p, $0, orgs: orgs) ? p.order : nil } }.min() ?? 0
            keyed.append((order, rec))
        }
        keyed.sort { a, b in a.0 != b.0 ? a.0 < b.0 : IndexLoader.rankLess(a.1.person, b.1.person) }
        let pageOfPeople = page.page(Array(keyed.dropFirst(page.offset).prefix(page.fetchLimit)).map(\.1))
        return Page(items: pageOfPeople.items.map(rules.view), nextCursor: pageOfPeople.nextCursor)
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
