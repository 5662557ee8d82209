import Foundation
import Testing
@testable import OutreachServe

@Suite("Parsing helpers")
struct ParsingTests {
    @Test func rfc3339() {
        #expect(RFC3339.date("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
        #expect(RFC3339.date("2016-01-27T14:59:38.237Z") == Date(timeIntervalSince1970: 1_453_906_778.237))
        #expect(RFC3339.date("2014-01-15T16:09:19.6421112-05:00") == RFC3339.date("2014-01-15T21:09:19.6421112Z"))
        #expect(RFC3339.date("2000-02-29T23:59:59+01:00") == Date(timeIntervalSince1970: 951_865_199))
        for bad in ["", "2016-01-27", "2016-01-27T14:59:38", "2016-13-01T00:00:00Z", "2015-02-29T00:00:00Z",
                    "2016-01-27T14:59:38.Z", "2016-01-27T24:00:00Z", "2016-01-27T14:59:38Zjunk", "２０１６-01-27T14:59:38Z"] {
            #expect(RFC3339.date(bad) == nil, "\(bad)")
        }
    }

    @Test func emailNormalization() {
        #expect(HookAddress.normalize("  Jane@Example.COM\n") == "jane@example.com")
        #expect(HookAddress.normalize("Jane Doe <Jane@Example.com>") == "jane@example.com")
        for bad in ["", "jane", "@example.com", "jane@", "ja ne@example.com", "<>"] {
            #expect(HookAddress.normalize(bad) == nil, "\(bad)")
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
