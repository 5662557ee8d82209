import Foundation

/// A campaign as its file defines it: who sends what, to whom, when, and how fast.
///
/// This is the validated, defaulted form of a campaign file (see `CampaignFile`). It is
/// stored as canonical JSON in `campaigns.definition`, so a run always knows exactly which
/// content it used.
public struct Campaign: Codable, Sendable, Equatable {
    public var slug: String
    public var name: String
    public var timezone: String
    public var sender: Sender
    public var limits: Limits
    public var window: Window
    public var retry: RetrySettings
    public var transport: TransportSettings
    public var unsubscribe: UnsubscribeSettings
    public var circuitBreaker: BreakerSettings
    public var events: EventSettings
    public var steps: [Step]
    /// Auto-pause thresholds (SPEC §12); nil: the defaults, and old campaigns keep their JSON.
    public var guardrails: Guardrails?

    /// The thresholds in force: the file's, or the defaults.
    public var effectiveGuardrails: Guardrails { guardrails ?? .defaults }

    /// Who the messages come from; the postal address goes into every footer.
    ///
    /// A campaign may send from several addresses (SPEC §12): a lead gets one at its first
    /// message and keeps it. One sender is stored as a plain string, as before there could be
    /// several, so the content hash (and the approval) of older campaigns does not change.
    public struct Sender: Codable, Sendable, Equatable {
        /// Every `From`, in file order (at least one).
        public var from: [String]
        public var replyTo: String?
        public var postalAddress: String

        public init(from: [String], replyTo: String?, postalAddress: String) {
            self.from = from
            self.replyTo = replyTo
            self.postalAddress = postalAddress
        }

        /// The first sender: the one of campaigns that name only one.
        public var primary: String { from.first ?? "" }

        /// The `From` whose address is `address` (lower-cased), if the campaign still names it.
        public func from(address: String) -> String? {
            from.first { MailboxText.parse($0)?.address == address }
        }

