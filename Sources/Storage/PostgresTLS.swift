import Foundation
import NIOSSL
import PostgresNIO

/// How a PostgreSQL connection uses TLS, given in the database URL as libpq gives it
/// (`PostgresOptions` reads it): `?sslmode=disable|prefer|require|verify-ca|verify-full` and `&sslrootcert=PATH`.
///
/// `prefer` (libpq's default, and ours) encrypts whenever the server offers TLS and checks nothing;
/// `require` insists on TLS; `verify-ca` also checks the server's certificate against the roots
/// (`sslrootcert`, else the system's), and `verify-full` its name too. As in libpq, `require` with an
/// `sslrootcert` checks the certificate like `verify-ca`.
public struct PostgresTLS: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var mode: Mode
    public var rootCertificate: String?

    public init(mode: Mode = .prefer, rootCertificate: String? = nil) {
        self.mode = mode
        self.rootCertificate = rootCertificate
    }

    /// The client's TLS setting for postgres-nio.
    func configuration() throws -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw StorageError.unavailable("sslrootcert \(rootCertificate) cannot be read")
            }
            tls.trustRoots = .file(rootCertificate)
        }
        switch mode {
        case .disable:
            return .disable
        case .prefer:
            tls.certificateVerification = .none
            return .prefer(tls)
        case .require:
            tls.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
            return .require(tls)
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
            return .require(tls)
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            return .require(tls)
        }
    }
}
