extension AccountIdentity {
    /// How an identity is shown in every command: the masked email (`j…n@example.com`) when the
    /// token or the stored key has one, else the masked key (`sub:use…01`), else `nil` (shown
    /// as `unknown`).
    public static func shown(accessToken: String, identityKey: String?) -> String? {
        if let email = email(forAccessToken: accessToken), let masked = maskedEmail(email) { return masked }
        guard let identityKey else { return nil }
        if identityKey.hasPrefix("email:"), let masked = maskedEmail(String(identityKey.dropFirst(6))) { return masked }
        return masked(identityKey)
    }

    /// `john@example.com` → `j…n@example.com`, `user-5@example.com` → `us…-5@example.com`
    /// (``maskedLocalPart(_:)``); `nil` when `email` has no `@` after a first character.
    public static func maskedEmail(_ email: String) -> String? {
        guard let at = email.firstIndex(of: "@"), at > email.startIndex else { return nil }
        return maskedLocalPart(email[..<at]) + email[at...]
    }

    /// An email's local part as shown: its start and end, enough to tell `user-5` from `user-6`
    /// as `gh auth status` does, never the whole of it: up to 3 characters keep the first
    /// (`bob` → `b…`), up to 5 the first and last (`alice` → `a…e`), longer ones two of each.
    static func maskedLocalPart(_ local: Substring) -> String {
        switch local.count {
        case ...3: "\(local.prefix(1))…"
        case 4...5: "\(local.prefix(1))…\(local.suffix(1))"
        default: "\(local.prefix(2))…\(local.suffix(2))"
        }
    }
}

extension StoredAccount {
    /// The identity as every command shows it (see ``AccountIdentity/shown(accessToken:identityKey:)``).
    public var shownIdentity: String? { AccountIdentity.shown(accessToken: token.accessToken, identityKey: identityKey) }

    /// The email of the account's token, from its claims or its stored key.
    public var email: String? {
        AccountIdentity.email(forAccessToken: token.accessToken)
            ?? identityKey.flatMap { $0.hasPrefix("email:") ? String($0.dropFirst(6)) : nil }
    }
}
