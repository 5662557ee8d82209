import Foundation
import Testing
@testable import OutreachMail

/// Finds the sample corpus: `OUTREACH_MAIL_CORPUS`, else the copy beside this file (`Corpus/`),
/// else the first ancestor of this file that contains `shared/corpus/mail`.
enum CorpusLocator {
    static let url: URL? = {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["OUTREACH_MAIL_CORPUS"], !path.isEmpty {
            let url = URL(fileURLWithPath: path)
            return fileManager.fileExists(atPath: url.appendingPathComponent("expected.json").path) ? url : nil
        }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let beside = directory.appendingPathComponent("Corpus")
        if fileManager.fileExists(atPath: beside.appendingPathComponent("expected.json").path) { return beside }
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("shared/corpus/mail")
            if fileManager.fileExists(atPath: candidate.appendingPathComponent("expected.json").path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()
}

private struct Expected: Decodable {
    struct Recipient: Decodable {
        var status: String
        var reply_code: String
        var reason: String
        var hard: Bool
        var feedback_type: String?
    }
    struct Sample: Decodable {
        var kind: String
        var recipients: [Recipient]
    }
    var samples: [String: Sample]
}

@Suite struct CorpusTests {
    @Test(.enabled(if: CorpusLocator.url != nil, "sample corpus shared/corpus/mail not found (set OUTREACH_MAIL_CORPUS)"))
    func corpusAccuracy() throws {
        let root = try #require(CorpusLocator.url)
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: root.appendingPathComponent("expected.json")))
        let verbose = ProcessInfo.processInfo.environment["OUTREACH_MAIL_VERBOSE"] != nil
        var kindRight = 0
        var bounceRecipients = 0
        var hardAgree = 0
        var wrongHard: [String] = []
        var missedHard = 0
        var nonBounceAsBounce: [String] = []
        var wrongKinds: [String] = []
        for (path, sample) in expected.samples.sorted(by: { $0.key < $1.key }) {
            let data = try Data(contentsOf: root.appendingPathComponent(path))
            let result = MailClassifier.classify(data)
            let expectedKind: MailKind = switch sample.kind {
            case "not_a_bounce": .message
            case "auto_reply": .autoReply
            default: MailKind(rawValue: sample.kind) ?? .message
            }
            if result.kind == expectedKind {
                kindRight += 1
            } else {
                wrongKinds.append("\(path): expected \(expectedKind.rawValue), got \(result.kind.rawValue) [\(result.evidence)]")
            }
            if expectedKind != .bounce, result.kind == .bounce { nonBounceAsBounce.append(path) }
            guard expectedKind == .bounce, result.kind == .bounce else { continue }
            let anyExpectedHard = sample.recipients.contains(where: \.hard)
            for index in 0..<max(sample.recipients.count, result.recipients.count) {
                let ours = index < result.recipients.count ? result.recipients[index].hard : false
                let theirs = index < sample.recipients.count ? sample.recipients[index].hard : anyExpectedHard
                if index < sample.recipients.count {
                    bounceRecipients += 1
                    if ours == theirs { hardAgree += 1 }
                }
                if ours && !theirs { wrongHard.append(path) }
                if !ours && theirs && index < sample.recipients.count {
                    missedHard += 1
                }
                if verbose, ours != theirs {
                    let recipient = index < result.recipients.count ? result.recipients[index] : FailedRecipient(address: "-")
                    let exp = index < sample.recipients.count ? sample.recipients[index] : nil
                    print("HARD MISMATCH \(path) #\(index): ours=\(ours) expected=\(theirs) (\(exp?.reason ?? "?") \(exp?.status ?? "")) got status=\(recipient.status) code=\(recipient.replyCode) addr=\(recipient.address) why=\(recipient.severityReason) diag=\(recipient.diagnostic.prefix(300))")
                }
            }
        }
        let total = expected.samples.count
        let kindAccuracy = Double(kindRight) / Double(max(total, 1)) * 100
        let agreement = Double(hardAgree) / Double(max(bounceRecipients, 1)) * 100
        print(String(format: "corpus: %d samples, kind accuracy %.2f%% (%d wrong), hard/soft agreement %.2f%% on %d bounce recipients, wrong-hard %d, said soft but expected hard %d",
                     total, kindAccuracy, total - kindRight, agreement, bounceRecipients, wrongHard.count, missedHard))
        for line in wrongKinds { print("  wrong kind: \(line)") }
        for path in Set(wrongHard).sorted() { print("  WRONG HARD: \(path)") }
        #expect(kindAccuracy >= 97)
        #expect(nonBounceAsBounce.isEmpty, "non-bounces classified as bounce: \(nonBounceAsBounce)")
        #expect(wrongHard.isEmpty, "hard bounce where a soft one was expected: \(Set(wrongHard).sorted())")
    }
}