        private enum CodingKeys: String, CodingKey { case from, replyTo, postalAddress }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let one = try? container.decode(String.self, forKey: .from) {
                from = [one]
            } else {
                from = try container.decode([String].self, forKey: .from)
            }
            replyTo = try container.decodeIfPresent(String.self, forKey: .replyTo)
            postalAddress = try container.decode(String.self, forKey: .postalAddress)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            if from.count == 1 { try container.encode(from[0], forKey: .from) } else { try container.encode(from, forKey: .from) }
            try container.encodeIfPresent(replyTo, forKey: .replyTo)
            try container.encode(postalAddress, forKey: .postalAddress)
        }
    }

    /// How much may be sent: per tick, per campaign-local day, and how long to leave a person
    /// alone after any contact.
    public struct Limits: Codable, Sendable, Equatable {
        public var perTick: Int
        public var dailyQuota: Int
        public var cooldownSeconds: Int
    }

    /// When messages may go out, in local time.
    public struct Window: Codable, Sendable, Equatable {
        public var days: [Weekday]
        /// Minutes after local midnight, inclusive.
        public var startMinute: Int
        /// Minutes after local midnight, exclusive.
        public var endMinute: Int
        /// Use the lead's time zone when it has one.
        public var recipientTimezone: Bool
        /// Blackout days (`YYYY-MM-DD`, local), sorted; nil when the file gives none.
        public var skipDates: [String]?
    }

    /// Backoff for transient failures: `base * 2^(attempt-1)`, capped, over `maxAttempts`.
    public struct RetrySettings: Codable, Sendable, Equatable {
        public var maxAttempts: Int
        public var baseSeconds: Int
        public var capSeconds: Int
    }

    /// How messages leave: recorded only, piped to a sendmail-like command, or POSTed.
    public enum TransportSettings: Codable, Sendable, Equatable {
        case proof
        /// `env`: the extra environment variables the command may see (SPEC §9.3).
        case sendmail(command: [String], timeoutSeconds: Int, env: [String])
        /// `idempotencyWindowSeconds`: how long the provider keeps an `Idempotency-Key`; within
        /// it a request whose answer never came may be repeated with the same key (SPEC §9.1).
        case http(url: String, tokenEnv: String?, timeoutSeconds: Int, idempotencyWindowSeconds: Int)

        /// The circuit-breaker key of this transport: its kind and target, never a secret.
        public var breakerKey: String {
            switch self {
            case .proof: "proof"
            case .sendmail(let command, _, _): "sendmail:\(command.first ?? "")"
            case .http(let url, _, _, _):
                "http:" + (URL(string: url).map { ($0.host ?? "") + ($0.port.map { ":\($0)" } ?? "") } ?? url)
            }
        }

        /// The kind as campaign files spell it.
        public var kind: String {
            switch self {
            case .proof: "proof"
            case .sendmail: "sendmail"
            case .http: "http"
            }
        }
    }

    /// The unsubscribe links every message carries (RFC 8058 one-click and mailto).
    public struct UnsubscribeSettings: Codable, Sendable, Equatable {
        /// An https URL; `{{token}}` is replaced by the signed token.
        public var url: String?
        public var mailto: String?
        /// The environment variable holding the HMAC secret for the token.
        public var secretEnv: String?
        /// During a key rotation, the variable holding the secret before it: tokens signed
        /// with either are accepted (SPEC §10).
        public var previousSecretEnv: String?
        /// What a one-click unsubscribe stops: every campaign (nil, the default) or this one.
        public var scope: Scope?

        /// What an unsubscribe through the link covers.
        public enum Scope: String, Codable, Sendable {
            case global, campaign
        }

        public init(url: String?, mailto: String?, secretEnv: String?, previousSecretEnv: String? = nil, scope: Scope? = nil) {
            self.url = url
            self.mailto = mailto
            self.secretEnv = secretEnv
            self.previousSecretEnv = previousSecretEnv
            self.scope = scope
        }
    }

    /// When a transport is considered down, and for how long dispatch pauses.
    public struct BreakerSettings: Codable, Sendable, Equatable {
        public var failureThreshold: Int
        public var cooldownSeconds: Int
    }

    /// How delivery feedback moves leads.
    public struct EventSettings: Codable, Sendable, Equatable {
        /// How far an out-of-office reply pushes the lead's next step.
        public var autoReplyDelaySeconds: Int
    }

    /// One message of the sequence.
    public struct Step: Codable, Sendable, Equatable {
        public var id: String
        public var delaySeconds: Int
        /// nil: the step is a reply in the thread of the lead's previous message (SPEC §12).
        public var subject: String?
        public var body: String
    }

    /// The days of the week, as campaign files write them.
    public enum Weekday: String, Codable, Sendable, CaseIterable, Comparable {
        case mon, tue, wed, thu, fri, sat, sun

        /// The `Calendar` weekday number (Sunday = 1).
        public var calendarWeekday: Int {
            switch self {
            case .sun: 1
            case .mon: 2
            case .tue: 3
            case .wed: 4
            case .thu: 5
            case .fri: 6
            case .sat: 7
            }
        }

        public static func < (lhs: Weekday, rhs: Weekday) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }
}

extension Campaign {
    /// The canonical JSON stored in the database (sorted keys, snake_case).
    public func canonicalJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // Encoding plain value types cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The SHA-256 of what an approval vouches for: sender, steps (templates included) and
    /// unsubscribe settings. Limits, windows and transport can change without re-approval.
    public var contentHash: String {
        struct ApprovedContent: Encodable {
            let sender: Sender
            let steps: [Step]
            let unsubscribe: UnsubscribeSettings
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try! encoder.encode(ApprovedContent(sender: sender, steps: steps, unsubscribe: unsubscribe))
        return SHA256Digest.hex(of: data)
    }

    /// The `TimeZone` of the campaign (validated when the file was read).
    public var timeZone: TimeZone {
        TimeZone(identifier: timezone) ?? TimeZone(identifier: "UTC")!
    }
}
