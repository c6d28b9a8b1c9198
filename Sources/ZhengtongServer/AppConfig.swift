import Foundation

/// Every setting the server reads, resolved in one place: command-line flags > `ZHENGTONG_*` environment
/// > config file (JSON) > defaults.
public struct AppConfig: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var database = "sqlite://./data/zhengtong.sqlite"
    /// Demo data to load into an empty directory before serving ("county", "city", "province"), if any.
    public var demo: String? = nil
    /// The root administrator's password on first start; generated and printed once if unset.
    public var adminPassword: String? = nil
    /// scrypt cost as log2(N). 14 (16 MiB per hash) in production; tests lower it.
    public var passwordLogN = 14
    public var sessionHours = 336
    public var logLevel = "info"
    /// SMS and voice gateways for DING escalation; without a URL, messages are only logged.
    public var smsGatewayURL: String? = nil
    public var voiceGatewayURL: String? = nil
    public var gatewaySecret: String? = nil
    /// Where attachment files are kept, and the largest accepted upload.
    public var attachmentsDir = "./data/attachments"
    public var maxAttachmentMB = 20
    /// How often a live stream re-checks that its session is still valid (revoked, expired, disabled).
    public var streamRecheckSeconds = 30
    public var streamPingSeconds = 30
    /// How long an HTTP connection may sit without a byte of a request: idle between requests, silent
    /// after connecting, or stalled inside a request's head or body. Then it is closed, so abandoned and
    /// slow-dripping connections cannot pile up, nor hold up a graceful shutdown. (Streams have pings.)
    public var idleTimeoutSeconds = 60
    /// The web app's templates and static files; nil serves the copy bundled with the binary.
    public var webRoot: String? = nil
    /// "memory": searches and member listings from the in-memory directory index once it is built
    /// (SQL until then); "sql": always from the database.
    public var searchIndex = "memory"

    public init() {}

    /// Keys as they appear in the config file; environment variables are `ZHENGTONG_` + upper-cased key.
    static let keys = ["host", "port", "database", "demo", "admin_password", "password_log_n", "session_hours", "log_level",
                       "sms_gateway_url", "voice_gateway_url", "gateway_secret",
                       "attachments_dir", "max_attachment_mb", "stream_recheck_seconds", "stream_ping_seconds", "idle_timeout_seconds", "web_root",
                       "search_index"]

    /// Resolves the configuration. `flags` holds only what was given on the command line.
    public static func resolve(flags: [String: String], environment: [String: String], configFile: String?) throws -> AppConfig {
        var values: [String: String] = [:]
        let file = configFile ?? environment["ZHENGTONG_CONFIG"]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw ConfigError.unreadable(file) }
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw ConfigError.malformed(file) }
            for (k, v) in obj {
                guard keys.contains(k) else { throw ConfigError.unknownKey(k) }
                values[k] = "\(v)"
            }
        }
        for k in keys {
            if let v = environment["ZHENGTONG_" + k.uppercased()], !v.isEmpty { values[k] = v }
        }
        for (k, v) in flags { values[k] = v }

        var c = AppConfig()
        if let v = values["host"] { c.host = v }
        if let v = values["port"] { c.port = try int(v, "port", 0...65535) }
        if let v = values["database"] { c.database = v }
        if let v = values["demo"], !["", "false", "0"].contains(v) { c.demo = ["true", "1"].contains(v) ? "county" : v }
        if let v = values["admin_password"] { c.adminPassword = v }
        if let v = values["password_log_n"] { c.passwordLogN = try int(v, "password_log_n", 10...20) }
        if let v = values["session_hours"] { c.sessionHours = try int(v, "session_hours", 1...24 * 365) }
        if let v = values["log_level"] { c.logLevel = v }
        if let v = values["sms_gateway_url"], !v.isEmpty { c.smsGatewayURL = v }
        if let v = values["voice_gateway_url"], !v.isEmpty { c.voiceGatewayURL = v }
        if let v = values["gateway_secret"], !v.isEmpty { c.gatewaySecret = v }
        if let v = values["attachments_dir"], !v.isEmpty { c.attachmentsDir = v }
        if let v = values["max_attachment_mb"] { c.maxAttachmentMB = try int(v, "max_attachment_mb", 1...1024) }
        if let v = values["stream_recheck_seconds"] { c.streamRecheckSeconds = try int(v, "stream_recheck_seconds", 1...3600) }
        if let v = values["stream_ping_seconds"] { c.streamPingSeconds = try int(v, "stream_ping_seconds", 1...3600) }
        if let v = values["idle_timeout_seconds"] { c.idleTimeoutSeconds = try int(v, "idle_timeout_seconds", 1...3600) }
        if let v = values["web_root"], !v.isEmpty { c.webRoot = v }
        if let v = values["search_index"], !v.isEmpty {
            guard ["memory", "sql"].contains(v) else { throw ConfigError.badValue("search_index", v) }
            c.searchIndex = v
        }
        try c.validate()
        return c
    }

    /// What no single value shows: a gateway URL must be an http(s) URL, and with one a signing secret of
    /// at least 16 characters is required, so that escalations never go out unsigned or silently nowhere.
    public func validate() throws {
        for (key, url) in [("sms_gateway_url", smsGatewayURL), ("voice_gateway_url", voiceGatewayURL)] {
            guard let url else { continue }
            guard let u = URL(string: url), ["http", "https"].contains(u.scheme?.lowercased() ?? ""), u.host?.isEmpty == false else {
                throw ConfigError.invalid(key, "must be an http:// or https:// URL")
            }
        }
        if smsGatewayURL != nil || voiceGatewayURL != nil, (gatewaySecret ?? "").count < 16 {
            throw ConfigError.invalid("gateway_secret", "is required, at least 16 characters, when a gateway URL is set: gateways check the signature it makes")
        }
    }

    static func int(_ s: String, _ key: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let n = Int(s), range.contains(n) else { throw ConfigError.badValue(key, s) }
        return n
    }
}

public enum ConfigError: Error, CustomStringConvertible {
    case unreadable(String), malformed(String), unknownKey(String), badValue(String, String)
    /// A value that is wrong, said without repeating it (it may be a secret).
    case invalid(String, String)
    public var description: String {
        switch self {
        case .unreadable(let f): "cannot read config file \(f)"
        case .malformed(let f): "config file \(f) is not a JSON object"
        case .unknownKey(let k): "unknown config key \(k)"
        case .badValue(let k, let v): "bad value \(v) for \(k)"
        case .invalid(let k, let why): "\(k) \(why)"
        }
    }
}
