/// A credential transaction failed; nothing was written unless the message says otherwise.
public enum StoreError: Error, CustomStringConvertible {
    /// A lock could not be taken.
    case lock(LockError)
    /// The accounts store cannot be read; it is left untouched.
    case accounts(AccountsStoreError)
    /// A file could not be written.
    case file(FileError)
    /// Another process changed a file or took a lock under us (retried internally).
    case conflict(String)
    /// The transaction's body refused (its own error inside).
    case aborted(any Error)

    public var description: String {
        switch self {
        case .lock(let error): error.description
        case .accounts(let error): error.description
        case .file(let error): error.description
        case .conflict(let reason): "gave up after repeated conflicts with another process (\(reason))"
        case .aborted(let error): "\(error)"
        }
    }
}
