import Foundation

/// What the SCIM service publishes about itself (RFC 7643 §5–7). The schemas list only the attributes
/// the directory really keeps, with their true mutability, so a client never sends something that is
/// silently dropped.
enum ScimSchemas {
    static func attribute(_ name: String, _ type: String = "string", required: Bool = false, multi: Bool = false,
                          mutability: String = "readWrite", returned: String = "default", uniqueness: String = "none",
                          description: String, sub: [[String: Any]]? = nil, referenceTypes: [String]? = nil) -> [String: Any] {
        var a: [String: Any] = ["name": name, "type": type, "multiValued": multi, "description": description, "required": required,
                                "mutability": mutability, "returned": returned]
        if type == "string" || type == "reference" {
            a["caseExact"] = false
            a["uniqueness"] = uniqueness
        }
        if let sub { a["subAttributes"] = sub }
        if let referenceTypes { a["referenceTypes"] = referenceTypes }
        return a
    }

    static var user: [String: Any] {
        ["id": Scim.userSchema, "name": "User", "description": "A person in the directory",
         "attributes": [
            attribute("externalId", description: "The provisioning client's own identifier for the person."),
            attribute("userName", required: true, mutability: "immutable", uniqueness: "server",
                      description: "The sign-in name: 2–64 of a-z 0-9 . _ -, not only digits. Fixed once created."),
            attribute("displayName", required: true, description: "The person's name as shown in the directory (姓名)."),
            attribute("title", description: "The title of the person's position in the client's org."),
            attribute("active", "boolean", required: true, description: "False disables the person: no sign-in, no sessions."),
            attribute("emails", "complex", multi: true, description: "The person's email address (one is kept).",
                      sub: [attribute("value", description: "The address.")]),
            attribute("phoneNumbers", "complex", multi: true, mutability: "readOnly",
                      description: "The mobile number, kept by the directory's own administration.",
                      sub: [attribute("value", mutability: "readOnly", description: "11 digits."),
                            attribute("type", mutability: "readOnly", description: "Always mobile.")]),
            attribute("groups", "complex", multi: true, mutability: "readOnly",
                      description: "The orgs in the client's subtree where the person holds a position.",
                      sub: [attribute("value", mutability: "readOnly", description: "The org id."),
                            attribute("display", mutability: "readOnly", description: "The org's name.")]),
         ],
         "meta": ["resourceType": "Schema", "location": "/Schemas/\(Scim.userSchema)"]]
    }

    static var userExtension: [String: Any] {
        ["id": Scim.extensionSchema, "name": "ZhengtongUser", "description": "What the government directory keeps beyond SCIM's User",
         "attributes": [
            attribute("rank", description: "职级: the civil-service rank."),
            attribute("positions", "complex", multi: true, mutability: "readOnly", returned: "request",
                      description: "Every position inside the client's subtree; join a group to add one.",
                      sub: [attribute("org", mutability: "readOnly", description: "The org id."),
                            attribute("orgName", mutability: "readOnly", description: "The org's name."),
                            attribute("title", mutability: "readOnly", description: "职务."),
                            attribute("leader", "boolean", mutability: "readOnly", description: "Head of the org."),
                            attribute("primary", "boolean", mutability: "readOnly", description: "The main position.")]),
            attribute("region", mutability: "readOnly", returned: "request", description: "The region code of the main position's unit."),
            attribute("seniorMode", "boolean", mutability: "readOnly", returned: "request",
                      description: "高管模式: ordinary staff cannot contact the person directly. Set by the directory's administrators."),
         ],
         "meta": ["resourceType": "Schema", "location": "/Schemas/\(Scim.extensionSchema)"]]
    }

    static var group: [String: Any] {
        ["id": Scim.groupSchema, "name": "Group", "description": "An org (unit or department) in the client's subtree",
         "attributes": [
            attribute("externalId", description: "The provisioning client's own identifier for the org."),
            attribute("displayName", required: true, description: "The org's name."),
            attribute("members", "complex", multi: true, description: "People holding a position in this org.",
                      sub: [attribute("value", mutability: "immutable", description: "The person's id."),
                            attribute("$ref", "reference", mutability: "immutable", description: "The person's URI.", referenceTypes: ["User"])]),
         ],
         "meta": ["resourceType": "Schema", "location": "/Schemas/\(Scim.groupSchema)"]]
    }

    static var all: [[String: Any]] { [user, userExtension, group] }

    static func resourceTypes(base: String) -> [[String: Any]] {
        [["schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User", "name": "User", "endpoint": "/Users",
          "description": "People", "schema": Scim.userSchema,
          "schemaExtensions": [["schema": Scim.extensionSchema, "required": false]],
          "meta": ["resourceType": "ResourceType", "location": "\(base)/ResourceTypes/User"]],
         ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "Group", "name": "Group", "endpoint": "/Groups",
          "description": "Orgs", "schema": Scim.groupSchema,
          "meta": ["resourceType": "ResourceType", "location": "\(base)/ResourceTypes/Group"]]]
    }

    static func serviceProviderConfig(base: String) -> [String: Any] {
        ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
         "documentationUri": "https://github.com/zhengtong/zhengtong/blob/main/docs/scim.md",
         "patch": ["supported": true],
         "bulk": ["supported": false, "maxOperations": 0, "maxPayloadSize": 0],
         "filter": ["supported": true, "maxResults": ScimService.maxResults],
         "changePassword": ["supported": false],
         "sort": ["supported": true],
         "etag": ["supported": true],
         "authenticationSchemes": [["type": "oauthbearertoken", "name": "Provisioning token",
                                    "description": "Authorization: Bearer ztp_…, issued by an administrator for one org subtree",
                                    "primary": true]],
         "meta": ["resourceType": "ServiceProviderConfig", "location": "\(base)/ServiceProviderConfig"]]
    }
}
