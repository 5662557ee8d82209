import ArgumentParser
import Foundation
import OutreachCore

/// `outreach verify [SLUG...]`: every proof check over a campaign's whole history.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run every proof check over the whole history of the campaigns (default: all); exit 70 on any violation.",
        discussion: "The same checks as proof.sql, over every run. Exit 0: every count is 0. Exit 70 (EX_SOFTWARE): a check found a violation.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Campaign slugs (default: every campaign).") var slugs: [String] = []
    @OptionGroup var format: FormatOptions

    func run() throws {
        try ExitStatus.guarding {
            let store = try global.openStore()
            let results = try store.verifyProofChecks(slugs: slugs)
            var listing = Listing(columns: ["campaign", "check", "violations", "meaning"])
            for (slug, check, violations) in results {
                listing.append([.string(slug), .string(check.name), .int(Int64(violations)), .string(check.meaning)])
            }
            Console.listing(listing, format.format)
            let failing = results.filter { $0.2 > 0 }
            if !failing.isEmpty {
                throw OutreachError.proofViolation(
                    "\(failing.count) proof check(s) found violations (" + failing.map { "\($0.0): \($0.1.name) \($0.2)" }.joined(separator: ", ")
                        + "); the database records a send it should not have made; investigate before the next live tick.")
            }
        }
    }
}
