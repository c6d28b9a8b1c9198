import Foundation
import ZhengtongCore

/// RFC 4180 CSV: fields separated by commas, optionally quoted with `"`, a doubled `""` inside quotes
/// is a quote, records end with CRLF or LF, and a quoted field may span lines.
public enum CSV {
    public struct Record: Sendable, Equatable {
        /// The line of the file the record starts on (1-based), for error reports.
        public var line: Int
        public var fields: [String]
    }

    /// Decodes the bytes as UTF-8 (a BOM is dropped). Anything else is refused with a message that says
    /// what to do; files saved by Excel in China are usually GBK.
    public static func text(_ data: Data) throws -> String {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let s = String(data: bytes, encoding: .utf8) { return s }
        if looksLikeGBK(bytes) {
            throw DomainError(.unprocessable, "invalid_encoding",
                              "the file is not UTF-8; it looks like GBK (GB2312/GB18030). Save it as \"CSV UTF-8\" (Excel) or convert it with: iconv -f GBK -t UTF-8")
        }
        throw DomainError(.unprocessable, "invalid_encoding", "the file is not UTF-8 text; save it as \"CSV UTF-8\"")
    }

    /// GBK writes each Chinese character as a lead byte 0x81–0xFE and a trail byte 0x40–0xFE (not 0x7F).
    static func looksLikeGBK(_ bytes: Data) -> Bool {
        var i = bytes.startIndex, pairs = 0
        while i < bytes.endIndex {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let next = bytes.index(after: i)
            guard (0x81...0xFE).contains(b), next < bytes.endIndex, (0x40...0xFE).contains(bytes[next]), bytes[next] != 0x7F else { return false }
            pairs += 1
            i = bytes.index(after: next)
        }
        return pairs > 0
    }

    public static func parse(_ text: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var quotedField = false
        var line = 1, recordLine = 1
        var chars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func endField() { fields.append(field); field = ""; quotedField = false }
        func endRecord() {
            endField()
            // A blank line is no record.
            if !(fields.count == 1 && fields[0].isEmpty) { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }
        while let c = pending ?? chars.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    let n = chars.next()
                    if n == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = n }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty && !quotedField else {
                    throw DomainError(.unprocessable, "invalid_csv", "line \(line): a quote inside an unquoted field; quote the whole field and double the quote")
                }
                inQuotes = true
                quotedField = true
            case ",":
                endField()
            case "\r":
                let n = chars.next()
                if n != "\n" { pending = n }
                endRecord(); line += 1; recordLine = line
            case "\n":
                endRecord(); line += 1; recordLine = line
            default:
                if quotedField {
                    throw DomainError(.unprocessable, "invalid_csv", "line \(line): text after a closing quote")
                }
                field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw DomainError(.unprocessable, "invalid_csv", "line \(recordLine): a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return records
    }

    /// One record with the quoting it needs, ending in CRLF as RFC 4180 asks. Every field is made
    /// spreadsheet-safe first (`spreadsheetSafe`): these files are opened in Excel and WPS.
    public static func line(_ fields: [String]) -> String {
        fields.map(spreadsheetSafe).map { f in
            f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || f.hasPrefix(" ") || f.hasSuffix(" ")
                ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",") + "\r\n"
    }

    /// A field that a spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, a tab or
    /// a carriage return: "CSV injection") gets a leading apostrophe, which spreadsheets take as "this
    /// is text" and do not show. So does a field already starting with an apostrophe, so that
    /// `fromSpreadsheet` can always drop exactly one and an import of an export reproduces it.
    public static func spreadsheetSafe(_ field: String) -> String {
        guard let first = field.unicodeScalars.first, "=+-@\t\r'".unicodeScalars.contains(first) else { return field }
        return "'" + field
    }

    /// A field as imported: one leading apostrophe dropped, whether `spreadsheetSafe` wrote it or a
    /// spreadsheet user typed it to keep a number as text ('0571…).
    public static func fromSpreadsheet(_ field: String) -> String {
        field.hasPrefix("'") ? String(field.dropFirst()) : field
    }
}
