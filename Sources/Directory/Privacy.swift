import Foundation

/// The directory's privacy rules as plain functions of (viewer, target). Every read path applies them,
/// either directly or through the SQL in `PrivacySQL`, which must agree with these (tests check both).
public enum Privacy {
    /// A hidden org and everything inside it exist only for people inside it and for admins covering it.
    public static func canSee(org: Org, viewer v: Viewer) -> Bool {
        guard let hidden = org.hiddenScope else { return true }
        return v.insideSet.contains(hidden) || v.scope.covers(org)
    }

    /// Same rule for a position, which carries its org's derived fields.
    public static func canSee(position p: PositionView, viewer v: Viewer) -> Bool {
        guard let hidden = p.hiddenScope else { return true }
        return v.insideSet.contains(hidden) || v.scope.covers(orgPath: p.orgPath, regionCode: p.regionCode)
    }

    public static func adminCovers(person positions: [PositionView], viewer v: Viewer) -> Bool {
        v.scope.global || positions.contains { v.scope.covers(orgPath: $0.orgPath, regionCode: $0.regionCode) }
    }

    /// Whether `v` may see person `t` at all.
    public static func canSee(person t: Person, positions: [PositionView], viewer v: Viewer) -> Bool {
        if t.id == v.personId || adminCovers(person: positions, viewer: v) { return true }
        guard t.status == .active else { return false }
        let roots = v.restrictRoots
        return positions.contains { p in
            canSee(position: p, viewer: v) && (roots == nil || roots!.contains { p.orgPath.hasPrefix($0) })
        }
    }

    /// A person's mobile is shown unless they hide it, or they are in senior mode and the viewer is not.
    /// The person themself and admins covering them always see it.
    public static func canSeeMobile(of t: Person, positions: [PositionView], viewer v: Viewer) -> Bool {
        if t.id == v.personId || adminCovers(person: positions, viewer: v) { return true }
        if t.hideMobile { return false }
        if t.seniorMode && !v.seniorMode { return false }
        return true
    }
}
