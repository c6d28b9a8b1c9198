/// Who is doing something and from where: what the audit log records for every act.
public struct ActingContext: Sendable, Equatable {
    public var personId: String?
    public var name: String?
    public var clientAddress: String?

    public init(personId: String?, name: String?, clientAddress: String?) {
        self.personId = personId
        self.name = name
        self.clientAddress = clientAddress
    }

    /// Acts of the system itself (bootstrap, command-line administration).
    public static func system(_ what: String = "system") -> ActingContext {
        ActingContext(personId: nil, name: what, clientAddress: nil)
    }
}
