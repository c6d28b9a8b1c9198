import NIOCore

/// LDAPv3 messages (RFC 4511 §4) as the load needs them: requests are encoded once per query, ahead of
/// the run, so a request on the wire costs an envelope (message id) and a copy.
enum LDAPMessage {
    enum Op {
        static let bindRequest: UInt8 = 0x60
        static let bindResponse: UInt8 = 0x61
        static let unbindRequest: UInt8 = 0x42
        static let searchRequest: UInt8 = 0x63
        static let searchResultEntry: UInt8 = 0x64
        static let searchResultDone: UInt8 = 0x65
        static let searchResultReference: UInt8 = 0x73
        static let extendedResponse: UInt8 = 0x78
    }

    static let success = 0
    static let sizeLimitExceeded = 4

    /// Anonymous simple bind: version 3, empty name, empty password.
    static let anonymousBind: [UInt8] = BER.tlv(Op.bindRequest, BER.integer(3) + BER.octets("") + BER.octets("", tag: 0x80))
    static let unbind: [UInt8] = [Op.unbindRequest, 0x00]

    static func search(_ search: LDAPSearch, sizeLimit: Int = 20, attributes: [String] = ["uid", "cn", "title", "mobile"]) throws -> [UInt8] {
        let content = BER.octets(search.base)
            + BER.integer(search.scope.rawValue, tag: BER.enumerated)
            + BER.integer(0, tag: BER.enumerated)  // derefAliases: neverDerefAliases
            + BER.integer(sizeLimit)
            + BER.integer(0)  // timeLimit: none
            + BER.boolean(false)  // typesOnly
            + (try LDAPFilter.encode(search.filter))
            + BER.tlv(BER.sequence, attributes.flatMap { BER.octets($0) })
        return BER.tlv(Op.searchRequest, content)
    }

    static func write(id: Int, op: [UInt8], into buffer: inout ByteBuffer) {
        let messageID = BER.integer(id)
        buffer.writeInteger(BER.sequence)
        buffer.writeBytes(BER.length(messageID.count + op.count))
        buffer.writeBytes(messageID)
        buffer.writeBytes(op)
    }

    struct Response {
        var id: Int
        var op: UInt8
        /// For the responses that carry an LDAPResult (bind, search done, extended).
        var resultCode: Int?
    }

    static func parse(_ message: ByteBuffer) throws -> Response {
        var outer = BERReader(buffer: message)
        var envelope = BERReader(buffer: try outer.read(expecting: BER.sequence))
        let id = try envelope.readInteger()
        let (op, body) = try envelope.read()
        var code: Int?
        if op == Op.bindResponse || op == Op.searchResultDone || op == Op.extendedResponse {
            var result = BERReader(buffer: body)
            code = try result.readInteger(tag: BER.enumerated)
        }
        return Response(id: id, op: op, resultCode: code)
    }
}

/// Cuts the TCP stream into whole LDAP messages.
struct BERFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = try BER.elementSize(buffer), let message = buffer.readSlice(length: size) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(message))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
