import Foundation
import Testing

/// `events import-mail` end to end (SPEC §11): a real Dovecot on 127.0.0.1 receives the answers
/// over IMAP, `mbsync` pulls them into a Maildir, outreach imports it, and the next tick obeys.
@Suite("Hearing back from the mailbox", .serialized)
struct MailCLITests {
    static let tools = ["/usr/sbin/dovecot", "/usr/bin/mbsync", "/usr/bin/doveadm", "/usr/bin/python3"]
    static let haveTools = tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    /// Dovecot with its whole configuration in the test's folder, as the `dovecot` user's mail.
    final class Dovecot {
        let folder: String
        let port: Int
        let config: String

        init(folder: String) throws {
            self.folder = folder
            config = folder + "/dovecot.conf"
            for name in ["run", "state", "home"] {
                try FileManager.default.createDirectory(atPath: folder + "/" + name, withIntermediateDirectories: true)
            }
            _ = try runProcess("/bin/chown", ["dovecot:dovecot", folder + "/home"])
            try "ada:{PLAIN}secret::::::\n".write(toFile: folder + "/passwd", atomically: true, encoding: .utf8)
            var started: Int?
            for _ in 0..<5 {
                let candidate = Int.random(in: 20_000...60_000)
                try Self.configuration(folder: folder, port: candidate).write(toFile: config, atomically: true, encoding: .utf8)
                // dovecot forks its master into the background and writes its pid; nothing waits
                // on the launcher (Foundation's waitUntilExit does not return for it here).
                let launcher = Process()
                launcher.executableURL = URL(fileURLWithPath: "/usr/sbin/dovecot")
                launcher.arguments = ["-c", config]
                launcher.standardOutput = FileHandle.nullDevice
                launcher.standardError = FileHandle.nullDevice
                try launcher.run()
                if (try? waitFor(seconds: 10, { LocalServer.canConnect(port: candidate) ? true : nil })) != nil {
                    started = candidate
                    break
                }
                Self.stop(folder: folder)
            }
            port = try #require(started, "dovecot started on 127.0.0.1")
        }

        /// Stops the master (the pid dovecot wrote in its base_dir).
        func stop() {
            Self.stop(folder: folder)
        }

        static func stop(folder: String) {
            guard let text = try? String(contentsOfFile: folder + "/run/master.pid", encoding: .utf8),
                  let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 else { return }
            // SIGKILL: a child of the test runner may inherit a mask that blocks SIGTERM. The
            // master's helpers exit on their own when it is gone.
            kill(pid, SIGKILL)
        }

        static func configuration(folder: String, port: Int) -> String {
            """
            base_dir = \(folder)/run
            state_dir = \(folder)/state
            log_path = \(folder)/dovecot.log
            protocols = imap
            listen = 127.0.0.1
            ssl = no
            first_valid_uid = 1
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(folder)/passwd
            }
            userdb {
              driver = static
              args = uid=dovecot gid=dovecot home=\(folder)/home/%u
            }
            mail_location = maildir:~/Maildir
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = \(port)
              }
              inet_listener imaps {
                port = 0
              }
            }

            """
        }

        /// APPENDs raw messages to the INBOX over IMAP (Python's imaplib, a real client).
        func append(_ messages: [String]) throws {
            let files = try messages.enumerated().map { index, text -> String in
                let path = folder + "/append-\(index).eml"
                try text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
                    .write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
            let script = """
                import imaplib, sys
                m = imaplib.IMAP4('127.0.0.1', \(port)); m.login('ada', 'secret')
                for path in sys.argv[1:]:
                    typ, _ = m.append('INBOX', None, None, open(path, 'rb').read())
                    assert typ == 'OK', typ
                m.logout()
                """
            let result = try runProcess("/usr/bin/python3", ["-c", script] + files)
            let log = (try? String(contentsOfFile: folder + "/dovecot.log", encoding: .utf8)) ?? ""
            #expect(result.status == 0, "IMAP APPEND: \(result.stderr)\ndovecot.log: \(log.suffix(1500))")
        }
    }

