import Foundation

/// The pages of `GET /u/{token}` (SPEC §10): readable without JavaScript, not indexed,
/// not cached, and revealing nothing for an unknown token.
enum UnsubscribePage {
    /// The headers every page carries.
    static let headers: [(String, String)] = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("X-Robots-Tag", "noindex, nofollow"),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    ]

    /// The question: a button that POSTs the one-click form to this same URL.
    static func confirm(email: String, sender: String, everyCampaign: Bool) -> HTTPResponse {
        let scope = everyCampaign ? "any email from this sender" : "the emails of this campaign"
        return page(status: 200, title: "Unsubscribe", body: """
            <h1>Unsubscribe?</h1>
            <p>Stop \(scope) to <strong>\(escape(masked(email)))</strong>?</p>
            <p class="from">Sender: \(escape(sender))</p>
            <form method="post">
            <input type="hidden" name="List-Unsubscribe" value="One-Click">
            <input type="hidden" name="page" value="1">
            <button type="submit" id="unsubscribe">Unsubscribe</button>
            </form>
            <p class="small">Nothing changes until you press the button.</p>
            """)
    }

    /// After the button: the unsubscribe is recorded.
    static func done(email: String) -> HTTPResponse {
        page(status: 200, title: "Unsubscribed", body: """
            <h1 id="done">You are unsubscribed</h1>
            <p><strong>\(escape(masked(email)))</strong> will not receive these emails again.</p>
            """)
    }

    /// Any token that is not valid: the same page whatever the reason.
    static func unknown() -> HTTPResponse {
        page(status: 404, title: "Link not valid", body: """
            <h1>This unsubscribe link is not valid</h1>
            <p>It may be incomplete: copy the whole link from the email, or reply to the email and ask to be removed.</p>
            """)
    }

    /// `ada@example.org` → `a•••@example.org`: enough to recognise, not enough to harvest.
    static func masked(_ email: String) -> String {
        guard let at = email.lastIndex(of: "@"), at != email.startIndex else { return "•••" }
        return String(email[email.startIndex]) + "•••" + String(email[at...])
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static func page(status: Int, title: String, body: String) -> HTTPResponse {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex, nofollow">
            <title>\(title)</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
            button{font-size:1.1rem;padding:.6rem 1.4rem;border:0;border-radius:.3rem;background:#b3261e;color:#fff;cursor:pointer}
            .small,.from{color:#666;font-size:.9rem}</style>
            </head><body>
            \(body)
            </body></html>

            """
        return HTTPResponse(status: status, headers: headers, body: Array(html.utf8))
    }
}
