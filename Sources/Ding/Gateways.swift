import Crypto
import Foundation
import ZhengtongCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging

/// What an SMS or voice gateway is asked to deliver.
public struct GatewayMessage: Codable, Sendable, Equatable {
    public var channel: String
    public var dingId: String
    public var personId: String
    public var mobile: String
    public var text: String
}

/// An SMS or voice-call gateway. There is no local form of the real thing, so it sits behind this
/// protocol: an HTTP adapter for a real gateway and a log adapter as the default.
public protocol NotificationGateway: Sendable {
    func send(_ message: GatewayMessage) async throws
}

/// Writes what would be sent to the log (the default when no gateway URL is configured).
public struct LogGateway: NotificationGateway {
    let logger: Logger
    public init(logger: Logger) { self.logger = logger }
    public func send(_ message: GatewayMessage) async throws {
        // The mobile is masked: logs are not a place for personal data.
        logger.info("gateway message", metadata: ["channel": "\(message.channel)", "ding": "\(message.dingId)",
                                                  "mobile": "\(message.mobile.prefix(3))****\(message.mobile.suffix(4))"])
    }
}

/// POSTs each message as JSON to a configured URL, signed with HMAC-SHA256 of the body in
/// `X-Zhengtong-Signature` so the gateway can tell it came from this server.
public struct HTTPGateway: NotificationGateway {
    public let url: URL
    let secret: String

    public init(url: URL, secret: String) {
        self.url = url
        self.secret = secret
    }

    public static func signature(_ body: Data, secret: String) -> String {
        Hex.string(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))))
    }

    public func send(_ message: GatewayMessage) async throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let body = try encoder.encode(message)
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = 10
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(Self.signature(body, secret: secret), forHTTPHeaderField: "X-Zhengtong-Signature")
        let (_, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) else {
            throw GatewayError.rejected((response as? HTTPURLResponse)?.statusCode ?? 0)
        }
    }
}

public enum GatewayError: Error { case rejected(Int) }
