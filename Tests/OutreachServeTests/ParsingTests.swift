import Foundation
import Testing
import OutreachCore
@testable import OutreachServe

@Suite("Parsing helpers")
struct ParsingTests {
    @Test("provider timestamps (fractions, offsets) and addresses (display names) read with the core's parsers")
    func providerFormats() {
        #expect(Timestamp.parse("2016-01-27T14:59:38.237Z") == Date(timeIntervalSince1970: 1_453_906_778))
        #expect(Timestamp.parse("2014-01-15T16:09:19.6421112-05:00") == Timestamp.parse("2014-01-15T21:09:19Z"))
        #expect(MailboxText.parse("Jane Doe <Jane@Example.com>")?.address == "jane@example.com")
        #expect(MailboxText.parse("  Jane@Example.COM ")?.address == "jane@example.com")
        for bad in ["", "jane", "@example.com", "jane@", "ja ne@example.com", "<>"] {
            #expect(MailboxText.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func jsonValueKeepsLargeIntegersExact() {
        let json = JSONValue.parse(bytes(#"{"ID": 4323372036854775807, "t": 1.5, "b": true, "n": null, "s": "x"}"#))
        #expect(json?["ID"]?.identifier == "4323372036854775807")
        #expect(json?["t"]?.double == 1.5)
        #expect(json?["b"]?.bool == true)
        #expect(json?["b"]?.double == nil)
        #expect(json?["n"] == .null)
        #expect(json?["s"]?.bool == nil)
    }

    @Test func hex() {
        #expect(Hex.decode("00ffA0") == [0, 255, 160])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equal([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equal([1, 2, 3], [1, 2]))
    }
}
