import Accounts
import Directory
import Foundation
import Hummingbird
import ZhengtongCore

/// `POST /api/v1/admin/import` and `GET /api/v1/admin/export`: the people file in and out, within the
/// caller's administrative scope.
struct ImportRoutes {
    let services: AppServices
    /// A province-sized file is tens of megabytes; the 1 MiB limit of other bodies does not fit it.
    static let maxImportBytes = 64 << 20

    func register(on router: Router<AppContext>) {
        let admin = router.group("api/v1/admin").add(middleware: AuthMiddleware(services: services))
        admin.post("import") { request, ctx -> Response in
            let viewer = try ctx.requireViewer()
            guard !viewer.scope.isEmpty else { throw DomainError.forbidden }
            let dryRun = try boolParam(request, "dry_run") ?? false
            var req = request
            let body = Data(buffer: try await req.collectBody(upTo: Self.maxImportBytes))
            let file = try Self.csvPart(body, contentType: request.headers[.contentType] ?? "")
            let report = try await services.directory.importPeople(file, dryRun: dryRun, by: viewer, from: ctx.clientAddress)
            if report.errors.isEmpty { return try Self.json(report, status: .ok) }
            let message = "\(report.errors.count) problem(s) in the file; nothing was changed"
            return try Self.json(ImportErrorBody(error: .init(code: "invalid_import", message: message, report: report)),
                                 status: .unprocessableContent)
        }
        // Provisioning tokens for SCIM clients: issued over an org the administrator covers, shown once.
        admin.post("provisioning-tokens") { request, ctx -> Response in
            var req = request
            let body = try await req.json(ProvisioningTokenRequest.self, context: ctx)
            let (t, token) = try await services.accounts.issueProvisioningToken(name: body.name, orgId: body.orgId, directory: services.directory,
                                                                                by: try ctx.requireViewer(), from: ctx.clientAddress)
            return try Self.json(ProvisioningTokenDTO(t, token: token), status: .created)
        }
        admin.get("provisioning-tokens") { _, ctx -> Response in
            let items = try await services.accounts.provisioningTokens(by: try ctx.requireViewer()).map { ProvisioningTokenDTO($0, token: nil) }
            return try Self.json(PageDTO(items: items, nextCursor: nil), status: .ok)
        }
        admin.delete("provisioning-tokens/:id") { _, ctx -> Response in
            try await services.accounts.revokeProvisioningToken(try ctx.parameters.require("id"), by: try ctx.requireViewer(), from: ctx.clientAddress)
            return Response(status: .noContent)
        }
        admin.get("export") { request, ctx -> Response in
            let q = request.uri.queryParameters
            let format = q["format"].map(String.init) ?? "csv"
            guard format == "csv" || format == "ldif" else { throw DomainError(.badRequest, "invalid_format", "format must be csv or ldif") }
            let (org, region, viewer) = (q["org"].map(String.init), q["region"].map(String.init), try ctx.requireViewer())
            let file = try await ExportFile.make { sink in
                if format == "csv" { try await services.directory.exportPeople(orgId: org, regionCode: region, by: viewer, into: sink) }
                else { try await services.directory.exportLDIF(orgId: org, regionCode: region, by: viewer, into: sink) }
            }
            return Response(status: .ok, headers: [.contentType: format == "csv" ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"people.\(format)\""],
                            body: file.body)
        }
    }

    struct ProvisioningTokenRequest: Decodable { var name: String; var orgId: String }

    struct ProvisioningTokenDTO: Encodable {
        var id: String, name: String, orgId: String, createdBy: String, createdAt: Date
        /// Only in the answer that issues it.
        var token: String?
        init(_ t: ProvisioningToken, token: String?) {
            id = t.id; name = t.name; orgId = t.orgId; createdBy = t.createdBy; createdAt = t.createdAt; self.token = token
        }
    }

    struct ImportErrorBody: Encodable {
        struct Detail: Encodable { var code: String; var message: String; var report: ImportReport }
        var error: Detail
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let data = try APIEncoder.make().encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The file: the body itself (`text/csv`), or the first file part of a `multipart/form-data` body.
    static func csvPart(_ body: Data, contentType: String) throws -> Data {
        let lower = contentType.lowercased()
        guard lower.hasPrefix("multipart/form-data") else {
            guard lower.isEmpty || lower.hasPrefix("text/csv") || lower.hasPrefix("application/octet-stream") || lower.hasPrefix("text/plain") else {
                throw DomainError(.unprocessable, "invalid_content_type", "send the file as text/csv or multipart/form-data")
            }
            return body
        }
        guard let b = contentType.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { $0.lowercased().hasPrefix("boundary=") })?.dropFirst("boundary=".count) else {
            throw DomainError(.badRequest, "invalid_multipart", "the multipart body has no boundary")
        }
        let boundary = Data(("--" + b.trimmingCharacters(in: CharacterSet(charactersIn: "\""))).utf8)
        let separator = Data("\r\n\r\n".utf8)
        var search = body.startIndex..<body.endIndex
        while let start = body.range(of: boundary, in: search) {
            guard let headerEnd = body.range(of: separator, in: start.upperBound..<body.endIndex) else { break }
            let headers = String(decoding: body[start.upperBound..<headerEnd.lowerBound], as: UTF8.self).lowercased()
            guard let next = body.range(of: Data("\r\n".utf8) + boundary, in: headerEnd.upperBound..<body.endIndex) else { break }
            if headers.contains("filename=") || headers.contains("name=\"file\"") {
                return body[headerEnd.upperBound..<next.lowerBound]
            }
            search = next.lowerBound..<body.endIndex
        }
        throw DomainError(.unprocessable, "invalid_multipart", "the multipart body has no file part")
    }
}
