import Audit
import Directory
import Foundation
import Hummingbird
import ZhengtongCore

/// 管理: orgs, people, positions and grants within the caller's scope, and the audit log. Only what the
/// caller's grants cover is offered; anything else is 404, as if it did not exist. The domain checks
/// scope again on every write, so these pages cannot do more than the API.
struct AdminPages {
    let kit: WebKit
    var directory: DirectoryService { kit.services.directory }

    func register(on web: RouterGroup<AppContext>) {
        web.get("admin") { _, ctx in
            let viewer = try admin(ctx)
            let (_, grants) = try await directory.me(viewer)
            var items: [[String: Any]] = []
            for g in grants {
                if let orgId = g.orgId, let o = try? await directory.org(orgId, viewer: viewer) {
                    items.append(["name": o.name, "href": "/admin/orgs/\(o.id)"])
                } else if let code = g.regionCode, let r = try? await directory.region(code) {
                    items.append(["name": r.name, "href": "/admin/regions/\(r.code)"])
                } else if g.isGlobal {
                    for r in try await directory.rootRegions() { items.append(["name": r.name, "href": "/admin/regions/\(r.code)"]) }
                }
            }
            return try kit.page("admin", title: "admin.title", section: "admin", ctx: ctx,
                                data: ["scope": items, "global": viewer.scope.global])
        }
        web.get("admin/regions/:code") { req, ctx in
            let viewer = try admin(ctx)
            let region = try await directory.region(try ctx.parameters.require("code"))
            guard viewer.scope.covers(regionCode: region.code) else { throw DomainError.notFound("region") }
            let children = try await directory.regionChildren(region.code, page: PageRequest(limit: PageRequest.maxLimit, cursor: nil))
            let units = try await directory.unitsIn(region: region.code, viewer: viewer, page: try cursorPage(req, limit: 100))
            var data: [String: Any] = ["region": ViewModel.region(region), "child_regions": children.items.map(ViewModel.region),
                                       "units": units.items.map(ViewModel.org)]
            if let next = units.nextCursor { data["next"] = "?cursor=" + next }
            return try kit.page("admin-region", title: "admin.title", section: "admin", ctx: ctx, data: data)
        }

        // Orgs
        web.get("admin/orgs/new") { req, ctx in
            let viewer = try admin(ctx)
            var data: [String: Any] = ["new": true, "org": ["visibility": "all"] as [String: Any]]
            if let parent = req.uri.queryParameters["parent"].map(String.init) {
                data["parent"] = ViewModel.org(try await coveredOrg(parent, viewer))
            } else if let code = req.uri.queryParameters["region"].map(String.init) {
                let r = try await directory.region(code)
                guard viewer.scope.covers(regionCode: r.code) else { throw DomainError.notFound("region") }
                data["region"] = ViewModel.region(r)
            } else {
                throw DomainError.invalid("parent_id", "name the parent org or the region of the new unit")
            }
            return try kit.page("admin-org", title: "admin.new_org", section: "admin", ctx: ctx, data: data)
        }
        web.post("admin/orgs") { _, ctx -> Response in
            let viewer = try admin(ctx)
            let parent = ctx.field("parent_id")
            let input = NewOrg(name: ctx.field("name") ?? "", kind: parent == nil ? "unit" : "department", regionCode: ctx.field("region_code"),
                               parentId: parent, lines: lines(ctx), hidden: ctx.checkbox("hidden"), visibility: ctx.field("visibility"),
                               order: try order(ctx))
            let org = try await directory.createOrg(input, by: viewer, from: ctx.clientAddress)
            return WebKit.redirect("/admin/orgs/\(org.id)?saved=1")
        }
        web.get("admin/orgs/:id") { req, ctx in
            let viewer = try admin(ctx)
            let org = try await coveredOrg(try ctx.parameters.require("id"), viewer)
            let children = try await directory.orgChildren(org.id, viewer: viewer, page: PageRequest(limit: PageRequest.maxLimit, cursor: nil))
            let members = try await directory.members(org.id, recursive: false, viewer: viewer, page: try cursorPage(req, limit: 100))
            var data: [String: Any] = ["org": ViewModel.org(org), "child_orgs": children.items.map(ViewModel.org),
                                       "members": members.items.map(ViewModel.person)]
            data["visibility_" + org.visibility.rawValue] = true
            if req.uri.queryParameters["saved"] != nil { data["saved"] = true }
            if let next = members.nextCursor { data["next"] = "?cursor=" + next }
            return try kit.page("admin-org", title: "admin.edit_org", section: "admin", ctx: ctx, data: data)
        }
        web.post("admin/orgs/:id") { _, ctx -> Response in
            let viewer = try admin(ctx)
            let id = try ctx.parameters.require("id")
            _ = try await coveredOrg(id, viewer)
            let patch = OrgPatch(name: ctx.field("name"), lines: lines(ctx), hidden: ctx.checkbox("hidden"),
                                 visibility: ctx.field("visibility"), order: try order(ctx))
            _ = try await directory.updateOrg(id, patch, by: viewer, from: ctx.clientAddress)
            return WebKit.redirect("/admin/orgs/\(id)?saved=1")
        }

        // People and positions
        web.get("admin/people/new") { req, ctx in
            let viewer = try admin(ctx)
            guard let orgId = req.uri.queryParameters["org"].map(String.init) else {
                throw DomainError.invalid("org_id", "name the org the new person works in")
            }
            let org = try await coveredOrg(orgId, viewer)
            return try kit.page("admin-person", title: "admin.new_person", section: "admin", ctx: ctx,
                                data: ["new": true, "org": ViewModel.org(org), "person": ["username": ""] as [String: Any]])
        }
        web.post("admin/people") { _, ctx -> Response in
            let viewer = try admin(ctx)
            let orgId = ctx.field("org_id") ?? ""
            let position = NewPosition(orgId: orgId, title: ctx.field("title"), leader: ctx.checkbox("leader"), main: true)
            let input = NewPerson(name: ctx.field("name") ?? "", username: ctx.field("username") ?? "", mobile: ctx.field("mobile"),
                                  email: ctx.field("email"), password: ctx.form["password"]?.first.flatMap { $0.isEmpty ? nil : $0 },
                                  rank: ctx.field("rank"), seniorMode: ctx.checkbox("senior_mode"), hideMobile: ctx.checkbox("hide_mobile"),
                                  positions: [position])
            let view = try await directory.createPerson(input, hasher: kit.services.hasher, by: viewer, from: ctx.clientAddress)
            return WebKit.redirect("/admin/people/\(view.person.id)?saved=1")
        }
        web.get("admin/people/:id") { req, ctx in
            let viewer = try admin(ctx)
            let view = try await coveredPerson(try ctx.parameters.require("id"), viewer)
            var person = ViewModel.person(view)
            person["username"] = view.person.username
            person["mobile"] = view.person.mobile ?? ""
            person["email"] = view.person.email ?? ""
            person["rank"] = view.person.rank ?? ""
            if view.person.hideMobile { person["hide_mobile"] = true }
            var data: [String: Any] = ["person": person]
            if req.uri.queryParameters["saved"] != nil { data["saved"] = true }
            return try kit.page("admin-person", title: "admin.edit_person", section: "admin", ctx: ctx, data: data)
        }
        web.post("admin/people/:id") { _, ctx -> Response in
            let viewer = try admin(ctx)
            let id = try ctx.parameters.require("id")
            _ = try await coveredPerson(id, viewer)
            // An emptied field clears the value; the form always sends every field.
            let patch = PersonPatch(name: ctx.field("name"), mobile: .some(ctx.field("mobile")), email: .some(ctx.field("email")),
                                    rank: .some(ctx.field("rank")), seniorMode: ctx.checkbox("senior_mode"),
                                    hideMobile: ctx.checkbox("hide_mobile"),
                                    password: ctx.form["password"]?.first.flatMap { $0.isEmpty ? nil : $0 })
            _ = try await directory.updatePerson(id, patch, hasher: kit.services.hasher, by: viewer, from: ctx.clientAddress)
            return WebKit.redirect("/admin/people/\(id)?saved=1")
        }
        web.post("admin/people/:id/positions") { _, ctx -> Response in
            let viewer = try admin(ctx)
            let id = try ctx.parameters.require("id")
            let input = NewPosition(orgId: ctx.field("org_id") ?? "", title: ctx.field("title"), leader: ctx.checkbox("leader"))
            _ = try await directory.createPosition(personId: id, input, by: viewer, from: ctx.clientAddress)
            return WebKit.redirect("/admin/people/\(id)?saved=1")
        }
        web.post("admin/positions/:id/delete") { _, ctx -> Response in
            let viewer = try admin(ctx)
            try await directory.deletePosition(try ctx.parameters.require("id"), by: viewer, from: ctx.clientAddress)
            return WebKit.redirect(localPath(ctx.field("back").map { "/admin/people/" + $0 + "?saved=1" }))
        }

        // Grants
        web.get("admin/grants") { _, ctx in
            let viewer = try admin(ctx)
            let grants = try await directory.grants(viewer: viewer, page: PageRequest(limit: PageRequest.maxLimit, cursor: nil))
            var rows: [[String: Any]] = []
            for g in grants.items {
                let person = (try? await directory.person(g.personId, viewer: viewer))?.person.name ?? g.personId
                var row: [String: Any] = ["id": g.id, "person": person, "person_id": g.personId, "role": g.role.rawValue,
                                          "created_at": ViewModel.date(g.createdAt)]
                row["org_id"] = g.orgId
                row["region_code"] = g.regionCode
                rows.append(row)
            }
            return try kit.page("admin-grants", title: "admin.grants", section: "admin", ctx: ctx, data: ["grants": rows])
        }
        web.post("admin/grants") { _, ctx -> Response in
            let viewer = try admin(ctx)
            _ = try await directory.createGrant(personId: ctx.field("person_id") ?? "", role: ctx.field("role") ?? "directory_admin",
                                                orgId: ctx.field("org_id"), regionCode: ctx.field("region_code"), by: viewer, from: ctx.clientAddress)
            return WebKit.redirect("/admin/grants")
        }
        web.post("admin/grants/:id/revoke") { _, ctx -> Response in
            let viewer = try admin(ctx)
            try await directory.revokeGrant(try ctx.parameters.require("id"), by: viewer, from: ctx.clientAddress)
            return WebKit.redirect("/admin/grants")
        }

        web.get("admin/audit") { req, ctx in
            let viewer = try admin(ctx)
            guard viewer.scope.global else { throw DomainError.notFound("page") }
            let before = req.uri.queryParameters["before"].flatMap { Int($0) }
            let rows = try await AuditLog.list(kit.services.database, afterSeq: before, limit: 101)
            var data: [String: Any] = ["entries": rows.prefix(100).map { r -> [String: Any] in
                ["seq": r.seq, "at": ViewModel.date(r.at), "actor": r.actorName ?? r.actorId ?? "", "action": r.action,
                 "target": "\(r.targetType) \(r.targetId ?? "")", "address": r.clientAddress ?? "", "detail": r.detail]
            }]
            if rows.count > 100, let last = rows.prefix(100).last { data["next"] = "?before=\(last.seq)" }
            return try kit.page("admin-audit", title: "admin.audit", section: "admin", ctx: ctx, data: data)
        }
    }

    /// Administration is offered only to someone with a grant; to anyone else these pages do not exist.
    func admin(_ ctx: AppContext) throws -> Viewer {
        let viewer = try ctx.requireViewer()
        guard !viewer.scope.isEmpty else { throw DomainError.notFound("page") }
        return viewer
    }

    func coveredOrg(_ id: String, _ viewer: Viewer) async throws -> Org {
        let org = try await directory.org(id, viewer: viewer)
        guard viewer.scope.covers(org) else { throw DomainError.notFound("org") }
        return org
    }

    func coveredPerson(_ id: String, _ viewer: Viewer) async throws -> PersonView {
        let view = try await directory.person(id, viewer: viewer)
        guard view.positions.contains(where: { viewer.scope.covers(orgPath: $0.orgPath, regionCode: $0.regionCode) }) else {
            throw DomainError.notFound("person")
        }
        return view
    }

    func lines(_ ctx: AppContext) -> [String]? {
        ctx.field("lines").map { $0.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == " " }).map(String.init) }
    }

    func order(_ ctx: AppContext) throws -> Int? {
        guard let s = ctx.field("order") else { return nil }
        guard let n = Int(s) else { throw DomainError.invalid("order", "order must be a whole number") }
        return n
    }
}
