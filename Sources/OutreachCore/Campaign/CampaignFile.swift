import Foundation

/// Reads a campaign file (YAML, SPEC §5) into a validated `Campaign`.
///
/// Every problem is reported as one sentence with the file, the line and the dotted key
/// (`q4.yaml:14: limits.per_tick: …`), and is a configuration error (exit 78). Unknown keys
/// are refused: a typo like `daily_qouta` must not silently fall back to a default.
public enum CampaignFile {
    /// Defaults from the original design, used when a key is absent.
    public enum Defaults {
        public static let perTick = 25
        public static let dailyQuota = 200
        public static let cooldownSeconds = 24 * 3600
        public static let days: [Campaign.Weekday] = [.mon, .tue, .wed, .thu, .fri]
        public static let startMinute = 9 * 60
        public static let endMinute = 17 * 60
        public static let maxAttempts = 4
        public static let baseSeconds = 300
        public static let capSeconds = 24 * 3600
        public static let transportTimeoutSeconds = 30
        public static let breakerFailures = 5
        public static let breakerCooldownSeconds = 15 * 60
        public static let autoReplyDelaySeconds = 3 * 86_400
        /// How long an HTTP provider keeps idempotency keys (SPEC §9.1).
        public static let idempotencyWindowSeconds = 24 * 3600
    }

    /// The documented bounds of every number a campaign file gives (SPEC §9.9): beyond them
    /// arithmetic on instants would overflow or land in another era.
    public enum Bounds {
        /// Limits, quotas, attempts, thresholds.
        public static let maxCount = 10_000_000
        /// Every duration: 365 days.
        public static let maxDurationSeconds = 365 * 86_400
    }

    /// Reads and validates the file at `path`.
    public static func load(path: String) throws -> Campaign {
        try parse(try YAMLReader.text(path: path, kind: "campaign file"), file: (path as NSString).lastPathComponent)
    }

    /// Parses campaign YAML; `file` names the source in error messages.
    public static func parse(_ text: String, file: String) throws -> Campaign {
        guard let root = try YAMLReader.compose(text, file: file) else {
            throw OutreachError.configuration("\(file): the campaign file is empty.")
        }
        return try YAMLReader(file: file).campaign(root)
    }
}
