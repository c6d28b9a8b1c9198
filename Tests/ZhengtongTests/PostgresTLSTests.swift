import Foundation
import Logging
import SQLKit
import Storage
import Testing

/// `?sslmode=` and `&sslrootcert=` in a PostgreSQL URL, as libpq reads them.
@Suite struct PostgresTLSTests {
    @Test func urlsSayHowToUseTLS() throws {
        func tls(_ url: String) throws -> PostgresTLS {
            guard case .postgres(_, _, _, _, _, let options) = try DatabaseLocation(url: url) else { throw TestSetupError.fixture("not postgres") }
            return options.tls
        }
        #expect(try tls("postgres://u@db.example:5432/zt") == PostgresTLS(mode: .prefer))
        #expect(try tls("postgres://u@db.example/zt?sslmode=verify-full&sslrootcert=/etc/zt/ca.pem")
                == PostgresTLS(mode: .verifyFull, rootCertificate: "/etc/zt/ca.pem"))
        #expect(try tls("postgresql://u@db.example/zt?sslmode=disable") == PostgresTLS(mode: .disable))
        #expect(throws: StorageError.self) { try tls("postgres://u@db.example/zt?sslmode=sometimes") }
        #expect(throws: StorageError.self) { try tls("postgres://u@db.example/zt?ssl=true") }
        for bad in ["pool_max_conns=0", "pool_max_conns=1", "pool_timeout=abc", "connect_timeout=-1", "pool_max_conns=5000"] {
            #expect(throws: StorageError.self) { try tls("postgres://u@db.example/zt?\(bad)") }
        }
        // What is logged keeps the TLS settings and never the password.
        let location = try DatabaseLocation(url: "postgres://u:s3cret@db.example/zt?sslmode=require")
        #expect(location.redacted == "postgres://u@db.example:5432/zt?sslmode=require")
        for url in ["mysql://u:s3cret@db.example/zt", "postgres://u:s3 cret#x@db.example/zt", "postgres:/u:s3cret@db.example/zt"] {
            do {
                _ = try DatabaseLocation(url: url)
                Issue.record("\(url) was accepted")
            } catch {
                #expect(!"\(error)".contains("s3"), "\(error)")
            }
        }
    }

    /// Against the test cluster, which offers TLS with its own certificate (scripts/test sets
    /// ZHENGTONG_TEST_POSTGRES_CA): each mode connects as it should, or fails with an error.
    @Test(.enabled(if: Backend.postgresURL != nil && !(ProcessInfo.processInfo.environment["ZHENGTONG_TEST_POSTGRES_CA"] ?? "").isEmpty))
    func eachModeConnectsAsItShould() async throws {
        // The suite's URL asks for no TLS; each case here says what it wants instead.
        let suiteURL = try #require(Backend.postgresURL)
        var components = try #require(URLComponents(string: suiteURL))
        components.query = nil
        let base = try #require(components.string)
        let ca = try #require(ProcessInfo.processInfo.environment["ZHENGTONG_TEST_POSTGRES_CA"])
        func encrypted(_ query: String) async throws -> Bool {
            let url = base + (base.contains("?") ? "&" : "?") + query
            return try await Databases.with(try DatabaseLocation(url: url), logger: Logger(label: "test")) { db in
                try await db.read { c in
                    try await c.raw("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first()!.decode(column: "ssl", as: Bool.self)
                }
            }
        }
        #expect(try await encrypted("sslmode=disable") == false)
        #expect(try await encrypted("sslmode=prefer") == true)
        #expect(try await encrypted("sslmode=require") == true)
        #expect(try await encrypted("sslmode=verify-ca&sslrootcert=\(ca)") == true)
        #expect(try await encrypted("sslmode=verify-full&sslrootcert=\(ca)") == true)
        // The system's roots do not trust the cluster's own certificate: no connection is made. (The
        // pool keeps retrying, so the query would wait; a few seconds without an answer show it.)
        let untrusted = await withTaskGroup(of: Bool?.self) { group in
            group.addTask { (try? await encrypted("sslmode=verify-full")) ?? false }
            group.addTask { try? await Task.sleep(for: .seconds(4)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        #expect(untrusted != true, "connected without trusting the server's certificate")
        await #expect(throws: StorageError.self) { _ = try await encrypted("sslmode=verify-full&sslrootcert=/no/such/ca.pem") }
        // A ping (what /readyz asks) gives up instead of waiting on a pool that cannot connect.
        let start = ContinuousClock.now
        _ = try await Databases.with(try DatabaseLocation(url: base + "?sslmode=verify-full"), logger: Logger(label: "test")) { db in
            await #expect(throws: StorageError.self) { try await db.ping(timeout: .seconds(1)) }
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}
