import Foundation
import ZhengtongCore

/// The people file: one row per position, so a person with two positions has two rows with the same
/// username. Columns are documented in docs/import.md; only `username`, `name` and `org` are required.
public enum PeopleCSV {
    public static let columns = ["username", "name", "mobile", "email", "rank", "region", "org", "title", "leader", "roles",
                                 "senior_mode", "hide_mobile", "status"]
    static let required = ["username", "name", "org"]

    /// One row, checked field by field.
    struct Row {
        var line: Int
        var username: String
        var name: String
        var mobile: String?, email: String?, rank: String?
        var region: String?
        var org: String
        var title: String?
        var leader: Bool
        var roles: [String]
        var seniorMode: Bool?, hideMobile: Bool?
        var status: PersonStatus?
        /// The columns the file has: a column it does not have leaves that field as it is.
        var columns: Set<String>
        func has(_ column: String) -> Bool { columns.contains(column) }
    }

    /// Maps the header to column positions, or says what is wrong with it.
    static func header(_ fields: [String]) -> ([String: Int], [ImportIssue]) {
        var index: [String: Int] = [:]
        var issues: [ImportIssue] = []
        for (i, raw) in fields.enumerated() {
            let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if !columns.contains(name) {
                issues.append(ImportIssue(line: 1, column: raw, code: "unknown_column",
                                          message: "unknown column \"\(raw)\"; the columns are \(columns.joined(separator: ", "))"))
            } else if index[name] != nil {
                issues.append(ImportIssue(line: 1, column: name, code: "duplicate_column", message: "column \(name) appears twice"))
            } else {
                index[name] = i
            }
        }
        for r in required where index[r] == nil {
            issues.append(ImportIssue(line: 1, column: r, code: "missing_column", message: "the required column \(r) is missing"))
        }
        return (index, issues)
    }

    static func row(_ record: CSV.Record, _ index: [String: Int]) -> (Row?, [ImportIssue]) {
        var issues: [ImportIssue] = []
        guard record.fields.count == index.count else {
            return (nil, [ImportIssue(line: record.line, column: nil, code: "field_count",
                                      message: "expected \(index.count) fields like the header, found \(record.fields.count)")])
        }
        func cell(_ c: String) -> String? {
            guard let i = index[c], i < record.fields.count else { return nil }
            let v = CSV.fromSpreadsheet(record.fields[i].trimmingCharacters(in: .whitespacesAndNewlines))
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return v.isEmpty ? nil : v
        }
        func check<T>(_ column: String, _ f: () throws -> T) -> T? {
            do { return try f() } catch let e as DomainError {
                issues.append(ImportIssue(line: record.line, column: column, code: e.code, message: e.message))
            } catch {
                issues.append(ImportIssue(line: record.line, column: column, code: "invalid", message: "\(error)"))
            }
            return nil
        }
        func flag(_ column: String) -> Bool? {
            guard let v = cell(column) else { return index[column] == nil ? nil : false }
            switch v.lowercased() {
            case "1", "true", "yes", "y", "是": return true
            case "0", "false", "no", "n", "否": return false
            default:
                issues.append(ImportIssue(line: record.line, column: column, code: "invalid_\(column)", message: "\(column) must be 是/否, true/false or 1/0"))
                return nil
            }
        }
        let username = check("username") { try Validate.username(cell("username") ?? "") }
        let name = check("name") { try Validate.name(cell("name") ?? "", max: 50) }
        let mobile = check("mobile") { try Validate.mobile(cell("mobile")) }
        let email = check("email") { try Validate.email(cell("email")) }
        let rank = check("rank") { try Validate.optionalText(cell("rank"), field: "rank", max: 50) }
        let title = check("title") { try Validate.optionalText(cell("title"), field: "title", max: 50) }
        let roles = check("roles") {
            try Validate.list(cell("roles").map { $0.split(whereSeparator: { $0 == ";" || $0 == "；" }).map { $0.trimmingCharacters(in: .whitespaces) } },
                              field: "roles")
        }
        let org = cell("org")
        if org == nil { issues.append(ImportIssue(line: record.line, column: "org", code: "invalid_org", message: "org is empty")) }
        let leader = flag("leader"), senior = flag("senior_mode"), hide = flag("hide_mobile")
        var status: PersonStatus? = nil
        if let s = cell("status") {
            switch s.lowercased() {
            case "active", "在职", "启用": status = .active
            case "disabled", "停用", "离职": status = .disabled
            default: issues.append(ImportIssue(line: record.line, column: "status", code: "invalid_status", message: "status must be active or disabled"))
            }
        } else if index["status"] != nil {
            status = .active
        }
        guard issues.isEmpty, let username, let name, let org else { return (nil, issues) }
        return (Row(line: record.line, username: username, name: name, mobile: mobile ?? nil, email: email ?? nil, rank: rank ?? nil,
                    region: cell("region"), org: org, title: title ?? nil, leader: leader ?? false, roles: roles ?? [],
                    seniorMode: senior, hideMobile: hide, status: status, columns: Set(index.keys)), [])
    }
}

/// A problem with one line of an import (line 1 is the header).
public struct ImportIssue: Sendable, Equatable, Codable {
    public var line: Int
    public var column: String?
    public var code: String
    public var message: String
}

/// What an import did, or, for a dry run or a refused file, what it would have done.
public struct ImportReport: Sendable, Equatable, Codable {
    public var dryRun = false
    /// True once the changes are committed; false for a dry run and for a file with errors.
    public var applied = false
    public var rows = 0
    public var people = 0
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public var orgsCreated = 0
    public var positionsAdded = 0
    public var positionsUpdated = 0
    public var errors: [ImportIssue] = []
}
