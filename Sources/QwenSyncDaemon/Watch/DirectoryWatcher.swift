import Glibc
import QwenSyncCore

/// inotify on the qwen directory (and the store's directory when it is elsewhere), turning
/// kernel events into ``SyncTrigger``s.
///
/// Directories are watched, not file inodes: a file watch dies with the first atomic
/// replace. Temporary, stale and lock files are ignored. Each directory's parent is watched
/// too, for the directory's own name only, so a directory that is removed (or moved away)
/// and created again is picked up and rescanned, however many times that happens.
public final class DirectoryWatcher {
    /// The inotify descriptor, to poll for readability.
    public let descriptor: Int32
    private let credentialsName: String
    private let accountsName: String
    private let directories: [String]
    /// What each watch descriptor stands for: a watched directory, a parent awaiting some
    /// of its children by name, or both.
    private var roles: [Int32: Role] = [:]

    private struct Role {
        var directory: String?
        var children: [String: String] = [:]
    }

    /// Watches the directories holding `settings`' credentials and accounts files.
    ///
    /// - Throws: ``FileError`` when inotify is unavailable.
    public init(settings: Settings) throws(FileError) {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw FileError.system("inotify_init1", path: settings.qwenDirectory) }
        credentialsName = PathNormalizer.fileName(of: settings.credentialsPath)
        accountsName = PathNormalizer.fileName(of: settings.accountsPath)
        var list = [settings.qwenDirectory]
        let accountsDirectory = PathNormalizer.directory(of: settings.accountsPath)
        if accountsDirectory != settings.qwenDirectory { list.append(accountsDirectory) }
        directories = list
        for directory in list {
            watchParent(of: directory)
            watch(directory)
        }
    }

    deinit { close(descriptor) }

    private static let directoryMask =
        UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB)
        | UInt32(IN_DELETE_SELF | IN_MOVE_SELF) | UInt32(IN_ONLYDIR) | UInt32(IN_MASK_ADD)
    private static let parentMask =
        UInt32(IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)
        | UInt32(IN_ONLYDIR) | UInt32(IN_MASK_ADD)

    private func watch(_ directory: String) {
        let wd = inotify_add_watch(descriptor, directory, Self.directoryMask)
        guard wd >= 0 else { return }
        roles[wd, default: Role()].directory = directory
    }

    private func watchParent(of directory: String) {
        let parent = PathNormalizer.directory(of: directory)
        guard parent != directory else { return }
        let wd = inotify_add_watch(descriptor, parent, Self.parentMask)
        guard wd >= 0 else { return }
        roles[wd, default: Role()].children[PathNormalizer.fileName(of: directory)] = directory
    }

    /// Reads every pending event and says which files changed.
    ///
    /// - Returns: the union of triggers; `.fullScan` after a watched directory came back.
    public func drain() -> SyncTrigger {
        var trigger: SyncTrigger = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try? SystemCall.retrying { buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) } }
            guard let count, count > 0 else { break }
            var offset = 0
            while offset < count {
                let (mask, wd, nameLength, name) = buffer.withUnsafeBytes { raw -> (UInt32, Int32, Int, String) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    let nameStart = offset + MemoryLayout<inotify_event>.size
                    let nameBytes = raw[nameStart..<(nameStart + Int(event.len))].prefix { $0 != 0 }
                    return (event.mask, event.wd, Int(event.len), String(decoding: nameBytes, as: UTF8.self))
                }
                offset += MemoryLayout<inotify_event>.size + nameLength
                trigger.formUnion(handle(mask: mask, wd: wd, name: name))
            }
        }
        return trigger
    }

    private func handle(mask: UInt32, wd: Int32, name: String) -> SyncTrigger {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 { return .fullScan }
        guard let role = roles[wd] else { return [] }
        if mask & UInt32(IN_IGNORED) != 0 {
            roles[wd] = nil
            return role.directory == nil ? [] : [.credentialsDeleted, .accountsChanged]
        }
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
            if mask & UInt32(IN_MOVE_SELF) != 0 {
                inotify_rm_watch(descriptor, wd)
                roles[wd] = nil
            }
            return [.credentialsDeleted, .accountsChanged]
        }
        if let child = role.children[name] {
            if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                watch(child)
                return SyncTrigger.fullScan.union(.directoryReturned)
            }
            if mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 {
                return [.credentialsDeleted, .accountsChanged]
            }
        }
        guard role.directory != nil else { return [] }
        if name == credentialsName {
            if mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 { return .credentialsDeleted }
            if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB) != 0 { return .credentialsChanged }
        } else if name == accountsName || name == RotationJournal.fileName,
            mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB | IN_DELETE | IN_MOVED_FROM) != 0
        {
            // A rotation written ahead (by an orphaned HTTP child, or a killed command) is
            // folded into the store by the sync transaction it triggers.
            return .accountsChanged
        }
        return []
    }
}