    @Test("a reply, a DSN, an out-of-office and an ARF report go through Dovecot and mbsync; the next tick obeys each",
          .enabled(if: haveTools, "dovecot-imapd, isync or python3 is not installed (make test-deps installs them)"))
    func dovecotToTick() throws {
        let cli = try CLI()
        let sendmail = try cli.fakeSendmail()
        let sent = sendmail.folder
        try cli.setUpCampaign(yaml: campaignYAML(transport: sendmail.transport), leads: leadsCSV(count: 5))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        let first = try cli.run(["tick", "q4-launch", "--mode", "live", "--now", "2026-11-23T09:00:00Z"])
        #expect(first.status == 0, "\(first.stderr)")
        // The Message-ID outreach gave each lead's intro, read back from what sendmail received.
        var messageIDs: [String: String] = [:]
        for index in 1...5 {
            let text = try String(contentsOfFile: sent + "/\(index).eml", encoding: .utf8).replacingOccurrences(of: "\r\n", with: "\n")
            let to = try #require(text.split(separator: "\n").first { $0.hasPrefix("To:") }).lowercased()
            let id = try #require(text.split(separator: "\n").first { $0.hasPrefix("Message-ID:") })
                .dropFirst("Message-ID:".count).trimmingCharacters(in: .whitespacesAndNewlines)
            let lead = try #require((1...5).first { to.contains("lead\($0)@") })
            messageIDs["lead\(lead)"] = id
        }
        #expect(messageIDs.count == 5)

        let server = try Dovecot(folder: cli.path("dovecot"))
        defer { server.stop() }
        try server.append([
            """
            From: Lead One <lead1@example.org>
            To: ada@example.com
            Subject: Re: Hello Lead1
            Date: Mon, 23 Nov 2026 11:00:00 +0000
            Message-ID: <reply-1@example.org>
            In-Reply-To: \(messageIDs["lead1"]!)
            References: \(messageIDs["lead1"]!)

            Thanks, not interested right now.
            """,
            """
            From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
            To: ada@example.com
            Subject: Undelivered Mail Returned to Sender
            Date: Mon, 23 Nov 2026 09:01:00 +0000
            Message-ID: <dsn-2@mx.example.org>
            Auto-Submitted: auto-replied
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="B"

            --B
            Content-Type: text/plain

            I'm sorry to have to inform you that your message could not be delivered.
            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example.org

            Final-Recipient: rfc822; lead2@example.org
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 <lead2@example.org>: Recipient address rejected: User unknown

            --B
            Content-Type: text/rfc822-headers

            From: Ada Lovelace <ada@example.com>
            To: lead2@example.org
            Subject: Hello Lead2
            Message-ID: \(messageIDs["lead2"]!)

            --B--
            """,
            """
            From: lead3@example.org
            To: ada@example.com
            Subject: Out of Office: Hello Lead3
            Date: Tue, 24 Nov 2026 09:00:00 +0000
            Message-ID: <ooo-3@example.org>
            Auto-Submitted: auto-replied
            In-Reply-To: \(messageIDs["lead3"]!)

            I am out of the office until December 1st.
            """,
            """
            From: feedback@isp.example
            To: abuse@example.com
            Subject: Abuse report
            Date: Mon, 23 Nov 2026 12:00:00 +0000
            Message-ID: <arf-4@isp.example>
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=feedback-report; boundary="F"

            --F
            Content-Type: text/plain

            This is an email abuse report.
            --F
            Content-Type: message/feedback-report

            Feedback-Type: abuse
            User-Agent: ISP-FBL/1.0
            Version: 1
            Original-Rcpt-To: lead4@example.org

            --F
            Content-Type: text/rfc822-headers

            From: Ada Lovelace <ada@example.com>
            To: lead4@example.org
            Message-ID: \(messageIDs["lead4"]!)

            --F--
            """,
        ])

        let maildir = cli.path("mail")
        try FileManager.default.createDirectory(atPath: maildir, withIntermediateDirectories: true)
        try """
            IMAPAccount test
            Host 127.0.0.1
            Port \(server.port)
            User ada
            Pass secret
            SSLType None
            AuthMechs LOGIN

            IMAPStore remote
            Account test

            MaildirStore local
            Path \(maildir)/
            Inbox \(maildir)/INBOX

            Channel inbox
            Far :remote:
            Near :local:
            Patterns INBOX
            Create Near
            SyncState *

            """.write(toFile: cli.path("mbsyncrc"), atomically: true, encoding: .utf8)
        let sync = try runProcess("/usr/bin/mbsync", ["-c", cli.path("mbsyncrc"), "-a"])
        #expect(sync.status == 0, "mbsync: \(sync.stderr)")

        let imported = try cli.run(["events", "import-mail", maildir + "/INBOX", "--format", "json", "--now", "2026-11-24T10:00:00Z"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(imported.stdout.utf8)) as? [[String: Any]], "\(imported.stdout)")
        var kinds: [String: String] = [:]
        for row in rows {
            if let email = row["email"] as? String, kinds[email] == nil { kinds[email] = row["kind"] as? String ?? "" }
        }
        #expect(kinds["lead1@example.org"] == "reply")
        #expect(kinds["lead2@example.org"] == "bounce")
        #expect(kinds["lead3@example.org"] == "auto_reply")
        #expect(kinds["lead4@example.org"] == "complaint")
        #expect(rows.contains { $0["job_id"] is Int && $0["campaign"] as? String == "q4-launch" }, "matched to the job by Message-ID")

        let database = cli.database
        let snapshot = try queryScript(database, "SELECT id, type, email FROM events ORDER BY id;")
        let again = try cli.run(["events", "import-mail", maildir + "/INBOX", "--now", "2026-11-24T10:05:00Z"])
        #expect(again.status == 0)
        #expect(try queryScript(database, "SELECT id, type, email FROM events ORDER BY id;") == snapshot, "re-importing changes nothing")

        // 3.5 days after the intro the follow-up is due for everyone who did not answer.
        let next = try cli.run(["tick", "q4-launch", "--mode", "live", "--now", "2026-11-26T21:00:00Z"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(try query(database, "SELECT status FROM leads WHERE email = 'lead1@example.org'") == "replied")
        #expect(try query(database, "SELECT status FROM leads WHERE email = 'lead2@example.org'") == "bounced")
        #expect(try query(database, "SELECT count(*) FROM suppressions WHERE value = 'lead2@example.org' AND removed_at IS NULL") == "1")
        #expect(try query(database, "SELECT count(*) FROM unsubscribes WHERE email = 'lead4@example.org'") == "1")
        let followUps = try query(database, """
            SELECT group_concat(l.email) FROM jobs j JOIN leads l ON l.id = j.lead_id WHERE j.step_id = 'followup1'
            """)
        #expect(followUps == "lead5@example.org", "only the lead that did not answer gets the follow-up; lead3 waits for its auto-reply hold")
        let held = try query(database, "SELECT next_action_at FROM leads WHERE email = 'lead3@example.org'")
        #expect(held >= "2026-11-27T09:00:00Z", "held until at least the auto-reply plus three days: \(held)")
    }

    @Test("bad input: malformed, truncated, binary, forged and unknown messages change nothing they do not prove")
    func hostileMail() throws {
        let cli = try CLI()
        try cli.setUpCampaign()
        let folder = cli.path("junk")
        try FileManager.default.createDirectory(atPath: folder + "/new", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/cur", withIntermediateDirectories: true)
        let messages: [String: Data] = [
            "truncated": Data("From: x@y\r\nContent-Type: multipart/mixed; boundary=\"Q\"\r\n\r\n--Q\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64".utf8),
            "binary": Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 7) }),
            "forged-dsn": Data("""
                From: MAILER-DAEMON@evil.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r
                Content-Type: multipart/report; report-type=delivery-status; boundary="Z"\r\n\r\n--Z\r
                Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; evil.example\r\n\r
                Final-Recipient: rfc822; nobody-we-know@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--Z--\r\n
                """.utf8),
            "fake-reply": Data("From: stranger@example.net\r\nSubject: Re: hi\r\nIn-Reply-To: <outreach.0000000000000000.1.1.intro.0@example.com>\r\nMessage-ID: <s@example.net>\r\n\r\nhello\r\n".utf8),
            "empty": Data(),
        ]
        for (name, bytes) in messages { try bytes.write(to: URL(fileURLWithPath: folder + "/new/" + name)) }
        let large = "From: x@example.net\r\nContent-Type: multipart/mixed; boundary=\"L\"\r\n\r\n--L\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + String(repeating: String(repeating: "QUJD", count: 19) + "\r\n", count: 140_000) + "--L--\r\n"
        try large.write(toFile: folder + "/cur/large:2,S", atomically: true, encoding: .utf8)

        let database = cli.database
        let before = try snapshot(database)
        let result = try cli.run(["events", "import-mail", folder])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count >= messages.count + 1, "one line per message: \(result.stdout)")
        #expect(!result.stderr.contains("Fatal"), "no crash")
        let after = try snapshot(database)
        #expect(!after.contains("nobody-we-know@example.net"), "a forged DSN for an address no lead has changes nothing")
        #expect(after == before, "none of these messages proves anything about a lead: the database is unchanged")
        let missing = try cli.run(["events", "import-mail", cli.path("nowhere")])
        #expect(missing.status == 66)
    }
}
