import Accounts
import Directory
import Foundation
import Hummingbird
import Logging
import ZhengtongCore

/// The web app's pages: sign-in, home, sessions and the shells of the live pages. The directory and
/// administration pages are in their own files. Handlers decode the form, call one domain action and
/// render or redirect, exactly as the JSON routes do.
struct WebRoutes {
    let kit: WebKit
    let logger: Logger
    var services: AppServices { kit.services }

    func register(on router: Router<AppContext>) {
        let root = kit.assets.root
        router.add(middleware: FileMiddleware(root + "/static", urlBasePath: "/static", cacheControl: .init([(MediaType(type: .any), [.noCache])]),
                                             logger: logger))
        for (name, type) in [("sw.js", "text/javascript; charset=utf-8"), ("manifest.webmanifest", "application/manifest+json")] {
            router.get(RouterPath(name)) { _, _ in try staticFile(name, type: type) }
            router.head(RouterPath(name)) { _, _ in try staticFile(name, type: type) }
        }

        let open = router.group().add(middleware: WebSessionMiddleware(kit: kit, requireSignIn: false))
        open.get("login") { req, ctx in
            if ctx.viewer != nil { return WebKit.redirect("/") }
            return try loginPage(ctx, next: req.uri.queryParameters["next"].map(String.init))
        }
        open.post("login", use: login)
        open.get("lang/:code") { req, ctx -> Response in
            let code = try ctx.parameters.require("code")
            guard WebAssets.languages.contains(code) else { throw DomainError.notFound("language") }
            var r = WebKit.redirect(localPath(req.uri.queryParameters["back"].map(String.init)))
            r.setCookie(Cookie(name: WebSecurity.langCookie, value: code, maxAge: 365 * 86400, path: "/", secure: WebSecurity.overTLS(req),
                               httpOnly: true, sameSite: .lax))
            return r
        }

        let web = router.group().add(middleware: WebSessionMiddleware(kit: kit, requireSignIn: true))
        web.get("/") { _, ctx in try kit.page("home", title: "home.title", section: "home", ctx: ctx) }
        web.post("logout") { req, ctx -> Response in
            if let session = ctx.session {
                try await services.accounts.logout(session, actor: try ctx.requireViewer().acting.from(ctx.clientAddress))
            }
            var r = WebKit.redirect("/login")
            r.setCookie(WebSecurity.expiredSessionCookie(secure: WebSecurity.overTLS(req)))
            return r
        }
        web.get("me/sessions") { _, ctx in try await sessionsPage(ctx) }
        web.post("me/sessions/:id/revoke") { _, ctx -> Response in
            let viewer = try ctx.requireViewer()
            try await services.accounts.revoke(sessionId: try ctx.parameters.require("id"), of: viewer.personId,
                                               actor: viewer.acting.from(ctx.clientAddress))
            return WebKit.redirect("/me/sessions")
        }

        // Live pages: the server renders the frame, a JavaScript module fills it from the API and the stream.
        web.get("chat") { _, ctx in try kit.page("chat", title: "chat.title", section: "chat", ctx: ctx) }
        web.post("chat/open") { _, ctx -> Response in
            let viewer = try ctx.requireViewer()
            let conversation: String
            if let person = ctx.field("person_id") {
                conversation = try await services.messaging.openDirect(with: person, viewer: viewer).0.id
            } else if let org = ctx.field("org_id") {
                conversation = try await services.messaging.openOrgGroup(orgId: org, includeSubtree: ctx.checkbox("include_subtree"), viewer: viewer).0.id
            } else {
                throw DomainError.invalid("members", "name a person or an org to chat with")
            }
            return WebKit.redirect("/chat?c=" + conversation)
        }
        web.get("ding") { _, ctx in try kit.page("ding", title: "ding.title", section: "ding", ctx: ctx) }
        web.get("ding/new") { req, ctx in
            try kit.page("ding-new", title: "ding.new_title", section: "ding", ctx: ctx,
                         data: ["to": req.uri.queryParameters["to"].map(String.init) ?? ""])
        }
        web.get("ding/:id") { _, ctx in
            try kit.page("ding-board", title: "ding.board_title", section: "ding", ctx: ctx, data: ["ding_id": try ctx.parameters.require("id")])
        }

        DirectoryPages(kit: kit).register(on: web)
        AdminPages(kit: kit).register(on: web)
    }

    func staticFile(_ name: String, type: String) throws -> Response {
        guard let data = FileManager.default.contents(atPath: kit.assets.root + "/static/" + name) else { throw DomainError.notFound("file") }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func loginPage(_ ctx: AppContext, next: String?, error: String? = nil, username: String = "", status: HTTPResponse.Status = .ok) throws -> Response {
        var data: [String: Any] = ["username": username, "next": localPath(next)]
        if let error { data["error"] = error }
        return try kit.page("login", title: "login.title", section: "login", ctx: ctx, data: data, status: status)
    }

    @Sendable func login(_ req: Request, _ ctx: AppContext) async throws -> Response {
        let username = ctx.field("username") ?? ""
        let password = ctx.form["password"]?.first ?? ""
        do {
            let result = try await services.accounts.login(identifier: username, password: password,
                                                           userAgent: req.headers[.userAgent], address: ctx.clientAddress)
            var r = WebKit.redirect(localPath(ctx.field("next")))
            let maxAge = max(60, Int(result.expiresAt.timeIntervalSince(services.clock.now())))
            r.setCookie(WebSecurity.sessionCookie(result.token, maxAge: maxAge, secure: WebSecurity.overTLS(req)))
            return r
        } catch let e as DomainError {
            let message: String
            if case .tooManyRequests(let retry) = e.kind {
                message = kit.assets.text("login.locked", lang: ctx.lang, ["minutes": String(max(1, (retry + 59) / 60))])
            } else {
                message = kit.assets.text("login.failed", lang: ctx.lang)
            }
            return try loginPage(ctx, next: ctx.field("next"), error: message, username: username, status: ErrorMiddleware.status(e.kind))
        }
    }

    func sessionsPage(_ ctx: AppContext) async throws -> Response {
        let sessions = try await services.accounts.sessions(of: ctx.session!)
        let rows: [[String: Any]] = sessions.map { s in
            var d: [String: Any] = ["id": s.id, "created_at": ViewModel.date(s.createdAt), "last_seen_at": ViewModel.date(s.lastSeenAt),
                                    "user_agent": s.userAgent ?? "", "address": s.clientAddress ?? ""]
            if s.current { d["current"] = true }
            return d
        }
        return try kit.page("sessions", title: "sessions.title", section: "me", ctx: ctx, data: ["sessions": rows])
    }
}

/// Only a path on this site is a redirect target, so a crafted `next` cannot send the user elsewhere.
func localPath(_ s: String?) -> String {
    guard let s, s.hasPrefix("/"), !s.hasPrefix("//"), !s.hasPrefix("/\\"), s != "/login" else { return "/" }
    return s
}
