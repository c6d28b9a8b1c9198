import SQLKit

/// Tokens for provisioning clients (SCIM): each acts within one org subtree, in the name of the
/// administrator who issued it. Only a hash of the token is kept. And the clients' own identifiers.
struct M011ProvisioningTokens: Migration {
    let id = 11
    let name = "011_provisioning_tokens"

    func prepare(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, """
            CREATE TABLE provisioning_tokens (
                id TEXT{C} PRIMARY KEY,
                name TEXT NOT NULL,
                token_hash TEXT{C} NOT NULL UNIQUE,
                org_id TEXT{C} NOT NULL,
                created_by TEXT{C} NOT NULL,
                created_at {INT} NOT NULL,
                revoked_at {INT})
            """,
            // A provisioning client's own identifier for a person or an org (SCIM externalId).
            """
            CREATE TABLE external_ids (
                kind TEXT NOT NULL,
                id TEXT{C} NOT NULL,
                external_id TEXT NOT NULL,
                PRIMARY KEY (kind, id))
            """)
    }

    func revert(_ db: any SQLDatabase, _ d: Dialect) async throws {
        try await ddl(db, d, "DROP TABLE external_ids", "DROP TABLE provisioning_tokens")
    }
}
