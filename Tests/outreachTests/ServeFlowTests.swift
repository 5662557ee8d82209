import Foundation
import Testing

/// `outreach serve` with the rest of the product: the link of a real message clicked in a
/// real browser, and unsubscribes arriving while a live tick runs.
@Suite("serve: end to end")
struct ServeFlowTests {
    /// The unsubscribe URL in the first stored message of the campaign.
    static func linkInFirstMessage(_ cli: CLI, email: String) throws -> String {
        let message = try query(cli.database, """
            SELECT m.message FROM job_messages m JOIN jobs j ON j.id = m.job_id JOIN leads l ON l.id = j.lead_id
            WHERE l.email = '\(email)' LIMIT 1
            """)
        let range = try #require(message.range(of: "https://example.com/u/"), "a link in: \(message)")
        return String(message[range.lowerBound...].prefix { !$0.isWhitespace && $0 != ">" && $0 != "\"" && $0 != "\\" })
    }

    @Test("headless Chromium opens a proof message's link, clicks the button, and the next tick skips the address",
          .enabled(if: ["/usr/bin/chromium", "/usr/bin/chromium-browser"].contains { FileManager.default.isExecutableFile(atPath: $0) },
                   "Chromium is not installed (Debian package chromium)"))
    func browserClick() throws {
        let cli = try CLI()
        try cli.setUpCampaign(leads: leadsCSV(count: 2))
        #expect(try cli.run(["tick", "q4-launch"]).status == 0)
        let link = try Self.linkInFirstMessage(cli, email: "lead1@example.org")
        #expect(!link.contains("lead1"), "the token does not carry the address: \(link)")
        let server = try ServeProcess(cli)
        defer { server.stop() }
        let local = link.replacingOccurrences(of: "https://example.com", with: server.base)
        let screenshot = cli.path("unsubscribe.png")
        let clicked = try runProcess("/usr/bin/env", ["python3", Fixtures.folder.appendingPathComponent("click_unsubscribe.py").path,
                                                      local, screenshot])
        #expect(clicked.status == 0, "\(clicked.stderr)")
        #expect(clicked.stdout.contains("You are unsubscribed"), "\(clicked.stdout)")
        let png = try #require(FileManager.default.contents(atPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
        // Keep a copy to look at (the CLI folder is removed afterwards).
        try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "outreach-unsubscribe-page.png")
        try? FileManager.default.copyItem(atPath: screenshot, toPath: NSTemporaryDirectory() + "outreach-unsubscribe-page.png")
        #expect(try query(cli.database, "SELECT email FROM unsubscribes") == "lead1@example.org")
        // The follow-up is due three days later: only lead2 gets it.
        let fourDaysLater = ISO8601DateFormatter().string(from: Date().addingTimeInterval(4 * 86_400))
        let followUp = try cli.run(["tick", "q4-launch", "--now", fourDaysLater])
        #expect(followUp.status == 0, "\(followUp.stderr)")
        #expect(try query(cli.database, """
            SELECT group_concat(l.email) FROM jobs j JOIN leads l ON l.id = j.lead_id WHERE j.step_index = 1
            """) == "lead2@example.org")
    }

    @Test("unsubscribes POSTed while a live tick runs are honoured by its next dispatch: none of those leads is sent")
    func unsubscribeDuringTick() throws {
        let cli = try CLI()
        let sendmail = try cli.fakeSendmail()
        try cli.setUpCampaign(yaml: campaignYAML(transport: sendmail.transport), leads: leadsCSV(count: 10))
        #expect(try cli.run(["campaign", "approve", "q4-launch", "--by", "Grace"]).status == 0)
        let server = try ServeProcess(cli)
        defer { server.stop() }
        // The first message is held in the sendmail stand-in while leads 4 to 10 (later in the
        // tick's order) unsubscribe through serve; then it is let go and the tick goes on.
        let hold = sendmail.folder + "/hold-1"
        _ = FileManager.default.createFile(atPath: hold, contents: nil)
        let tick = try cli.start(["tick", "q4-launch", "--mode", "live"])
        _ = try waitFor(seconds: 30) { FileManager.default.fileExists(atPath: sendmail.folder + "/started-1") ? true : nil }
        for index in 4...10 {
            let token = try ServeCLITests.token(cli, "lead\(index)@example.org")
            let answer = try curl("\(server.base)/u/\(token)", ["-d", "List-Unsubscribe=One-Click"], in: cli.directory)
            #expect(answer.status == 200)
        }
        try FileManager.default.removeItem(atPath: hold)
        let result = tick.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let sent = try FileManager.default.contentsOfDirectory(atPath: sendmail.folder).filter { $0.hasSuffix(".eml") }
            .map { try String(contentsOfFile: sendmail.folder + "/" + $0, encoding: .utf8) }
        let recipients = sent.compactMap { message in
            message.components(separatedBy: "\r\n").first { $0.hasPrefix("To:") }
        }
        for index in 4...10 {
            #expect(!recipients.contains { $0.contains("lead\(index)@") }, "lead\(index) was sent after unsubscribing: \(recipients)")
        }
        #expect(recipients.count == 3, "leads 1 to 3 were sent: \(recipients)")
        #expect(try query(cli.database, "SELECT count(*) FROM unsubscribes") == "7")
        #expect(try cli.run(["verify"]).status == 0)
    }
}
