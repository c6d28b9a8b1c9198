import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Storage
import ZhengtongCore

/// Turns every error into the one JSON shape `{"error": {"code", "message"}}` with the right status.
/// Anything that is not a client's mistake is logged and answered with a bare 500.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppContext
    /// Tells a wrong method (405) from a missing path (404).
    var routes = RouteMethods()

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as DomainError {
            return Self.response(e)
        } catch let e as DecodingError {
            return Self.response(Self.describe(e))
        } catch let e as HTTPParserError {
            // The request's own bytes were malformed, or the client went away inside its body: its
            // mistake, and usually nobody is left to read the answer.
            context.logger.debug("malformed or unfinished request", metadata: ["error": "\(e)", "path": "\(request.uri.path)"])
            return Self.response(DomainError(.badRequest, "malformed_request", "the request was malformed or ended early"))
        } catch is NIOTooManyBytesError {
            return Self.response(DomainError(.payloadTooLarge, "body_too_large", "request body is larger than 1 MiB"))
        } catch let error where StorageErrors.isUniqueViolation(error) {
            // Two writers raced past the same uniqueness check; the loser gets what it would have got a moment later.
            return Self.response(DomainError(.conflict, "conflict", "a record with these unique values already exists"))
        } catch StorageError.noConnection(let why) {
            // Not the client's mistake, nor a bug here: the database is down or unreachable. Logged once
            // per request, without the URL (it may hold a password).
            context.logger.warning("database unavailable", metadata: ["error": "\(why)", "path": "\(request.uri.path)"])
            return Self.errorResponse(status: .serviceUnavailable, code: "database_unavailable",
                                      message: "the database is not answering; try again shortly", headers: [.retryAfter: "5"])
        } catch let e as HTTPError {
            switch e.status {
            case .contentTooLarge:
                return Self.response(DomainError(.payloadTooLarge, "body_too_large", "request body is larger than 1 MiB"))
            case .notFound:
                if let allowed = routes.allowed(for: request.uri.path), !allowed.contains(request.method) {
                    let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                    return Self.errorResponse(status: .methodNotAllowed, code: "method_not_allowed",
                                              message: "\(request.method) is not allowed here; allowed: \(allow)", headers: [.allow: allow])
                }
                return Self.response(DomainError(.notFound, "not_found", "no such resource"))
            case .methodNotAllowed:
                return Self.errorResponse(status: .methodNotAllowed, code: "method_not_allowed", message: "method not allowed here")
            default:
                return Self.errorResponse(status: e.status, code: "http_\(e.status.code)", message: e.body ?? e.status.reasonPhrase)
            }
        } catch {
            // Storage and framework errors carry no request data or secrets, so they are logged whole.
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return Self.errorResponse(status: .internalServerError, code: "internal", message: "internal error")
        }
    }

    static func describe(_ e: DecodingError) -> DomainError {
        func path(_ c: [any CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch e {
        case .dataCorrupted(let ctx) where ctx.codingPath.isEmpty:
            return DomainError(.badRequest, "malformed_json", "request body is not valid JSON")
        case .dataCorrupted(let ctx):
            return DomainError(.badRequest, "invalid_field", "\(path(ctx.codingPath)) has an invalid value")
        case .keyNotFound(let key, let ctx):
            return DomainError(.badRequest, "missing_field", "\(path(ctx.codingPath + [key])) is required")
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            return DomainError(.badRequest, "invalid_field", "\(path(ctx.codingPath)) has the wrong type")
        @unknown default:
            return DomainError(.badRequest, "invalid_body", "request body could not be read")
        }
    }

    static func status(_ kind: DomainError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .unprocessable: .unprocessableContent
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }

    static func response(_ e: DomainError) -> Response {
        let (status, headers, body) = parts(e)
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    /// The error response as status, headers and body, for the places that write it below the router.
    static func parts(_ e: DomainError) -> (HTTPResponse.Status, HTTPFields, ByteBuffer) {
        var extra: [String: Int] = [:]
        var headers: HTTPFields = [:]
        if case .tooManyRequests(let retry) = e.kind {
            extra["retry_after"] = retry
            headers[.retryAfter] = String(retry)
        }
        return parts(status: status(e.kind), code: e.code, message: e.message, extra: extra, headers: headers)
    }

    static func errorResponse(status: HTTPResponse.Status, code: String, message: String, extra: [String: Int] = [:],
                              headers: HTTPFields = [:]) -> Response {
        let (status, headers, body) = parts(status: status, code: code, message: message, extra: extra, headers: headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    static func parts(status: HTTPResponse.Status, code: String, message: String, extra: [String: Int] = [:],
                      headers: HTTPFields = [:]) -> (HTTPResponse.Status, HTTPFields, ByteBuffer) {
        var error: [String: any Sendable] = ["code": code, "message": message]
        for (k, v) in extra { error[k] = v }
        let data = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        var h = headers
        h[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { h[.wwwAuthenticate] = "Bearer" }
        return (status, h, ByteBuffer(bytes: data))
    }
}
