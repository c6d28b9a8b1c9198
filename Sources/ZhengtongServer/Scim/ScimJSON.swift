import Foundation
import Hummingbird

/// SCIM errors in the RFC 7644 §3.12 shape.
struct ScimError: Error {
    var status: HTTPResponse.Status
    var scimType: String?
    var detail: String

    static func invalidFilter(_ d: String) -> ScimError { ScimError(status: .badRequest, scimType: "invalidFilter", detail: d) }
    static func invalidValue(_ d: String) -> ScimError { ScimError(status: .badRequest, scimType: "invalidValue", detail: d) }
    static func invalidPath(_ d: String) -> ScimError { ScimError(status: .badRequest, scimType: "invalidPath", detail: d) }
    static func invalidSyntax(_ d: String) -> ScimError { ScimError(status: .badRequest, scimType: "invalidSyntax", detail: d) }
    static func mutability(_ d: String) -> ScimError { ScimError(status: .badRequest, scimType: "mutability", detail: d) }
    static func notFound(_ d: String) -> ScimError { ScimError(status: .notFound, scimType: nil, detail: d) }

    var json: [String: Any] {
        var d: [String: Any] = ["schemas": [Scim.errorSchema], "status": String(status.code), "detail": detail]
        if let scimType { d["scimType"] = scimType }
        return d
    }
}

/// Reading and writing SCIM resources as JSON objects. Attribute names are case-insensitive; an
/// extension's attributes sit under its schema URN.
enum ScimJSON {
    /// "emails.value" → ["emails", "value"]; "urn:…:User:rank" → ["urn:…:User", "rank"].
    static func path(_ s: String) -> [String] {
        let lower = s.lowercased()
        if lower.hasPrefix("urn:") {
            for ext in Scim.extensionSchemas where lower.hasPrefix(ext.lowercased()) {
                let rest = s.dropFirst(ext.count).drop { $0 == ":" || $0 == "." }
                return [ext] + (rest.isEmpty ? [] : rest.split(separator: ".").map(String.init))
            }
            for core in [Scim.userSchema, Scim.groupSchema] where lower.hasPrefix(core.lowercased() + ":") {
                return s.dropFirst(core.count + 1).split(separator: ".").map(String.init)
            }
        }
        return s.split(separator: ".").map(String.init)
    }

    static func key(_ object: [String: Any], _ name: String) -> String? {
        object.keys.first { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// Every value at `path`, looking through multi-valued attributes.
    static func values(_ object: [String: Any], _ path: [String]) -> [Any] {
        guard let first = path.first, let k = key(object, first), let v = object[k] else { return [] }
        let rest = Array(path.dropFirst())
        let items = (v as? [Any]) ?? [v]
        if rest.isEmpty { return items }
        return items.flatMap { ($0 as? [String: Any]).map { values($0, rest) } ?? [] }
    }

    static func encode(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func decodeObject(_ data: Data) throws -> [String: Any] {
        guard !data.isEmpty else { throw ScimError.invalidSyntax("the request has no body") }
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ScimError.invalidSyntax("the body is not a JSON object")
        }
        return o
    }

    /// Attributes returned only when asked for by name (`returned: request`).
    static let requestOnly = ["positions", "region", "seniorMode"]

    /// What a client sees of a resource: request-only attributes only when named in `attributes`,
    /// then the projection, and an extension listed in `schemas` only when it is present.
    static func present(_ resource: [String: Any], attributes: [String]? = nil, excluded: [String]? = nil) -> [String: Any] {
        var r = resource
        let asked = Set((attributes ?? []).map { path($0).last?.lowercased() ?? "" })
        if var ext = r[Scim.extensionSchema] as? [String: Any] {
            for a in requestOnly where !asked.contains(a.lowercased()) { ext[a] = nil }
            r[Scim.extensionSchema] = ext.isEmpty ? nil : ext
        }
        var out = project(r, attributes: attributes, excluded: excluded)
        if out[Scim.extensionSchema] == nil, let schemas = out["schemas"] as? [String] {
            out["schemas"] = schemas.filter { $0 != Scim.extensionSchema }
        }
        return out
    }

    /// Keeps only `attributes` (plus `id` and `schemas`, always returned), or drops `excluded`.
    static func project(_ resource: [String: Any], attributes: [String]?, excluded: [String]?) -> [String: Any] {
        if let attributes, !attributes.isEmpty {
            var out: [String: Any] = [:]
            for k in ["id", "schemas"] { if let v = resource[k] { out[k] = v } }
            for a in attributes {
                let p = path(a)
                guard let top = p.first, let k = key(resource, top), let v = resource[k] else { continue }
                if p.count == 1 {
                    out[k] = v
                } else if let sub = v as? [String: Any], let sk = key(sub, p[1]) {
                    var existing = out[k] as? [String: Any] ?? [:]
                    existing[sk] = sub[sk]
                    out[k] = existing
                } else if let items = v as? [[String: Any]] {
                    out[k] = items.compactMap { item in key(item, p[1]).map { [$0: item[$0]!] } }
                }
            }
            return out
        }
        var out = resource
        for a in excluded ?? [] {
            let p = path(a)
            guard let top = p.first, let k = key(out, top), !["id", "schemas"].contains(k) else { continue }
            if p.count == 1 {
                out[k] = nil
            } else if var sub = out[k] as? [String: Any], let sk = key(sub, p[1]) {
                sub[sk] = nil
                out[k] = sub
            }
        }
        return out
    }
}

enum Scim {
    static let userSchema = "urn:ietf:params:scim:schemas:core:2.0:User"
    static let groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
    static let extensionSchema = "urn:zhengtong:params:scim:schemas:extension:2.0:User"
    static let extensionSchemas = [extensionSchema]
    static let listSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    static let patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    static let searchSchema = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    static let errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"
    static let contentType = "application/scim+json"
}
