import Foundation

/// Recognises automatic replies (vacation / out-of-office) by RFC 3834 `Auto-Submitted` and
/// the de-facto headers and subjects mail clients use. Only consulted after bounce and
/// complaint detection, because many bounces also carry `Auto-Submitted: auto-replied`.
public enum AutoReplyDetector {
    /// Subject prefixes/phrases of automatic replies in common languages (lowercased).
    public static let subjectPhrases = [
        "out of office", "out of the office", "automatic reply", "auto reply", "autoreply", "auto-reply", "auto:",
        "autosvar", "abwesenheitsnotiz", "automatische antwort", "réponse automatique", "reponse automatique",
        "respuesta automática", "respuesta automatica", "risposta automatica", "resposta automática",
        "automatisch antwoord", "automatisk svar", "automaattinen vastaus", "odpowiedź automatyczna",
        "automatická odpověď", "автоответ", "автоматический ответ", "自動応答", "自动回复", "自動回覆",
        "vacation reply", "away from the office", "absence du bureau", "fuera de la oficina", "fuori sede",
    ]

    /// The evidence string when the message is an automatic reply, else nil.
    public static func evidence(headers: MailHeaders, subject: String) -> String? {
        if let value = headers["Auto-Submitted"]?.lowercased().trimmed, !value.isEmpty, !value.hasPrefix("no") {
            return "RFC 3834 Auto-Submitted: \(value)"
        }
        for name in ["X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"] where headers[name] != nil {
            return "header \(name)"
        }
        if headers["Precedence"]?.lowercased().trimmed == "auto_reply" { return "Precedence: auto_reply" }
        if headers["X-Apple-Action"]?.lowercased().contains("vacation") == true { return "header X-Apple-Action: VACATION" }
        let lower = subject.lowercased()
        if let phrase = subjectPhrases.first(where: { lower.hasPrefix($0) || lower.contains("(" + $0) || lower.contains("[" + $0) }) {
            return "out-of-office subject (\"\(phrase)\")"
        }
        return nil
    }
}
