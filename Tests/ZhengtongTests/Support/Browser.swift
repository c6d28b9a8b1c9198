import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A page as a browser would get it: status, headers and HTML.
struct WebPage: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let html: String
    var location: String? { headers[.location] }
    /// The value of `<meta name="csrf-token">`, which scripts send back as `X-CSRF-Token`.
    var csrfMeta: String? {
        guard let r = html.range(of: #"<meta name="csrf-token" content=""#) else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }
    func contains(_ s: String) -> Bool { html.contains(s) }
}

/// A cookie-keeping client over the real server, for the server-rendered pages and the cookie-authenticated API.
actor Browser {
    let client: any TestClientProtocol
    private(set) var cookies: [String: String] = [:]
    private(set) var setCookieLines: [String] = []

    init(_ api: API) { client = api.client }

    var csrf: String { cookies["zt_csrf"] ?? "" }

    func get(_ path: String, headers extra: HTTPFields = [:]) async throws -> WebPage {
        try await send(.get, path, headers: extra, body: nil)
    }

    /// A form post; the page's CSRF token goes along unless `csrf` is false.
    func post(_ path: String, _ form: [(String, String)], csrf withToken: Bool = true, headers extra: HTTPFields = [:]) async throws -> WebPage {
        var fields = form
        if withToken { fields.append(("_csrf", csrf)) }
        var c = URLComponents()
        c.queryItems = fields.map { URLQueryItem(name: $0.0, value: $0.1) }
        let body = (c.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        var headers = extra
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(.post, path, headers: headers, body: ByteBuffer(string: body))
    }

    /// A JSON API call with the session cookie, as the web app's scripts make it.
    func api(_ method: HTTPRequest.Method, _ path: String, _ json: [String: any Sendable]? = nil, csrfHeader: Bool = true,
             headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if csrfHeader { headers[HTTPField.Name("X-CSRF-Token")!] = csrf }
        var body: ByteBuffer? = nil
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        }
        let page = try await send(method, path, headers: headers, body: body)
        return Reply(status: page.status, json: try? JSONSerialization.jsonObject(with: Data(page.html.utf8)), headers: page.headers)
    }

    private func send(_ method: HTTPRequest.Method, _ path: String, headers extra: HTTPFields, body: ByteBuffer?) async throws -> WebPage {
        var headers = extra
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        let page = try await client.execute(uri: path, method: method, headers: headers, body: body) { r in
            WebPage(status: r.status, headers: r.headers, html: String(buffer: r.body))
        }
        for line in page.headers[values: .setCookie] {
            setCookieLines.append(line)
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return page
    }

    /// Opens the sign-in page (which issues the CSRF cookie) and signs in.
    @discardableResult
    func signIn(_ username: String, _ password: String, next: String? = nil) async throws -> WebPage {
        _ = try await get("/login")
        var form = [("username", username), ("password", password)]
        if let next { form.append(("next", next)) }
        return try await post("/login", form)
    }

    func dropCookie(_ name: String) { cookies[name] = nil }
}
