import Foundation
import SQLKit
import Storage
import ZhengtongCore

extension DirectoryService {
    public static let ldapSuffix = "dc=zhengtong,dc=gov,dc=cn"

    /// The directory (or a subtree) as LDIF (RFC 2849) for an LDAP server such as OpenLDAP, with only
    /// the standard schemas (core, cosine, inetorgperson):
    /// - regions are `locality` entries nested by parent (`l=<code>`, the name in `description`);
    /// - units and departments are `organizationalUnit` entries under their region or parent
    ///   (`ou=<org id>`, the name in `description`, the lines in `businessCategory`);
    /// - people are `inetOrgPerson` entries under the org of their main position in the subtree
    ///   (`uid=<username>`), with `cn`/`displayName` (姓名), `sn` (surname), `givenName` (full pinyin,
    ///   compact), `initials` (pinyin initials), `mobile`, `mail`, `title`, `employeeType` (rank), and
    ///   `ou` for every org they hold a position in.
    /// So a county is a subtree search under its `l=` entry and a department's members are a one-level
    /// search under its `ou=` entry. Non-ASCII values are base64 (`attr:: …`), as RFC 2849 requires.
    public func exportLDIF(orgId: String?, regionCode: String?, by viewer: Viewer) async throws -> Data {
        let scope = try await exportScope(orgId: orgId, regionCode: regionCode, viewer: viewer)
        let (inside, orgInside) = (scope.positions, scope.orgs)
        return try await database.read { db in
            // No "version: 1" line: slapadd does not accept one.
            var out = ""
            func entry(_ dn: String, _ attrs: [(String, String)]) {
                out += Self.ldifLine("dn", dn)
                for (k, v) in attrs where !v.isEmpty { out += Self.ldifLine(k, v) }
                out += "\n"
            }
            entry(Self.ldapSuffix, [("objectClass", "top"), ("objectClass", "dcObject"), ("objectClass", "organization"),
                                    ("dc", "zhengtong"), ("o", "政通")])

            let orgs = try await db.raw("SELECT \(unsafeRaw: Rows.orgColumns) FROM orgs WHERE \(orgInside)").all().map { try Rows.org($0) }
            // Every region the orgs sit in, with its ancestors, parents first.
            var regions: [String: Region] = [:]
            var pending = Set(orgs.map(\.regionCode))
            while !pending.isEmpty {
                let codes = Array(pending)
                pending = []
                for start in stride(from: 0, to: codes.count, by: 500) {
                    let chunk = Array(codes[start..<min(start + 500, codes.count)])
                    for r in try await db.raw("SELECT \(unsafeRaw: Rows.regionColumns) FROM regions WHERE code IN (\(binds: chunk))").all().map(Rows.region) {
                        regions[r.code] = r
                        if let p = r.parentCode, regions[p] == nil { pending.insert(p) }
                    }
                }
            }
            var regionDN: [String: String] = [:]
            func dn(region code: String) -> String {
                if let d = regionDN[code] { return d }
                guard let r = regions[code] else { return Self.ldapSuffix }
                let d = "l=\(code)," + (r.parentCode.map { dn(region: $0) } ?? Self.ldapSuffix)
                regionDN[code] = d
                return d
            }
            for r in regions.values.sorted(by: { ($0.level.depth, $0.code) < ($1.level.depth, $1.code) }) {
                entry(dn(region: r.code), [("objectClass", "top"), ("objectClass", "locality"), ("l", r.code), ("description", r.name)])
            }
            let byId = Dictionary(uniqueKeysWithValues: orgs.map { ($0.id, $0) })
            var orgDN: [String: String] = [:]
            func dn(org o: Org) -> String {
                if let d = orgDN[o.id] { return d }
                let parent = o.parentId.flatMap { byId[$0] }.map { dn(org: $0) } ?? dn(region: o.regionCode)
                let d = "ou=\(o.id),\(parent)"
                orgDN[o.id] = d
                return d
            }
            for o in orgs.sorted(by: { ($0.path.count, $0.path) < ($1.path.count, $1.path) }) {
                var attrs: [(String, String)] = [("objectClass", "top"), ("objectClass", "organizationalUnit"), ("ou", o.id), ("description", o.name)]
                for line in o.lines { attrs.append(("businessCategory", line)) }
                entry(dn(org: o), attrs)
            }

            let positions = try await db.raw("""
                SELECT \(unsafeRaw: Rows.positionColumns) FROM positions x JOIN orgs o ON o.id = x.org_id WHERE \(inside)
                ORDER BY x.person_id, x.is_main DESC, x.display_order, x.id
                """).all().map(Rows.position)
            let byPerson = Dictionary(grouping: positions, by: \.personId)
            let ids = byPerson.keys.sorted()
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(start + 500, ids.count)])
                let people = try await db.raw("SELECT \(unsafeRaw: Rows.personColumns) FROM people WHERE id IN (\(binds: chunk)) ORDER BY id")
                    .all().map(Rows.person)
                for p in people {
                    guard let ps = byPerson[p.id], let home = ps.first, let org = byId[home.orgId] else { continue }
                    var attrs: [(String, String)] = [("objectClass", "top"), ("objectClass", "person"), ("objectClass", "organizationalPerson"),
                                                     ("objectClass", "inetOrgPerson"), ("uid", p.username), ("cn", p.name),
                                                     ("sn", String(p.name.prefix(1))), ("displayName", p.name),
                                                     ("givenName", p.pinyinCompact), ("initials", p.initials), ("employeeNumber", p.id)]
                    if let m = p.mobile { attrs.append(("mobile", m)) }
                    if let e = p.email { attrs.append(("mail", e)) }
                    if let r = p.rank { attrs.append(("employeeType", r)) }
                    if let t = home.title { attrs.append(("title", t)) }
                    for x in ps { attrs.append(("ou", x.orgId)) }
                    entry("uid=\(p.username),\(dn(org: org))", attrs)
                }
            }
            return Data(out.utf8)
        }
    }

    /// `attr: value`, or `attr:: base64` for anything that is not a safe ASCII string (RFC 2849).
    static func ldifLine(_ attr: String, _ value: String) -> String {
        let safe = value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F } && !value.hasPrefix(" ") && !value.hasPrefix(":")
            && !value.hasPrefix("<") && !value.hasSuffix(" ")
        return safe ? "\(attr): \(value)\n" : "\(attr):: \(Data(value.utf8).base64EncodedString())\n"
    }
}
