import OutreachCore
/// How a Postmark bounce `Type` maps to a provider-neutral event.
///
/// It exists to keep the mapping in one reviewed table. Conservative: only types that
/// say the address itself is permanently unusable are hard.
///
/// | Postmark `Type` (TypeCode)          | Event            | Why |
/// |-------------------------------------|------------------|-----|
/// | HardBounce (1)                      | bounce, hard     | unknown user, mailbox not found |
/// | BadEmailAddress (100000)            | bounce, hard     | not a valid address |
/// | Transient (2)                       | bounce, soft     | delayed, network trouble |
/// | DnsError (256)                      | bounce, soft     | temporary DNS error |
/// | SoftBounce (4096)                   | bounce, soft     | mailbox full, over quota |
/// | SpamNotification (512)              | bounce, soft     | blocked or filtered as spam: content, not address |
/// | Blocked (100006)                    | bounce, soft     | ISP blocked the message: reputation or content |
/// | Unknown (2048)                      | bounce, soft     | unclassified: never grounds for suppression alone |
/// | ManuallyDeactivated (100002)        | bounce, soft     | an operator's choice in Postmark, not evidence about the address |
/// | SpamComplaint (100001)              | complaint        | the recipient marked it as spam |
/// | Unsubscribe (16)                    | unsubscribe      | the recipient replied asking to be removed |
/// | AutoResponder (64), Subscribe (32), AddressChange (128), OpenRelayTest (1024), VirusNotification (8192), ChallengeVerification (16384), Unconfirmed (100003), SMTPApiError (100007), InboundError (100008), DMARCPolicy (100009), TemplateRenderingFailed (100010), anything else | ignored | not about the recipient's address, or our own sending problem |
enum PostmarkBounceType {
    enum Mapping: Equatable {
        case bounce(FeedbackEvent.Bounce)
        case complaint
        case unsubscribe
        case ignored
    }

    static func mapping(for type: String) -> Mapping {
        switch type {
        case "HardBounce", "BadEmailAddress":
            return .bounce(.hard)
        case "Transient", "DnsError", "SoftBounce", "SpamNotification", "Blocked", "Unknown", "ManuallyDeactivated":
            return .bounce(.soft)
        case "SpamComplaint":
            return .complaint
        case "Unsubscribe":
            return .unsubscribe
        default:
            return .ignored
        }
    }
}
