import Foundation
import SQLKit

/// Row decoding, written once for both databases. Booleans are stored as 0/1 integers and lists as
/// "|a|b|" strings so that a LIKE '%|a|%' filter needs no JSON support from either engine.
enum Rows {
    static func list(_ s: String) -> [String] { s.split(separator: "|").map(String.init) }
    static func encodeList(_ l: [String]) -> String { l.isEmpty ? "" : "|" + l.joined(separator: "|") + "|" }

    static let regionColumns = "code, name, level, parent_code"
    static func region(_ r: any SQLRow) throws -> Region {
        Region(code: try r.decode(column: "code", as: String.self), name: try r.decode(column: "name", as: String.self),
               level: RegionLevel(rawValue: try r.decode(column: "level", as: String.self)) ?? .grid,
               parentCode: try r.decode(column: "parent_code", as: String?.self))
    }

    static let orgColumns = "id, kind, name, region_code, parent_id, path, lines, hidden, visibility, display_order, hidden_scope, restrict_scope"
    static func org(_ r: any SQLRow, prefix: String = "") throws -> Org {
        Org(id: try r.decode(column: prefix + "id", as: String.self),
            kind: OrgKind(rawValue: try r.decode(column: prefix + "kind", as: String.self)) ?? .department,
            name: try r.decode(column: prefix + "name", as: String.self),
            regionCode: try r.decode(column: prefix + "region_code", as: String.self),
            parentId: try r.decode(column: prefix + "parent_id", as: String?.self),
            path: try r.decode(column: prefix + "path", as: String.self),
            lines: list(try r.decode(column: prefix + "lines", as: String.self)),
            hidden: try r.decode(column: prefix + "hidden", as: Int.self) != 0,
            visibility: OrgVisibility(rawValue: try r.decode(column: prefix + "visibility", as: String.self)) ?? .all,
            order: try r.decode(column: prefix + "display_order", as: Int.self),
            hiddenScope: try r.decode(column: prefix + "hidden_scope", as: String?.self),
            restrictScope: try r.decode(column: prefix + "restrict_scope", as: String?.self))
    }

    static let personColumns = "id, name, pinyin, pinyin_compact, initials, username, mobile, email, rank, status, senior_mode, hide_mobile"
    static func person(_ r: any SQLRow) throws -> Person {
        var p = Person(id: try r.decode(column: "id", as: String.self), name: "", username: try r.decode(column: "username", as: String.self))
        p.name = try r.decode(column: "name", as: String.self)
        p.pinyin = try r.decode(column: "pinyin", as: String.self)
        p.pinyinCompact = try r.decode(column: "pinyin_compact", as: String.self)
        p.initials = try r.decode(column: "initials", as: String.self)
        p.mobile = try r.decode(column: "mobile", as: String?.self)
        p.email = try r.decode(column: "email", as: String?.self)
        p.rank = try r.decode(column: "rank", as: String?.self)
        p.status = PersonStatus(rawValue: try r.decode(column: "status", as: String.self)) ?? .disabled
        p.seniorMode = try r.decode(column: "senior_mode", as: Int.self) != 0
        p.hideMobile = try r.decode(column: "hide_mobile", as: Int.self) != 0
        return p
    }

    static let positionColumns = """
        x.id, x.person_id, x.org_id, o.name AS org_name, x.org_path, x.region_code, x.hidden_scope, x.restrict_scope,
        x.title, x.leader, x.roles, x.is_main, x.display_order
        """
    static func position(_ r: any SQLRow) throws -> PositionView {
        PositionView(id: try r.decode(column: "id", as: String.self),
                     personId: try r.decode(column: "person_id", as: String.self),
                     orgId: try r.decode(column: "org_id", as: String.self),
                     orgName: try r.decode(column: "org_name", as: String.self),
                     orgPath: try r.decode(column: "org_path", as: String.self),
                     regionCode: try r.decode(column: "region_code", as: String.self),
                     hiddenScope: try r.decode(column: "hidden_scope", as: String?.self),
                     restrictScope: try r.decode(column: "restrict_scope", as: String?.self),
                     title: try r.decode(column: "title", as: String?.self),
                     leader: try r.decode(column: "leader", as: Int.self) != 0,
                     roles: list(try r.decode(column: "roles", as: String.self)),
                     main: try r.decode(column: "is_main", as: Int.self) != 0,
                     order: try r.decode(column: "display_order", as: Int.self))
    }

    static func likeEscaped(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
