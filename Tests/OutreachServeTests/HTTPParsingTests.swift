import Foundation
import Testing
@testable import OutreachServe

/// The request parser and form reader of the server, on hostile and ordinary input.
@Suite("serve: HTTP parsing")
struct HTTPParsingTests {
    @Test("a request head: method, path, query, lowercased headers")
    func head() throws {
        let parsed = try #require(RequestReader.parseHead("POST /u/2.7.abc?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nX-A: 1\r\nX-A: 2"))
        #expect(parsed.method == "POST")
        #expect(parsed.path == "/u/2.7.abc")
        #expect(parsed.query == "x=1")
        #expect(parsed.headers["content-type"] == "text/plain")
        #expect(parsed.headers["x-a"] == "1, 2")
    }

    @Test("malformed heads are refused: folding, conflicting lengths, bad request lines")
    func malformed() {
        for head in [
            "GET /x HTTP/1.1\r\nA: b\r\n continued",
            "POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6",
            "GET x HTTP/1.1",
            "get /x HTTP/1.1",
            "GET /x HTTP/2.0",
            "GET /x",
            "GET /x HTTP/1.1\r\nno colon here",
            "GET /x HTTP/1.1\r\nBad Name: v",
        ] {
            #expect(RequestReader.parseHead(head) == nil, "\(head)")
        }
    }

    @Test("form fields: urlencoded and multipart carry List-Unsubscribe=One-Click")
    func forms() {
        #expect(FormFields.parse(contentType: "application/x-www-form-urlencoded", body: Array("List-Unsubscribe=One-Click&page=1".utf8))
                == ["List-Unsubscribe": "One-Click", "page": "1"])
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n"
        #expect(FormFields.parse(contentType: "multipart/form-data; boundary=XyZ", body: Array(body.utf8)) == ["List-Unsubscribe": "One-Click"])
        #expect(FormFields.parse(contentType: "multipart/form-data", body: Array(body.utf8)).isEmpty, "no boundary, no fields")
        #expect(FormFields.urlencoded("a=%41+b&a=second") == ["a": "A b"])
    }

    @Test("pages mask the address and escape what they show")
    func pages() {
        #expect(UnsubscribePage.masked("ada@example.org") == "a•••@example.org")
        #expect(UnsubscribePage.masked("@x") == "•••")
        let page = String(decoding: UnsubscribePage.confirm(email: "ada@example.org", sender: "Eve <e@x.org><script>", everyCampaign: true).body,
                          as: UTF8.self)
        #expect(page.contains("Eve &lt;e@x.org&gt;&lt;script&gt;"))
        #expect(!page.contains("<script>"))
        #expect(UnsubscribePage.unknown().status == 404)
    }

    @Test("a response: status line, Content-Length, Connection: close when not kept alive; HEAD leaves the body out")
    func response() {
        let response = HTTPResponse.text(200, "hi")
        #expect(String(decoding: response.serialized(keepAlive: false), as: UTF8.self)
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
        #expect(String(decoding: response.serialized(keepAlive: true, head: true), as: UTF8.self).hasSuffix("Content-Length: 2\r\n\r\n"))
    }
}
