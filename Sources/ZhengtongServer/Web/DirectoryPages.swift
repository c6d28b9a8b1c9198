import Directory
import Foundation
import Hummingbird
import ZhengtongCore

/// 通讯录: the region → unit → department tree, search, and the person card. Every read goes through
/// the same `DirectoryService` calls as the API, so the privacy rules are the API's.
struct DirectoryPages {
    let kit: WebKit
    var directory: DirectoryService { kit.services.directory }

    func register(on web: RouterGroup<AppContext>) {
        web.get("directory") { _, ctx in
            let viewer = try ctx.requireViewer()
            let roots = try await directory.rootRegions()
            let me = try await directory.person(viewer.personId, viewer: viewer)
            let mine = me.positions.map { ["id": $0.orgId, "name": $0.orgName] }
            return try kit.page("directory", title: "directory.title", section: "directory", ctx: ctx,
                                data: ["regions": roots.map(ViewModel.region), "my_orgs": mine])
        }
        web.get("directory/regions/:code") { req, ctx in
            let viewer = try ctx.requireViewer()
            let code = try ctx.parameters.require("code")
            let region = try await directory.region(code)
            let children = try await directory.regionChildren(code, page: PageRequest(limit: PageRequest.maxLimit, cursor: nil))
            let units = try await directory.unitsIn(region: code, viewer: viewer, page: try cursorPage(req, limit: 100))
            var data: [String: Any] = ["region": ViewModel.region(region), "crumbs": try await regionCrumbs(region.parentCode),
                                       "child_regions": children.items.map(ViewModel.region), "units": units.items.map(ViewModel.org)]
            if let next = units.nextCursor { data["next"] = "?cursor=" + next }
            return try kit.page("directory-region", title: "directory.title", section: "directory", ctx: ctx, data: data)
        }
        web.get("directory/orgs/:id") { req, ctx in
            let viewer = try ctx.requireViewer()
            let org = try await directory.org(try ctx.parameters.require("id"), viewer: viewer)
            let children = try await directory.orgChildren(org.id, viewer: viewer, page: PageRequest(limit: PageRequest.maxLimit, cursor: nil))
            let members = try await directory.members(org.id, recursive: false, viewer: viewer, page: try cursorPage(req, limit: 100))
            var data: [String: Any] = ["org": ViewModel.org(org), "crumbs": try await orgCrumbs(org, viewer: viewer),
                                       "child_orgs": children.items.map(ViewModel.org), "members": members.items.map(ViewModel.person)]
            if let next = members.nextCursor { data["next"] = "?cursor=" + next }
            if viewer.scope.covers(org) { data["can_admin"] = true }
            return try kit.page("directory-org", title: "directory.title", section: "directory", ctx: ctx, data: data)
        }
        web.get("directory/search") { req, ctx in
            let viewer = try ctx.requireViewer()
            let q = req.uri.queryParameters
            func param(_ name: String) -> String? {
                // The router has already percent-decoded the query; only the form encoding's '+' is left.
                q[name[...]].map { formDecoded(String($0)) }.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
            }
            let query = PeopleQuery(q: param("q"), region: param("region"), org: param("org"), line: param("line"),
                                    rank: param("rank"), role: param("role"))
            var data: [String: Any] = ["q": query.q ?? "", "region": query.region ?? "", "line": query.line ?? "",
                                       "rank": query.rank ?? "", "role": query.role ?? ""]
            if query.region != nil || query.line != nil || query.rank != nil || query.role != nil { data["filters_open"] = true }
            if query != PeopleQuery() {
                let results = try await directory.search(query, viewer: viewer, page: try cursorPage(req, limit: 20))
                data["results"] = results.items.map(ViewModel.person)
                data["searched"] = true
                if results.items.isEmpty { data["no_results"] = true }
                if let next = results.nextCursor {
                    var items = URLComponents()
                    items.queryItems = [("q", query.q), ("region", query.region), ("line", query.line), ("rank", query.rank),
                                        ("role", query.role), ("cursor", next)].compactMap { k, v in v.map { URLQueryItem(name: k, value: $0) } }
                    data["next"] = "?" + (items.percentEncodedQuery ?? "")
                }
            }
            return try kit.page("directory-search", title: "directory.search_title", section: "directory", ctx: ctx, data: data)
        }
        web.get("directory/people/:id") { _, ctx in
            let viewer = try ctx.requireViewer()
            let view = try await directory.person(try ctx.parameters.require("id"), viewer: viewer)
            var data: [String: Any] = ["person": ViewModel.person(view)]
            if view.person.id != viewer.personId && view.person.status == .active { data["can_contact"] = true }
            if view.positions.contains(where: { viewer.scope.covers(orgPath: $0.orgPath, regionCode: $0.regionCode) }) {
                data["can_admin"] = true
            }
            return try kit.page("directory-person", title: "directory.person_title", section: "directory", ctx: ctx, data: data)
        }
    }

    func regionCrumbs(_ code: String?) async throws -> [[String: Any]] {
        var out: [[String: Any]] = []
        var next = code
        while let c = next, out.count < 8 {
            let r = try await directory.region(c)
            var d = ViewModel.region(r)
            d["href"] = "/directory/regions/\(r.code)"
            out.insert(d, at: 0)
            next = r.parentCode
        }
        return out
    }

    /// The region chain above the unit, then every ancestor org the viewer may see.
    func orgCrumbs(_ org: Org, viewer: Viewer) async throws -> [[String: Any]] {
        var out = try await regionCrumbs(org.regionCode)
        for id in org.path.split(separator: "/").dropLast() {
            if let o = try? await directory.org(String(id), viewer: viewer) {
                out.append(["name": o.name, "href": "/directory/orgs/\(o.id)"])
            }
        }
        return out
    }
}

func cursorPage(_ req: Request, limit: Int) throws -> PageRequest {
    try PageRequest(limit: limit, cursor: req.uri.queryParameters["cursor"].map(String.init))
}
