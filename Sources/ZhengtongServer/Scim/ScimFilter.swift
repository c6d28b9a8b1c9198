import Foundation

/// SCIM filters (RFC 7644 §3.4.2.2): `attrPath op value`, `attrPath pr`, `and`, `or`, `not (…)`,
/// parentheses and value filters on multi-valued attributes (`emails[type eq "work"]`). Evaluated on
/// a resource's JSON; attribute names are case-insensitive, and so are string comparisons (no
/// attribute we publish is case-exact).
indirect enum ScimFilter: Equatable {
    case compare(path: [String], op: String, value: ScimValue)
    case present(path: [String])
    case and(ScimFilter, ScimFilter)
    case or(ScimFilter, ScimFilter)
    case not(ScimFilter)
    case valuePath(path: [String], ScimFilter)

    static let operators: Set<String> = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]

    static func parse(_ text: String) throws -> ScimFilter {
        var p = Parser(tokens: try tokenize(text))
        let f = try p.orExpr()
        guard p.atEnd else { throw ScimError.invalidFilter("unexpected \(p.peek ?? "end") in filter") }
        return f
    }

    func matches(_ resource: [String: Any]) -> Bool {
        switch self {
        case .and(let a, let b): return a.matches(resource) && b.matches(resource)
        case .or(let a, let b): return a.matches(resource) || b.matches(resource)
        case .not(let a): return !a.matches(resource)
        case .present(let path):
            return ScimJSON.values(resource, path).contains { v in
                if let s = v as? String { return !s.isEmpty }
                if let a = v as? [Any] { return !a.isEmpty }
                return !(v is NSNull)
            }
        case .compare(let path, let op, let value):
            return ScimJSON.values(resource, path).contains { Self.compare($0, op, value) }
        case .valuePath(let path, let inner):
            return ScimJSON.values(resource, path).contains { ($0 as? [String: Any]).map(inner.matches) ?? false }
        }
    }

    static func compare(_ actual: Any, _ op: String, _ expected: ScimValue) -> Bool {
        switch expected {
        case .null:
            return op == "eq" ? actual is NSNull : op == "ne" ? !(actual is NSNull) : false
        case .bool(let b):
            guard let a = actual as? Bool else { return op == "ne" }
            return op == "eq" ? a == b : op == "ne" ? a != b : false
        case .number(let n):
            guard let a = (actual as? NSNumber)?.doubleValue else { return op == "ne" }
            switch op {
            case "eq": return a == n
            case "ne": return a != n
            case "gt": return a > n
            case "ge": return a >= n
            case "lt": return a < n
            case "le": return a <= n
            default: return false
            }
        case .string(let s):
            guard let a = (actual as? String)?.lowercased() else { return op == "ne" }
            let e = s.lowercased()
            switch op {
            case "eq": return a == e
            case "ne": return a != e
            case "co": return a.contains(e)
            case "sw": return a.hasPrefix(e)
            case "ew": return a.hasSuffix(e)
            case "gt": return a > e
            case "ge": return a >= e
            case "lt": return a < e
            case "le": return a <= e
            default: return false
            }
        }
    }

    // MARK: Tokens and grammar

    enum Token: Equatable { case word(String), string(String), open, close, lbracket, rbracket }

    static func tokenize(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        var chars = Array(text)
        var i = 0
        func flushWord(_ w: inout String) { if !w.isEmpty { tokens.append(.word(w)); w = "" } }
        var word = ""
        while i < chars.count {
            let c = chars[i]
            switch c {
            case " ", "\t", "\n":
                flushWord(&word)
            case "(": flushWord(&word); tokens.append(.open)
            case ")": flushWord(&word); tokens.append(.close)
            case "[": flushWord(&word); tokens.append(.lbracket)
            case "]": flushWord(&word); tokens.append(.rbracket)
            case "\"":
                flushWord(&word)
                var s = ""
                i += 1
                while i < chars.count && chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    s.append(chars[i])
                    i += 1
                }
                guard i < chars.count else { throw ScimError.invalidFilter("unterminated string in filter") }
                tokens.append(.string(s))
            default:
                word.append(c)
            }
            i += 1
        }
        flushWord(&word)
        chars = []
        return tokens
    }

    struct Parser {
        var tokens: [Token]
        var i = 0
        var atEnd: Bool { i >= tokens.count }
        var peek: String? {
            guard !atEnd else { return nil }
            switch tokens[i] {
            case .word(let w): return w
            case .string(let s): return "\"\(s)\""
            case .open: return "("
            case .close: return ")"
            case .lbracket: return "["
            case .rbracket: return "]"
            }
        }
        func keyword(_ k: String) -> Bool {
            guard !atEnd, case .word(let w) = tokens[i] else { return false }
            return w.lowercased() == k
        }

        mutating func orExpr() throws -> ScimFilter {
            var left = try andExpr()
            while keyword("or") { i += 1; left = .or(left, try andExpr()) }
            return left
        }

        mutating func andExpr() throws -> ScimFilter {
            var left = try unary()
            while keyword("and") { i += 1; left = .and(left, try unary()) }
            return left
        }

        mutating func unary() throws -> ScimFilter {
            if keyword("not") {
                i += 1
                return .not(try group())
            }
            if !atEnd, tokens[i] == .open { return try group() }
            return try comparison()
        }

        mutating func group() throws -> ScimFilter {
            guard !atEnd, tokens[i] == .open else { throw ScimError.invalidFilter("expected ( in filter") }
            i += 1
            let f = try orExpr()
            guard !atEnd, tokens[i] == .close else { throw ScimError.invalidFilter("expected ) in filter") }
            i += 1
            return f
        }

        mutating func comparison() throws -> ScimFilter {
            guard !atEnd, case .word(let attr) = tokens[i] else { throw ScimError.invalidFilter("expected an attribute in filter") }
            i += 1
            let path = ScimJSON.path(attr)
            if !atEnd, tokens[i] == .lbracket {
                i += 1
                let inner = try orExpr()
                guard !atEnd, tokens[i] == .rbracket else { throw ScimError.invalidFilter("expected ] in filter") }
                i += 1
                return .valuePath(path: path, inner)
            }
            guard !atEnd, case .word(let opWord) = tokens[i] else { throw ScimError.invalidFilter("expected an operator after \(attr)") }
            let op = opWord.lowercased()
            i += 1
            if op == "pr" { return .present(path: path) }
            guard ScimFilter.operators.contains(op) else { throw ScimError.invalidFilter("unknown operator \(opWord)") }
            guard !atEnd else { throw ScimError.invalidFilter("expected a value after \(opWord)") }
            let value: ScimValue
            switch tokens[i] {
            case .string(let s): value = .string(s)
            case .word(let w):
                switch w.lowercased() {
                case "true": value = .bool(true)
                case "false": value = .bool(false)
                case "null": value = .null
                default:
                    guard let n = Double(w) else { throw ScimError.invalidFilter("\(w) is not a value; quote strings") }
                    value = .number(n)
                }
            default: throw ScimError.invalidFilter("expected a value after \(opWord)")
            }
            i += 1
            return .compare(path: path, op: op, value: value)
        }
    }
}

enum ScimValue: Equatable { case string(String), number(Double), bool(Bool), null }
