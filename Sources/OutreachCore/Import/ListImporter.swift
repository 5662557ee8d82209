import Foundation

/// Bulk imports of the compliance lists: `unsubscribe import` and `suppress import`.
///
/// Same rule as leads: one transaction, all-or-nothing unless a rejects file is given.
/// Re-importing an entry that already exists changes nothing.
public struct ListImporter {
    /// What an import did.
    public struct Report: Sendable, Equatable {
        public var rows = 0
        public var added = 0
        public var unchanged = 0
        public var rejected = 0
    }

    let store: Store
    let clock: any WallClock

    public init(store: Store, clock: any WallClock) {
        self.store = store
        self.clock = clock
    }

    /// `unsubscribe import FILE.csv`: columns `email` (required), `campaign` (a slug; empty
    /// means every campaign), `source`.
    public func importUnsubscribes(path: String, rejectsPath: String? = nil) throws -> Report {
        try run(path: path, rejectsPath: rejectsPath, required: ["email"], allowed: ["email", "campaign", "source"]) { db, values, now in
            let email = EmailAddress.normalize(values["email"] ?? "")
            if let problem = EmailAddress.problem(email) { return .failure(RowProblem(message: problem)) }
            var campaignID: Int64?
            if let slug = values["campaign"] {
                guard let campaign = try CampaignQueries.find(db, slug: slug) else {
                    return .failure(RowProblem(message: "there is no campaign '\(EmailAddress.printable(slug))'"))
                }
                campaignID = campaign.id
            }
            return .success(try ListQueries.addUnsubscribe(db, email: email, campaignID: campaignID, source: values["source"], now: now))
        }
    }

    /// `suppress import FILE.csv`: columns `email` or `domain` (one per row), `reason`, `until`.
    public func importSuppressions(path: String, rejectsPath: String? = nil) throws -> Report {
        try run(path: path, rejectsPath: rejectsPath, required: [], allowed: ["email", "domain", "reason", "until"]) { db, values, now in
            let kind: Suppression.Kind
            let value: String
            switch (values["email"], values["domain"]) {
            case (let email?, nil):
                kind = .email
                value = EmailAddress.normalize(email)
                if let problem = EmailAddress.problem(value) { return .failure(RowProblem(message: problem)) }
            case (nil, let domain?):
                kind = .domain
                value = EmailAddress.normalize(domain)
                if let problem = EmailAddress.domainProblem(value) { return .failure(RowProblem(message: problem)) }
            default:
                return .failure(RowProblem(message: "give exactly one of email or domain"))
            }
            var until: Date?
            if let text = values["until"] {
                guard let date = Timestamp.parse(text) else {
                    return .failure(RowProblem(message: "until '\(EmailAddress.printable(text))' is not a date like 2026-12-31"))
                }
                until = date
            }
            let change = try ListQueries.addSuppression(db, kind: kind, value: value, reason: values["reason"], until: until, now: now)
            return .success(change != .unchanged)
        }
    }

    /// The shared loop: parse and apply each row (`apply` returns whether it added something).
    private func run(path: String, rejectsPath: String?, required: [String], allowed: [String],
                     apply: @escaping (any SQLConnection, [String: String], Date) throws -> Result<Bool, RowProblem>) throws -> Report {
        let file = (path as NSString).lastPathComponent
        var csv = try KeyedCSV(path: path, file: file, required: required, allowed: allowed)
        let problems = try ImportProblems(file: file, rejectsPath: rejectsPath)
        try problems.begin(columns: csv.header)
        var report = Report()
        try problems.transaction(store, what: "row") { db in
            let now = clock.now()
            while let (line, values, fields) = try csv.next() {
                report.rows += 1
                let outcome = try values.flatMap { try apply(db, $0, now) } as Result<Bool, RowProblem>
                switch outcome {
                case .success(true): report.added += 1
                case .success(false): report.unchanged += 1
                case .failure(let problem):
                    report.rejected += 1
                    try problems.add(line: line, problem.message, fields: fields)
                }
            }
        }
        return report
    }
}

extension Result where Failure == RowProblem {
    /// `flatMap` with a throwing transform (errors other than row problems propagate).
    func flatMap<New>(_ transform: (Success) throws -> Result<New, RowProblem>) throws -> Result<New, RowProblem> {
        switch self {
        case .success(let value): try transform(value)
        case .failure(let problem): .failure(problem)
        }
    }
}
