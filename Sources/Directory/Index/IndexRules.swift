import Foundation

/// The privacy rules of `Privacy` and `PrivacySQL`, evaluated over index records for one viewer. The
/// viewer's derived sets are computed once per request, not once per candidate.
struct IndexRules {
    let viewer: Viewer
    let inside: Set<String>
    let roots: [String]?
    let orgs: OrgTable

    init(viewer: Viewer, orgs: OrgTable) {
        self.viewer = viewer
        self.inside = viewer.insideSet
        self.roots = viewer.restrictRoots
        self.orgs = orgs
    }

    func org(_ p: PosRec) -> OrgRec? { p.orgSlot >= 0 ? orgs.orgs[Int(p.orgSlot)] : nil }

    /// Not inside a hidden org, or the viewer is inside it or administers it.
    func positionVisible(_ o: OrgRec) -> Bool {
        guard let hidden = o.org.hiddenScope else { return true }
        return inside.contains(hidden) || viewer.scope.covers(orgPath: o.org.path, regionCode: o.org.regionCode)
    }

    func withinRestriction(_ o: OrgRec) -> Bool {
        guard let roots else { return true }
        return roots.contains { Bytewise.underPrefix(o.org.path, $0) }
    }

    func adminCovers(_ rec: PersonRec) -> Bool {
        let scope = viewer.scope
        if scope.global { return true }
        if scope.isEmpty { return false }
        return rec.positions.contains { p in org(p).map { scope.covers(orgPath: $0.org.path, regionCode: $0.org.regionCode) } ?? false }
    }

    /// `PrivacySQL.personVisible`: with a filter, only a visible position that matches it counts.
    func personVisible(_ rec: PersonRec, filter: PositionFilter?) -> Bool {
        let witness = rec.positions.contains { p in
            guard let o = org(p), positionVisible(o), withinRestriction(o) else { return false }
            return filter?.matches(p, o, orgs: orgs) ?? true
        }
        if filter != nil { return witness && (rec.person.status == .active || adminCovers(rec)) }
        return rec.person.id == viewer.personId || adminCovers(rec) || (rec.person.status == .active && witness)
    }

    func mobileVisible(_ rec: PersonRec) -> Bool {
        let p = rec.person
        return p.id == viewer.personId || (!p.hideMobile && (viewer.seniorMode || !p.seniorMode)) || adminCovers(rec)
    }

    /// What this viewer may see of `rec`: hidden positions gone, a hidden mobile nil.
    func view(_ rec: PersonRec) -> PersonView {
        var positions: [PositionView] = []
        for p in rec.positions {
            guard let orgRec = org(p), positionVisible(orgRec) else { continue }
            let o = orgRec.org
            positions.append(PositionView(id: p.id, personId: rec.person.id, orgId: o.id, orgName: o.name, orgPath: o.path,
                                          regionCode: o.regionCode, hiddenScope: o.hiddenScope, restrictScope: o.restrictScope,
                                          title: p.title, leader: p.leader, roles: p.roles, main: p.main, order: p.order))
        }
        var shown = rec.person
        let mobile = mobileVisible(rec)
        if !mobile { shown.mobile = nil }
        return PersonView(person: shown, positions: positions, mobileVisible: mobile)
    }
}

/// The filters of a search or a member listing, tested on one position (the SQL side's `vx` filters).
struct PositionFilter {
    var regionPrefix: String?
    var orgPath: String?
    var orgSlot: Int32?
    var line: String? { didSet { lineFolded = line?.lowercased() } }
    var role: String? { didSet { roleFolded = role?.lowercased() } }
    private var lineFolded: String?
    private var roleFolded: String?

    init(regionPrefix: String? = nil, orgPath: String? = nil, orgSlot: Int32? = nil) {
        self.regionPrefix = regionPrefix
        self.orgPath = orgPath
        self.orgSlot = orgSlot
    }

    var isEmpty: Bool { regionPrefix == nil && orgPath == nil && orgSlot == nil && line == nil && role == nil }

    func matches(_ p: PosRec, _ o: OrgRec, orgs: OrgTable) -> Bool {
        if let r = regionPrefix, !Bytewise.underPrefix(o.org.regionCode, r) { return false }
        if let path = orgPath, !Bytewise.underPrefix(o.org.path, path) { return false }
        if let s = orgSlot, p.orgSlot != s { return false }
        if let line, let folded = lineFolded, !orgs.lines(of: p.orgSlot).contains(where: { $0 == line || $0.lowercased() == folded }) { return false }
        if let role, let folded = roleFolded, !p.roles.contains(where: { $0 == role || $0.lowercased() == folded }) { return false }
        return true
    }
}
