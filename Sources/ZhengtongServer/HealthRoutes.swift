import Directory
import Foundation
import Hummingbird
import Storage
import ZhengtongCore

struct HealthRoutes {
    let database: any Database
    let index: DirectoryIndex?

    func register(on router: Router<AppContext>) {
        router.get("healthz") { _, _ in StatusDTO(status: "ok") }
        router.get("readyz") { _, _ -> StatusDTO in
            do {
                try await database.ping()
            } catch {
                throw DomainError(.unavailable, "database_unreachable", "the database does not answer")
            }
            // Ready does not wait for the index (SQL answers until it is built); say where it stands.
            return StatusDTO(status: "ready", searchIndex: index?.status.rawValue)
        }
        router.get("openapi.json") { _, _ -> Response in
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "Resources"),
                  let data = try? Data(contentsOf: url) else { throw DomainError.notFound("openapi document") }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}

struct StatusDTO: ResponseEncodable {
    var status: String
    var searchIndex: String? = nil
    enum CodingKeys: String, CodingKey { case status, searchIndex = "search_index" }
}
