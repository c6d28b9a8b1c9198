import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import ZhengtongCore
@testable import ZhengtongServer

/// A parsed JSON response: status plus body, with small accessors for assertions.
struct Reply: @unchecked Sendable {
    // @unchecked: `json` holds only Foundation property-list values produced by JSONSerialization
    // and is never mutated after creation.
    let status: HTTPResponse.Status
    let json: Any?
    let headers: HTTPFields

    subscript(key: String) -> Any? { (json as? [String: Any])?[key] }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var items: [[String: Any]] { object["items"] as? [[String: Any]] ?? [] }
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var id: String { object["id"] as? String ?? "" }
}

/// A client for one running test server; every call goes over real HTTP.
struct API: Sendable {
    let client: any TestClientProtocol
    var token: String? = nil

    func call(_ method: HTTPRequest.Method, _ path: String, _ body: Any? = nil, raw: String? = nil, token: String? = nil,
              headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let t = token ?? self.token { headers[.authorization] = "Bearer \(t)" }
        var buffer: ByteBuffer? = nil
        if let raw {
            buffer = ByteBuffer(string: raw)
            headers[.contentType] = "application/json"
        } else if let body {
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
            headers[.contentType] = "application/json"
        }
        let uri = path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? path
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { r in
            let data = Data(buffer: r.body)
            let json = data.isEmpty ? nil : try? JSONSerialization.jsonObject(with: data)
            return Reply(status: r.status, json: json, headers: r.headers)
        }
    }

    struct Raw: Sendable { var status: HTTPResponse.Status; var body: Data; var contentType: String? }

    /// A request with a raw body (uploads).
    func upload(_ path: String, _ data: Data, contentType: String) async throws -> Reply {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let uri = path.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? path
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: data)) { r in
            Reply(status: r.status, json: try? JSONSerialization.jsonObject(with: Data(buffer: r.body)), headers: r.headers)
        }
    }

    /// A GET whose body is returned as bytes (downloads).
    func raw(_ path: String) async throws -> Raw {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: path, method: .get, headers: headers) { r in
            Raw(status: r.status, body: Data(buffer: r.body), contentType: r.headers[.contentType])
        }
    }

    func get(_ path: String, token: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        try await call(.get, path, token: token, headers: headers)
    }
    func post(_ path: String, _ body: Any? = nil, token: String? = nil) async throws -> Reply { try await call(.post, path, body, token: token) }
    func put(_ path: String, _ body: Any? = nil) async throws -> Reply { try await call(.put, path, body) }
    func patch(_ path: String, _ body: Any? = nil, token: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        try await call(.patch, path, body, token: token, headers: headers)
    }
    func delete(_ path: String, token: String? = nil) async throws -> Reply { try await call(.delete, path, token: token) }

    /// Signs in and returns a client that sends that token.
    func login(_ username: String, _ password: String) async throws -> API {
        let r = try await post("/api/v1/auth/login", ["username": username, "password": password])
        guard r.status == .ok, let token = r["token"] as? String else {
            Issue.record("login \(username) failed: \(r.status) \(String(describing: r.json))")
            throw TestSetupError.loginFailed
        }
        var api = self
        api.token = token
        return api
    }
}

enum TestServer {
    static let adminPassword = "root-password-1"

    static func config(_ url: String) -> AppConfig {
        var c = AppConfig()
        c.database = url
        c.port = 0
        c.adminPassword = adminPassword
        c.passwordLogN = 10
        c.logLevel = "error"
        c.attachmentsDir = FileManager.default.temporaryDirectory.appendingPathComponent("zt-files-\(UUID().uuidString)").path
        c.maxAttachmentMB = 2
        c.streamRecheckSeconds = 1
        return c
    }

    /// Starts a real server on a fresh database of `backend` and runs `body` against it.
    static func with<T: Sendable>(_ backend: Backend, clock: any WallClock = SystemClock(), demo: String? = nil,
                                  url: String? = nil, logger: Logger = Logger(label: "test"),
                                  configure: @Sendable (inout AppConfig) -> Void = { _ in },
                                  _ body: @Sendable (API) async throws -> T) async throws -> T {
        let databaseURL: String
        if let url { databaseURL = url } else { databaseURL = try await backend.freshDatabaseURL() }
        var config = config(databaseURL)
        config.demo = demo
        configure(&config)
        let app = try await buildApplication(config, clock: clock, logger: logger)
        return try await app.test(.live) { client in
            try await body(API(client: client))
        }
    }
}
