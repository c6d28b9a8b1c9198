import Foundation

/// An LDAP search as the mix file writes it.
struct LDAPSearch: Sendable {
    enum Scope: Int, Sendable {
        case base = 0, one = 1, sub = 2
    }

    var base: String
    var scope: Scope
    var filter: String
}

struct MixQuery: Sendable {
    var httpPath: String
    var ldap: LDAPSearch
}

/// The query mix written by scripts/bench/ldap_vs_zhengtong.py:
/// `{"kinds": [...], "<kind>": [{"http": PATH, "ldap": {"base", "scope", "filter"}}, ...], ...}`.
/// The order of kinds comes from `kinds` because JSON objects have none, and it decides which system
/// goes first in each cell.
struct Mix: Sendable {
    struct Kind: Sendable {
        var name: String
        var queries: [MixQuery]
    }

    var kinds: [Kind]

    enum LoadError: Error, CustomStringConvertible {
        case malformed(String)
        var description: String {
            switch self { case .malformed(let what): "mix file: \(what)" }
        }
    }

    init(contentsOf path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoadError.malformed("not a JSON object")
        }
        guard let names = object["kinds"] as? [String] else { throw LoadError.malformed("no \"kinds\" array giving the order") }
        kinds = try names.map { name in
            guard let list = object[name] as? [[String: Any]] else { throw LoadError.malformed("kind \(name) is not an array of queries") }
            return Kind(name: name, queries: try list.map(Self.query))
        }
    }

    private static func query(_ object: [String: Any]) throws -> MixQuery {
        guard let path = object["http"] as? String,
              let ldap = object["ldap"] as? [String: Any],
              let base = ldap["base"] as? String,
              let scopeName = ldap["scope"] as? String,
              let filter = ldap["filter"] as? String else {
            throw LoadError.malformed("query without http, ldap.base, ldap.scope or ldap.filter: \(object)")
        }
        let scope: LDAPSearch.Scope
        switch scopeName {
        case "base": scope = .base
        case "one": scope = .one
        case "sub": scope = .sub
        default: throw LoadError.malformed("scope \(scopeName) (want base, one or sub)")
        }
        return MixQuery(httpPath: path, ldap: LDAPSearch(base: base, scope: scope, filter: filter))
    }
}
