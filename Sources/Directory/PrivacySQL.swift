import SQLKit

/// The privacy rules of `Privacy`, as SQL conditions over `positions` and `people` rows, so that filtering
/// happens in the query (and paging stays correct) instead of after it.
enum PrivacySQL {
    static let yes: SQLQueryString = "1=1"
    static let no: SQLQueryString = "1=0"

    /// `column` lies in the subtree of one of `prefixes` (an index range scan per prefix).
    static func under(_ column: String, _ prefixes: [String]) -> SQLQueryString {
        guard !prefixes.isEmpty else { return no }
        let parts = prefixes.map { p -> SQLQueryString in
            "(\(unsafeRaw: column) >= \(bind: p) AND \(unsafeRaw: column) < \(bind: p + "\u{7F}"))"
        }
        return "(" + parts.joined(separator: " OR ") + ")"
    }

    /// The admin scope covers the position aliased `x`.
    static func adminCovers(_ x: String, _ scope: AdminScope) -> SQLQueryString {
        if scope.global { return yes }
        if scope.isEmpty { return no }
        return "(" + under("\(x).org_path", scope.orgPaths) + " OR " + under("\(x).region_code", scope.regionPrefixes) + ")"
    }

    /// The position aliased `x` is visible: not in a hidden org, or the viewer is inside it or administers it.
    static func positionVisible(_ x: String, _ v: Viewer) -> SQLQueryString {
        let inside = v.insidePaths
        var s: SQLQueryString = "(\(unsafeRaw: x).hidden_scope IS NULL"
        if !inside.isEmpty { s += " OR \(unsafeRaw: x).hidden_scope IN (\(binds: inside))" }
        s += " OR " + adminCovers(x, v.scope) + ")"
        return s
    }

    /// The position aliased `x` lies where a self-only viewer may look.
    static func withinRestriction(_ x: String, _ v: Viewer) -> SQLQueryString {
        guard let roots = v.restrictRoots else { return yes }
        return under("\(x).org_path", roots)
    }

    /// The admin scope covers the person aliased `p` (one of their positions is covered).
    static func adminCoversPerson(_ p: String, _ v: Viewer) -> SQLQueryString {
        if v.scope.global { return yes }
        if v.scope.isEmpty { return no }
        return "EXISTS (SELECT 1 FROM positions ax WHERE ax.person_id = \(unsafeRaw: p).id AND " + adminCovers("ax", v.scope) + ")"
    }

    /// The person aliased `p` is visible, optionally requiring the witnessing position to satisfy `extra`.
    static func personVisible(_ p: String, _ v: Viewer, positionFilter extra: SQLQueryString? = nil) -> SQLQueryString {
        var witness: SQLQueryString = "EXISTS (SELECT 1 FROM positions vx WHERE vx.person_id = \(unsafeRaw: p).id AND "
            + positionVisible("vx", v) + " AND " + withinRestriction("vx", v)
        if let extra { witness += " AND " + extra }
        witness += ")"
        if extra != nil {
            // With filters (org, region, line, role), only a visible position that matches them counts.
            return "(" + witness + " AND (\(unsafeRaw: p).status = 'active' OR " + adminCoversPerson(p, v) + "))"
        }
        return "(\(unsafeRaw: p).id = \(bind: v.personId) OR " + adminCoversPerson(p, v)
            + " OR (\(unsafeRaw: p).status = 'active' AND " + witness + "))"
    }

    /// The mobile of person `p` is visible to the viewer.
    static func mobileVisible(_ p: String, _ v: Viewer) -> SQLQueryString {
        let senior: SQLQueryString = v.seniorMode ? "" : " AND \(unsafeRaw: p).senior_mode = 0"
        return "(\(unsafeRaw: p).id = \(bind: v.personId) OR (\(unsafeRaw: p).hide_mobile = 0" + senior + ") OR "
            + adminCoversPerson(p, v) + ")"
    }
}
