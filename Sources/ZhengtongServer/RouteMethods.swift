import HTTPTypes
import Hummingbird
import Synchronization

/// Which methods each registered path answers, so that a request for a path that exists with a method
/// it does not take is answered 405 with `Allow` (RFC 9110 §15.5.6), not 404. Hummingbird's router
/// answers both with its not-found responder.
///
/// Filled once from `Router.routes` after every route is registered, before the server starts; read
/// by `ErrorMiddleware` on the not-found path only, so the common path never looks here.
final class RouteMethods: Sendable {
    private let table = Mutex<[(path: RouterPath, methods: Set<HTTPRequest.Method>)]>([])

    func record(_ routes: [Router<AppContext>.RouteDescription]) {
        var byPath: [String: (RouterPath, Set<HTTPRequest.Method>)] = [:]
        for route in routes {
            byPath[route.path.description, default: (route.path, [])].1.insert(route.method)
        }
        table.withLock { $0 = byPath.values.map { (path: $0.0, methods: $0.1) } }
    }

    /// The methods of the routes whose path matches `path`, or nil when none does.
    func allowed(for path: String) -> Set<HTTPRequest.Method>? {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        let matching = table.withLock { table in table.filter { Self.matches($0.path, components) }.map(\.methods) }
        return matching.isEmpty ? nil : matching.reduce(into: []) { $0.formUnion($1) }
    }

    static func matches(_ route: RouterPath, _ components: [Substring]) -> Bool {
        var i = 0
        for element in route.components {
            if element == .recursiveWildcard { return true }
            guard i < components.count, element ~= components[i] else { return false }
            i += 1
        }
        return i == components.count
    }
}
