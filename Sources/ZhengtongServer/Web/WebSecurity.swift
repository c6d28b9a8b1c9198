import Foundation
import HTTPTypes
import Hummingbird
import ZhengtongCore

/// Cookie sign-in and CSRF protection for the browser. The bearer API is unchanged; a browser holds the
/// same kind of session token in an HttpOnly cookie, so script on the page can never read it.
enum WebSecurity {
    static let sessionCookie = "zt_session"
    static let csrfCookie = "zt_csrf"
    static let langCookie = "zt_lang"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    static let csrfField = "_csrf"

    static func isSafe(_ method: HTTPRequest.Method) -> Bool { method == .get || method == .head }

    /// Behind a TLS-terminating proxy the scheme is only known from `X-Forwarded-Proto`.
    static func overTLS(_ request: Request) -> Bool {
        request.uri.scheme?.rawValue == "https" || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return Hex.string((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    /// Compares in time independent of where the strings differ, so the token cannot be guessed byte by byte.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// A request naming another origin is refused: a cross-site form or script must not act with the
    /// user's cookie. Requests without `Origin` (same-origin GETs, old browsers) fall back to SameSite
    /// and the CSRF token.
    static func sameOrigin(_ request: Request) -> Bool {
        guard let origin = request.headers[.origin] else { return true }
        guard let url = URL(string: origin), let host = url.host else { return false }
        let originHost = url.port.map { "\(host):\($0)" } ?? host
        let served = request.headers[HTTPField.Name("X-Forwarded-Host")!] ?? request.head.authority ?? ""
        return originHost.lowercased() == served.lowercased()
    }

    /// The CSRF check for a cookie-authenticated state change: the token from the header or the form
    /// must equal the cookie's.
    static func checkCSRF(_ request: Request, form: [String: [String]]) throws {
        guard sameOrigin(request) else { throw csrfFailed }
        guard let cookie = request.cookies[csrfCookie]?.value,
              let sent = request.headers[csrfHeader] ?? form[csrfField]?.first,
              constantTimeEqual(cookie, sent) else { throw csrfFailed }
    }

    static let csrfFailed = DomainError(.forbidden, "csrf_failed", "the request did not carry this page's CSRF token; reload the page and try again")

    static func sessionCookie(_ token: String, maxAge: Int, secure: Bool) -> Cookie {
        Cookie(name: sessionCookie, value: token, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    static func expiredSessionCookie(secure: Bool) -> Cookie {
        Cookie(name: sessionCookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    static func csrfCookie(_ value: String, secure: Bool) -> Cookie {
        Cookie(name: csrfCookie, value: value, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}

/// `application/x-www-form-urlencoded` bodies and query strings: `+` is a space, `%XX` a byte.
enum FormData {
    static func parse(_ s: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for pair in s.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            out[key, default: []].append(value)
        }
        return out
    }

    static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }
}
