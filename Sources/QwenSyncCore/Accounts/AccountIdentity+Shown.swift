extension AccountIdentity {
    /// How an identity is shown in every command: the masked email (`j…@example.com`) when the
    /// token or the stored key has one, else the masked key (`sub:use…01`), else `nil` (shown
    /// as `unknown`).
    public static func shown(accessToken: String, identityKey: String?) -> String? {
        if let email = email(forAccessToken: accessToken), let masked = maskedEmail(email) { return masked }
        guard let identityKey else { return nil }
        if identityKey.hasPrefix("email:"), let masked = maskedEmail(String(identityKey.dropFirst(6))) { return masked }
        return masked(identityKey)
    }

    /// `john@example.com` → `j…@example.com`; `nil` when `email` has no `@` after a first character.
    public static func maskedEmail(_ email: String) -> String? {
        guard let at = email.firstIndex(of: "@"), at > email.startIndex else { return nil }
        return "\(email.prefix(1))…\(email[at...])"
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
