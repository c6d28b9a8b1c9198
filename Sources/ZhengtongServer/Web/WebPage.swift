import Directory
import Foundation
import HTTPTypes
import Hummingbird
import ZhengtongCore

/// Everything a server-rendered page needs besides its own data.
struct WebKit: Sendable {
    let services: AppServices
    let assets: WebAssets

    /// Renders `template` inside the layout. `section` marks the active navigation entry and names the
    /// page's JavaScript module (`<body data-page>`).
    func page(_ template: String, title: String, section: String, ctx: AppContext, data: [String: Any] = [:],
              status: HTTPResponse.Status = .ok) throws -> Response {
        var context = data
        // Mustache cannot ask "is this list empty?", so every non-empty list gets a `has_` flag.
        for (k, v) in data { if let a = v as? [Any], !a.isEmpty { context["has_" + k] = true } }
        let t = assets.dictionary(ctx.lang)
        context["t"] = Self.nest(t)
        context["lang"] = ctx.lang
        context["csrf"] = ctx.csrf
        context["title"] = t[title] ?? title
        context["page"] = template.replacingOccurrences(of: "/", with: "-")
        context["nav_" + section] = true
        context["here"] = ctx.path
        context["lang_other"] = ctx.lang == "en" ? "zh-CN" : "en"
        context["lang_other_label"] = ctx.lang == "en" ? "中文" : "English"
        if let viewer = ctx.viewer {
            context["me"] = ["name": viewer.name, "id": viewer.personId]
            context["nav_can_admin"] = !viewer.scope.isEmpty
        }
        let html = try assets.render(template, context)
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A domain error as a page: the code's translation when the dictionary has one, else the message.
    func errorPage(_ e: DomainError, ctx: AppContext) throws -> Response {
        let message = assets.dictionary(ctx.lang)["error." + e.code] ?? e.message
        return try page("error", title: "error.title", section: "none", ctx: ctx,
                        data: ["message": message, "code": e.code], status: ErrorMiddleware.status(e.kind))
    }

    /// Dictionary keys are dotted ("home.title"); Mustache reads `{{t.home.title}}` as nested objects.
    static func nest(_ flat: [String: String]) -> [String: Any] {
        func insert(_ d: inout [String: Any], _ parts: ArraySlice<Substring>, _ value: String) {
            let head = String(parts.first!)
            if parts.count == 1 {
                if d[head] == nil { d[head] = value }
                return
            }
            var child = d[head] as? [String: Any] ?? [:]
            insert(&child, parts.dropFirst(), value)
            d[head] = child
        }
        var root: [String: Any] = [:]
        for (k, v) in flat { insert(&root, k.split(separator: ".")[...], v) }
        return root
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}

/// For every page: the language, the CSRF token (checked on every state change, issued when missing),
/// the signed-in viewer from the session cookie, and domain errors rendered as pages.
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = AppContext
    let kit: WebKit
    let requireSignIn: Bool

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var ctx = context
        var req = request
        if let l = request.cookies[WebSecurity.langCookie]?.value, WebAssets.languages.contains(l) { ctx.lang = l }
        ctx.path = request.uri.path
        let existing = (request.cookies[WebSecurity.csrfCookie]?.value).flatMap { $0.count == 64 ? $0 : nil }
        ctx.csrf = existing ?? WebSecurity.newToken()

        var response: Response
        do {
            if !WebSecurity.isSafe(request.method) {
                if request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true {
                    let body = try await req.collectBody(upTo: ctx.maxUploadSize)
                    ctx.form = FormData.parse(String(buffer: body))
                }
                try WebSecurity.checkCSRF(req, form: ctx.form)
            }
            if let token = request.cookies[WebSecurity.sessionCookie]?.value, !token.isEmpty,
               let (auth, viewer) = try await kit.services.signedIn.resolve(token: token, services: kit.services) {
                ctx.session = auth
                ctx.viewer = viewer
            }
            if requireSignIn && ctx.viewer == nil {
                let next = request.method == .get ? request.uri.description : "/"
                response = WebKit.redirect("/login?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"))
            } else {
                response = try await next(req, ctx)
            }
        } catch let e as DomainError {
            response = try kit.errorPage(e, ctx: ctx)
        } catch let e as HTTPError where e.status == .notFound {
            response = try kit.errorPage(DomainError.notFound("page"), ctx: ctx)
        }
        if existing == nil { response.setCookie(WebSecurity.csrfCookie(ctx.csrf, secure: WebSecurity.overTLS(request))) }
        response.headers[.cacheControl] = "no-store"
        Self.secure(&response.headers)
        return response
    }

    /// Pages load only their own scripts and styles, and cannot be framed by another site.
    static func secure(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    }
}

extension AppContext {
    /// The first value of a submitted form field, trimmed; nil when absent or empty.
    func field(_ name: String) -> String? {
        guard let v = form[name]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
    }
    func checkbox(_ name: String) -> Bool { form[name]?.contains { $0 == "on" || $0 == "true" || $0 == "1" } ?? false }
}

/// Domain values as the dictionaries the templates read.
enum ViewModel {
    static func person(_ v: PersonView) -> [String: Any] {
        let main = v.positions.first { $0.main } ?? v.positions.first
        var d: [String: Any] = ["id": v.person.id, "name": v.person.name, "initial": String(v.person.name.prefix(1)),
                                "positions": v.positions.map(position)]
        if let main {
            d["title"] = main.title ?? ""
            d["org"] = main.orgName
        }
        if let r = v.person.rank { d["rank"] = r }
        if v.mobileVisible, let m = v.person.mobile { d["mobile"] = m }
        if let e = v.person.email { d["email"] = e }
        if v.person.seniorMode { d["senior"] = true }
        if v.person.status != .active { d["disabled"] = true }
        return d
    }

    static func position(_ p: PositionView) -> [String: Any] {
        var d: [String: Any] = ["id": p.id, "org_id": p.orgId, "org": p.orgName, "title": p.title ?? "", "roles": p.roles.joined(separator: ", ")]
        if p.leader { d["leader"] = true }
        if p.main { d["main"] = true }
        return d
    }

    static func org(_ o: Org) -> [String: Any] {
        var d: [String: Any] = ["id": o.id, "name": o.name, "kind": o.kind.rawValue, "lines": o.lines.joined(separator: ", "),
                                "order": o.order, "region_code": o.regionCode, "visibility": o.visibility.rawValue]
        if o.hidden { d["hidden"] = true }
        if o.kind == .unit { d["is_unit"] = true }
        return d
    }

    static func region(_ r: Region) -> [String: Any] {
        ["code": r.code, "name": r.name, "level": r.level.rawValue]
    }

    static func date(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "Asia/Shanghai")
        f.dateFormat = "yyyy-MM-dd HH:mm"
        return f.string(from: d)
    }
}
