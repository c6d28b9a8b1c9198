import Directory
import Foundation
import NIOCore
import Testing
import ZhengtongCore
@testable import ZhengtongServer

/// The direct JSON writer for pages of people gives the same document as `JSONEncoder` with the API's
/// settings, including strings that need escaping and absent values.
@Suite struct PeopleJSONTests {
    @Test func sameDocumentAsJSONEncoder() throws {
        var odd = Person(id: "p2", name: "王\"引号\\反斜\n换行\t\u{01}控", username: "u/2", mobile: "13800000000", email: nil, rank: "一级科员",
                         seniorMode: true, hideMobile: true)
        odd.status = .disabled
        let plain = Person(id: "p1", name: "张三", username: "zhangsan")
        // PositionView has no public initialiser; it is Codable.
        let position = try JSONDecoder().decode(PositionView.self, from: Data("""
            {"id": "x1", "personId": "p2", "orgId": "o1", "orgName": "办公室 \\"A\\"", "orgPath": "/o1/", "regionCode": "330110000000",
             "leader": true, "roles": ["文书", "a\\"b"], "main": true, "order": -3}
            """.utf8))
        for page in [Page(items: [PersonView(person: plain, positions: [], mobileVisible: true),
                                  PersonView(person: odd, positions: [position, position], mobileVisible: false)], nextCursor: "bzoxNA"),
                     Page(items: [], nextCursor: nil)] {
            var buffer = PeoplePageJSON(page).bytes()
            let fast = try JSONSerialization.jsonObject(with: Data(buffer.readBytes(length: buffer.readableBytes)!)) as? NSDictionary
            let slow = try JSONSerialization.jsonObject(with: APIEncoder.make().encode(PageDTO(page, { PersonDTO(v: $0) }))) as? NSDictionary
            #expect(fast != nil)
            #expect(fast == slow)
        }
    }
}
