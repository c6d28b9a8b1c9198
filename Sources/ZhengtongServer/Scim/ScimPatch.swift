import Foundation

/// PATCH (RFC 7644 §3.5.2) applied to a resource's JSON: the result is then stored as a replace, so a
/// patch can do exactly what a PUT can and no more.
enum ScimPatch {
    static func apply(_ body: [String: Any], to resource: [String: Any]) throws -> [String: Any] {
        guard let ops = body[ScimJSON.key(body, "Operations") ?? "Operations"] as? [[String: Any]], !ops.isEmpty else {
            throw ScimError.invalidSyntax("a PatchOp needs a non-empty Operations list")
        }
        var r = resource
        for op in ops {
            let name = ((op[ScimJSON.key(op, "op") ?? "op"] as? String) ?? "").lowercased()
            let path = op[ScimJSON.key(op, "path") ?? "path"] as? String
            let value = op[ScimJSON.key(op, "value") ?? "value"]
            switch name {
            case "add", "replace":
                guard let value else { throw ScimError.invalidValue("\(name) needs a value") }
                if let path {
                    try set(&r, Target(path), value, add: name == "add")
                } else {
                    guard let object = value as? [String: Any] else { throw ScimError.invalidValue("\(name) without a path needs an object value") }
                    for (k, v) in object {
                        try set(&r, Target(k), v, add: name == "add")
                    }
                }
            case "remove":
                guard let path else { throw ScimError(status: .badRequest, scimType: "noTarget", detail: "remove needs a path") }
                try remove(&r, Target(path))
            default:
                throw ScimError.invalidSyntax("unknown op \(name)")
            }
        }
        return r
    }

    /// `attr`, `attr.sub`, `urn:…:attr`, `attr[filter]` or `attr[filter].sub`.
    struct Target {
        var attribute: [String]
        var filter: ScimFilter?
        var sub: String?

        init(_ text: String) throws {
            if let open = text.firstIndex(of: "["), let close = text.lastIndex(of: "]"), open < close {
                attribute = ScimJSON.path(String(text[..<open]))
                filter = try ScimFilter.parse(String(text[text.index(after: open)..<close]))
                let rest = text[text.index(after: close)...].drop { $0 == "." }
                sub = rest.isEmpty ? nil : String(rest)
            } else {
                attribute = ScimJSON.path(text)
                filter = nil
                sub = nil
            }
            guard !attribute.isEmpty else { throw ScimError.invalidPath("empty path") }
        }
    }

    /// The containing object and the key of the attribute, creating an extension object when needed.
    static func withContainer(_ r: inout [String: Any], _ path: [String], create: Bool,
                              _ body: (inout [String: Any], String) throws -> Void) throws {
        if path.count == 1 {
            try body(&r, ScimJSON.key(r, path[0]) ?? path[0])
            return
        }
        let outer = ScimJSON.key(r, path[0]) ?? path[0]
        guard var inner = r[outer] as? [String: Any] ?? (create ? [:] : nil) else { return }
        try withContainer(&inner, Array(path.dropFirst()), create: create, body)
        r[outer] = inner.isEmpty ? nil : inner
    }

    static func set(_ r: inout [String: Any], _ t: Target, _ value: Any, add: Bool) throws {
        if let filter = t.filter {
            try withContainer(&r, t.attribute, create: false) { c, k in
                guard var items = c[k] as? [[String: Any]] else { throw ScimError(status: .badRequest, scimType: "noTarget", detail: "nothing matches the path") }
                var hit = false
                for i in items.indices where filter.matches(items[i]) {
                    hit = true
                    if let sub = t.sub { items[i][ScimJSON.key(items[i], sub) ?? sub] = value } else if let o = value as? [String: Any] { items[i].merge(o) { _, n in n } }
                }
                guard hit else { throw ScimError(status: .badRequest, scimType: "noTarget", detail: "nothing matches the path") }
                c[k] = items
            }
            return
        }
        try withContainer(&r, t.attribute, create: true) { c, k in
            if add, let existing = c[k] as? [Any] {
                let new = (value as? [Any]) ?? [value]
                var merged = existing
                for v in new where !merged.contains(where: { NSDictionary(dictionary: ["v": $0]).isEqual(to: ["v": v]) }) { merged.append(v) }
                c[k] = merged
            } else if add, var existing = c[k] as? [String: Any], let o = value as? [String: Any] {
                existing.merge(o) { _, n in n }
                c[k] = existing
            } else {
                c[k] = value
            }
        }
    }

    static func remove(_ r: inout [String: Any], _ t: Target) throws {
        try withContainer(&r, t.attribute, create: false) { c, k in
            guard let filter = t.filter else {
                c[k] = nil
                return
            }
            guard var items = c[k] as? [[String: Any]] else { return }
            if let sub = t.sub {
                for i in items.indices where filter.matches(items[i]) { items[i][ScimJSON.key(items[i], sub) ?? sub] = nil }
            } else {
                items.removeAll { filter.matches($0) }
            }
            c[k] = items.isEmpty ? nil : items
        }
    }
}
