import Accounts
import Directory
import Foundation
import Hummingbird
import NIOCore
import ZhengtongCore

/// Per-request context: where the request came from and, once authenticated, who sent it.
public struct AppContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public var session: Authenticated?
    public var viewer: Viewer?
    /// Set for server-rendered pages by `WebSessionMiddleware`.
    var lang = WebAssets.defaultLanguage
    var csrf = ""
    var form: [String: [String]] = [:]
    var path = "/"

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies over 1 MiB are refused with 413 before they are read.
    public var maxUploadSize: Int { 1 << 20 }

    public var responseEncoder: APIEncoder { APIEncoder() }

    public var clientAddress: String? { remoteAddress?.ipAddress }

    /// The authenticated viewer; routes behind `AuthMiddleware` always have one.
    public func requireViewer() throws -> Viewer {
        guard let viewer else { throw DomainError.unauthenticated }
        return viewer
    }
}


/// JSON responses with snake_case keys and ISO 8601 dates.
public struct APIEncoder: ResponseEncoder {
    static func make() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(date.iso8601)
        }
        return e
    }

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let data = try Self.make().encode(value)
        var buffer = ByteBuffer()
        buffer.writeBytes(data)
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: buffer))
    }
}

extension Request {
    /// Decodes the JSON body, letting `DecodingError` through (Hummingbird's own `decode` flattens it
    /// into a bare 400) so the error middleware can name the offending field.
    mutating func json<T: Decodable>(_ type: T.Type, context: AppContext) async throws -> T {
        let buffer = try await collectBody(upTo: context.maxUploadSize)
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return try d.decode(T.self, from: Data(buffer: buffer))
    }
}
