/// The rules for names that end up in paths and keys.
public enum Slug {
    /// `[a-z0-9-]{1,64}`: campaign slugs become folder names, so nothing else is allowed.
    public static func isValid(_ slug: String) -> Bool {
        !slug.isEmpty && slug.utf8.count <= 64
            && slug.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
    }

    /// `[a-z0-9_-]{1,64}`: step ids become part of idempotency keys and Message-IDs.
    public static func isValidStepID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }
    }
}
