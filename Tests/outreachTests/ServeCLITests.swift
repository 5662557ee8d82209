import Foundation
import OutreachCore
import Testing

/// `outreach serve` (SPEC §10) through real clients: curl's RFC 8058 matrix, hostile
/// traffic, the configuration file, health and metrics.
@Suite("serve: one-click unsubscribe")
struct ServeCLITests {
    /// The campaign's secret in `CLI` and the token a message for `email` carries.
    static func token(_ cli: CLI, _ email: String, secret: String = "cli-test-secret") throws -> String {
        let id = try #require(Int64(try query(cli.database, "SELECT id FROM leads WHERE email = '\(email)'")))
        return UnsubscribeToken.Signer(secret: secret).token(leadID: id)
    }

    static func unsubscribes(_ cli: CLI) throws -> String {
        try query(cli.database, "SELECT email || '|' || coalesce(CAST(campaign_id AS TEXT), 'all') FROM unsubscribes ORDER BY email")
    }

    @Test("RFC 8058 one-click: GET changes nothing, POST (urlencoded or multipart) records once and answers 200 with an empty body")
    func oneClick() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 4))
        let server = try ServeProcess(cli)
        defer { server.stop() }
        let token = try Self.token(cli, "lead1@example.org")
        let before = try snapshot(cli.database)

        let page = try curl("\(server.base)/u/\(token)", in: cli.directory)
        #expect(page.status == 200)
        #expect(page.headers["x-robots-tag"]?.contains("noindex") == true)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.body.contains("<form method=\"post\">") && page.body.contains("name=\"List-Unsubscribe\" value=\"One-Click\""))
        #expect(page.body.contains("l•••@example.org"), "the address is masked on the page")
        #expect(!page.body.contains("lead1@example.org"))
        #expect(try curl("\(server.base)/u/\(token)", ["-I"], in: cli.directory).status == 200)
        #expect(try snapshot(cli.database) == before, "GET and HEAD change nothing")

        let post = try curl("\(server.base)/u/\(token)", ["-d", "List-Unsubscribe=One-Click"], in: cli.directory)
        #expect(post.status == 200)
        #expect(post.body.isEmpty)
        #expect(post.headers["location"] == nil)
        #expect(try Self.unsubscribes(cli) == "lead1@example.org|all")
        for _ in 0..<3 {
            let again = try curl("\(server.base)/u/\(token)", ["-d", "List-Unsubscribe=One-Click"], in: cli.directory)
            #expect(again.status == 200 && again.body.isEmpty)
        }
        #expect(try Self.unsubscribes(cli) == "lead1@example.org|all", "repeating the POST changes nothing")

        let multipart = try curl("\(server.base)/u/\(try Self.token(cli, "lead2@example.org"))", ["-F", "List-Unsubscribe=One-Click"],
                                 in: cli.directory)
        #expect(multipart.status == 200 && multipart.body.isEmpty)
        #expect(try Self.unsubscribes(cli) == "lead1@example.org|all\nlead2@example.org|all")

        // The next tick contacts neither.
        let tick = try cli.run(["tick", "q4-launch"])
        #expect(tick.status == 0, "\(tick.stderr)")
        #expect(try query(cli.database, """
            SELECT group_concat(l.email) FROM jobs j JOIN leads l ON l.id = j.lead_id
            """) == "lead3@example.org,lead4@example.org")
        #expect(!server.log.contains("lead1@example.org"), "addresses are logged hashed: \(server.log)")
        #expect(server.log.contains("email_sha256="))
    }

    @Test("tampered, truncated, swapped, foreign-key and rotated tokens; the legacy token of old messages still works")
    func tokens() throws {
        let cli = try CLI()
        let yaml = campaignYAML().replacingOccurrences(of: "secret_env: OUTREACH_UNSUB_SECRET }",
                                                       with: "secret_env: OUTREACH_UNSUB_SECRET, previous_secret_env: OLD_SECRET }")
        try cli.setUpCampaign(yaml: yaml, leads: leadsCSV(count: 3))
        let server = try ServeProcess(cli, environment: ["OLD_SECRET": "the-old-one"])
        defer { server.stop() }
        let database = cli.database
        let good = try Self.token(cli, "lead1@example.org")
        let other = try Self.token(cli, "lead2@example.org")
        let parts = good.split(separator: ".").map(String.init)
        var flipped = Array(parts[2])
        flipped[5] = flipped[5] == "A" ? "B" : "A"
        let swappedID = other.split(separator: ".")[1]
        let invalid = [
            "\(parts[0]).\(parts[1]).\(String(flipped))",         // tampered signature
            String(good.dropLast(4)),                            // truncated
            "2.\(swappedID).\(parts[2])",                        // another lead's id with this signature
            try Self.token(cli, "lead1@example.org", secret: "not-our-secret"),
            "2.999999.\(parts[2])",                              // no such lead
            UnsubscribeToken.Signer(secret: "nope").legacyToken(campaignSlug: "q4-launch", email: "lead3@example.org"),
            "garbage", String(repeating: "A", count: 5000),
        ]
        let before = try snapshot(database)
        for token in invalid {
            for method in [[], ["-d", "List-Unsubscribe=One-Click"]] {
                let answer = try curl("\(server.base)/u/\(token)", method, in: cli.directory)
                #expect(answer.status == 404, "\(token.prefix(40)) \(method): \(answer.status)")
                #expect(answer.body.contains("not valid"))
            }
        }
        #expect(try snapshot(database) == before, "refused tokens change nothing")

        // During a rotation, a token signed with the previous secret is accepted; so is a version 1 token.
        let rotated = try Self.token(cli, "lead2@example.org", secret: "the-old-one")
        #expect(try curl("\(server.base)/u/\(rotated)", ["-d", "List-Unsubscribe=One-Click"], in: cli.directory).status == 200)
        let legacy = UnsubscribeToken.Signer(secret: "cli-test-secret").legacyToken(campaignSlug: "q4-launch", email: "lead3@example.org")
        #expect(try curl("\(server.base)/u/\(legacy)", ["-d", "List-Unsubscribe=One-Click"], in: cli.directory).status == 200)
        #expect(try Self.unsubscribes(cli) == "lead2@example.org|all\nlead3@example.org|all")
    }

    @Test("scope: campaign unsubscribes from that campaign only")
    func campaignScope() throws {
        let cli = try CLI()
        let yaml = campaignYAML().replacingOccurrences(of: "secret_env: OUTREACH_UNSUB_SECRET }",
                                                       with: "secret_env: OUTREACH_UNSUB_SECRET, scope: campaign }")
        try cli.setUpCampaign(yaml: yaml, leads: leadsCSV(count: 1))
        let server = try ServeProcess(cli)
        defer { server.stop() }
        let page = try curl("\(server.base)/u/\(try Self.token(cli, "lead1@example.org"))", in: cli.directory)
        #expect(page.body.contains("the emails of this campaign"))
        #expect(try curl("\(server.base)/u/\(try Self.token(cli, "lead1@example.org"))", ["-d", "List-Unsubscribe=One-Click"],
                         in: cli.directory).status == 200)
        let campaignID = try query(cli.database, "SELECT id FROM campaigns WHERE slug = 'q4-launch'")
        #expect(try Self.unsubscribes(cli) == "lead1@example.org|\(campaignID)")
    }

    @Test("hostile traffic: a 1 MiB body is refused with 413, a client sending a byte a second gets 408, other methods 405")
    func hostile() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 1))
        let server = try ServeProcess(cli)
        defer { server.stop() }
        let token = try Self.token(cli, "lead1@example.org")
        let before = try snapshot(cli.database)
        let big = try cli.write("big.txt", "List-Unsubscribe=One-Click&x=" + String(repeating: "a", count: 1 << 20))
        let refused = try curl("\(server.base)/u/\(token)", ["--data-binary", "@\(big)"], in: cli.directory)
        #expect(refused.status == 413)
        #expect(try snapshot(cli.database) == before)
        #expect(try curl("\(server.base)/u/\(token)", ["-X", "DELETE"], in: cli.directory).status == 405)
        #expect(try curl("\(server.base)/nothing-here", in: cli.directory).status == 404)

        // One byte a second: answered 408 after the 10 s request deadline, not held forever.
        let slow = try python("""
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.settimeout(30)
            start = time.time()
            request = b"POST /u/x HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 26\\r\\n\\r\\nList-Unsubscribe=One-Click"
            answer = b""
            for byte in request:
                try:
                    s.send(bytes([byte]))
                except OSError:
                    break
                time.sleep(1)
                s.setblocking(False)
                try:
                    answer += s.recv(4096)
                except BlockingIOError:
                    pass
                s.setblocking(True)
                if answer:
                    break
            s.settimeout(5)
            try:
                answer += s.recv(4096)
            except OSError:
                pass
            print(answer.split(b"\\r\\n")[0].decode(), round(time.time() - start))
            """, [String(server.port)])
        let words = slow.split(separator: " ")
        #expect(slow.hasPrefix("HTTP/1.1 408"), "\(slow)")
        #expect((Int(words.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99) <= 20, "\(slow)")
        // The server still answers everyone else.
        #expect(try curl("\(server.base)/healthz", in: cli.directory).status == 200)
    }

    @Test("healthz answers JSON; /metrics passes promtool check metrics",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool is not installed (Debian package prometheus)"))
    func healthAndMetrics() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 1))
        let server = try ServeProcess(cli)
        defer { server.stop() }
        let health = try curl("\(server.base)/healthz", in: cli.directory)
        #expect(health.status == 200 && health.body.contains("\"status\":\"ok\""))
        #expect(health.headers["content-type"] == "application/json")
        _ = try curl("\(server.base)/u/\(try Self.token(cli, "lead1@example.org"))", ["-d", "List-Unsubscribe=One-Click"], in: cli.directory)
        let metrics = try curl("\(server.base)/metrics", in: cli.directory)
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("outreach_serve_unsubscribes_total{result=\"recorded\"} 1"))
        #expect(metrics.body.contains("outreach_campaign_approved{campaign=\"q4-launch\"}"))
        let checked = try runProcess("/usr/bin/promtool", ["check", "metrics"], input: metrics.body)
        #expect(checked.status == 0, "promtool: \(checked.stdout)\(checked.stderr)")
        #expect((checked.stdout + checked.stderr).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(checked.stdout)\(checked.stderr)")
    }

    @Test("serve --config: an unknown key is refused with file, line and key (exit 78); a missing secret names its variable")
    func configuration() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 1))
        let bad = try cli.write("serve.yaml", """
            listen: 127.0.0.1:0
            hooks:
              ses: { topic_arns: ["arn:aws:sns:eu-west-1:123456789012:outreach"], certificat_dir: /tmp }
            """)
        let refused = try cli.run(["serve", "--config", bad])
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("serve.yaml:3: hooks.ses.certificat_dir: unknown key"), "\(refused.stderr)")
        let missing = try cli.write("serve2.yaml", "hooks:\n  mailgun: { signing_key_env: MAILGUN_SIGNING_KEY }\n")
        let unset = try cli.run(["serve", "--config", missing, "--listen", "127.0.0.1:0"])
        #expect(unset.status == 78)
        #expect(unset.stderr.contains("MAILGUN_SIGNING_KEY is not set"), "\(unset.stderr)")
        let noDatabase = try CLI()
        #expect(try noDatabase.run(["serve"]).status == 78)
    }
}
