/// The one error type domain actions throw. The HTTP layer maps `kind` to a status and renders
/// `{"error": {"code", "message"}}`; nothing else reaches a client.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case badRequest
        case unauthorized
        case forbidden
        case notFound
        case conflict
        case payloadTooLarge
        case unprocessable
        case tooManyRequests(retryAfter: Int)
        case unavailable
    }

    public var kind: Kind
    public var code: String
    public var message: String

    public init(_ kind: Kind, _ code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func notFound(_ what: String) -> DomainError {
        DomainError(.notFound, "not_found", "\(what) not found")
    }
    public static func invalid(_ field: String, _ message: String) -> DomainError {
        DomainError(.unprocessable, "invalid_\(field)", message)
    }
    public static let forbidden = DomainError(.forbidden, "forbidden", "you may not do this")
    public static let unauthenticated = DomainError(.unauthorized, "unauthenticated", "sign in first")
}
