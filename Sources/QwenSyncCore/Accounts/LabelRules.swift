/// What a label may be: short, printable, and naming one account only.
public enum LabelRules {
    /// The longest label, in characters.
    public static let maximumLength = 64

    /// What is wrong with `label` on its own (empty, too long, control characters, surrounding
    /// spaces), or `nil` when it is acceptable.
    public static func problem(with label: String) -> String? {
        if label.isEmpty { return "a label cannot be empty" }
        if label.unicodeScalars.contains(where: isControl) { return "a label cannot contain control characters" }
        if label.count > maximumLength { return "a label is at most \(maximumLength) characters" }
        if label.first!.isWhitespace || label.last!.isWhitespace { return "a label cannot start or end with a space" }
        return nil
    }

    /// Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional
    /// controls that reorder what a terminal shows.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}

extension CredentialState {
    /// Another account that `label` would be confused with: one whose label, id, email or shown
    /// identity is `label`. `nil` when `label` is free for `id`.
    public func labelConflict(_ label: String, for id: String?) -> StoredAccount? {
        accounts.accounts.first { account in
            account.id != id
                && (sidecar.label(of: account.id) == label || account.id == label || account.email == label || account.shownIdentity == label)
        }
    }

    /// Sets or clears the label of `id`.
    public mutating func setLabel(_ label: String?, of id: String) {
        sidecar.notes[id, default: .init()].label = label
    }
}
