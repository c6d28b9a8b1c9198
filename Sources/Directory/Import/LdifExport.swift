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
    /// Written to `sink` in pieces: the regions and orgs of the subtree are held while it is written
    /// (their entries name each other), the people a thousand at a time.
    public func exportLDIF(orgId: String?, regionCode: String?, by viewer: Viewer,
                           into sink: @escaping (String) async throws -> Void) async throws {
        let scope = try await exportScope(orgId: orgId, regionCode: regionCode, viewer: viewer)
        let (inside, orgInside) = (scope.positions, scope.orgs)
        try await database.read { db in
            // No "version: 1" line: slapadd does not accept one.
            var out = ExportWriter(sink)
            func entry(_ dn: String, _ attrs: [(String, String)]) async throws {
                var text = Self.ldifLine("dn", dn)
                for (k, v) in attrs where !v.isEmpty { text += Self.ldifLine(k, v) }
                try await out.add(text + "\n")
            }
            try await entry(Self.ldapSuffix, [("objectClass", "top"), ("objectClass", "dcObject"), ("objectClass", "organization"),
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
                try await entry(dn(region: r.code), [("objectClass", "top"), ("objectClass", "locality"), ("l", r.code), ("description", r.name)])
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
                try await entry(dn(org: o), attrs)
            }

            try await Self.exportChunks(db, inside: inside) { people in
                let byPerson = Dictionary(grouping: try await Self.positions(db, of: people.map(\.id), inside: inside), by: \.personId)
                for p in people {
                    let ps = byPerson[p.id] ?? []
                    guard let home = ps.first, let org = byId[home.orgId] else { continue }
                    var attrs: [(String, String)] = [("objectClass", "top"), ("objectClass", "person"), ("objectClass", "organizationalPerson"),
                                                     ("objectClass", "inetOrgPerson"), ("uid", p.username), ("cn", p.name),
                                                     ("sn", String(p.name.prefix(1))), ("displayName", p.name),
                                                     ("givenName", p.pinyinCompact), ("initials", p.initials), ("employeeNumber", p.id)]
                    if let m = p.mobile { attrs.append(("mobile", m)) }
                    if let e = p.email { attrs.append(("mail", e)) }
                    if let r = p.rank { attrs.append(("employeeType", r)) }
                    if let t = home.title { attrs.append(("title", t)) }
                    for x in ps { attrs.append(("ou", x.orgId)) }
                    try await entry("uid=\(p.username),\(dn(org: org))", attrs)
                }
            }
            try await out.finish()
        }
    }

    /// The whole LDIF at once, for callers that want it in memory (tests, small subtrees).
    public func exportLDIF(orgId: String?, regionCode: String?, by viewer: Viewer) async throws -> Data {
        var data = Data()
        try await exportLDIF(orgId: orgId, regionCode: regionCode, by: viewer) { data.append(contentsOf: $0.utf8) }
        return data
    }

    /// `attr: value`, or `attr:: base64` for anything that is not a safe ASCII string (RFC 2849).
    static func ldifLine(_ attr: String, _ value: String) -> String {
        let safe = value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F } && !value.hasPrefix(" ") && !value.hasPrefix(":")
            && !value.hasPrefix("<") && !value.hasSuffix(" ")
        return safe ? "\(attr): \(value)\n" : "\(attr):: \(Data(value.utf8).base64EncodedString())\n"
    }
}
