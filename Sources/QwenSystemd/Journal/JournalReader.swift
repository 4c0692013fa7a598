import CSystemd
import Glibc
import QwenSyncCore

/// Reads qwen-sync's entries from the systemd journal through libsystemd's reading API.
///
/// The journal is opened with `SD_JOURNAL_LOCAL_ONLY`: every journal file of this machine the
/// user may read (their own user journal, and the system journal for root or members of
/// `systemd-journal`/`adm`). Entries are selected with ``JournalFilter/matches``.
/// Not thread-safe: use one reader from one thread.
public final class JournalReader {
    private let api: LibSystemdJournal
    private let journal: OpaquePointer

    /// Opens the journal and applies `filter`.
    ///
    /// - Throws: ``JournalReaderError/noJournal`` when this user can read no journal file at
    ///   all, ``JournalReaderError/systemd(_:)`` when libsystemd fails or cannot be loaded.
    public init(filter: JournalFilter) throws(JournalReaderError) {
        let api: LibSystemdJournal
        switch LibSystemdJournal.shared {
        case .success(let loaded): api = loaded
        case .failure(let error): throw .library(error.description)
        }
        self.api = api
        var handle: OpaquePointer?
        let opened = api.open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY))
        guard opened >= 0, let handle else {
            throw .systemd(SystemdError(operation: "sd_journal_open", result: opened))
        }
        guard api.hasRuntimeFiles(handle) > 0 || api.hasPersistentFiles(handle) > 0 else {
            api.close(handle)
            throw .noJournal
        }
        for match in filter.matches {
            let added = match.withCString { api.addMatch(handle, $0, 0) }
            guard added >= 0 else {
                api.close(handle)
                throw .systemd(SystemdError(operation: "sd_journal_add_match", result: added))
            }
        }
        journal = handle
    }

    deinit {
        api.close(journal)
    }

    /// The newest matching entries, oldest first.
    ///
    /// - Parameters:
    ///   - limit: at most this many (the newest ones); all when `nil`.
    ///   - sinceUs: only entries at or after this time (µs since the epoch).
    public func recent(limit: Int? = nil, sinceUs: UInt64? = nil) throws(JournalReaderError) -> [JournalEntry] {
        var entries: [JournalEntry] = []
        try check(api.seekTail(journal), "sd_journal_seek_tail")
        while limit.map({ entries.count < $0 }) ?? true {
            let moved = api.previous(journal)
            try check(moved, "sd_journal_previous")
            guard moved > 0 else { break }
            let entry = try current()
            if let sinceUs, entry.realtimeUs < sinceUs { break }
            entries.append(entry)
        }
        return entries.reversed()
    }

    /// Waits for new matching entries and hands each to `body`, until `body` returns `false`.
    ///
    /// - Parameter cursor: start after this entry (the last one shown); without one, after
    ///   the newest entry now in the journal.
    public func follow(after cursor: String?, _ body: (JournalEntry) -> Bool) throws(JournalReaderError) {
        if let cursor {
            try check(cursor.withCString { api.seekCursor(journal, $0) }, "sd_journal_seek_cursor")
            let moved = api.next(journal)
            try check(moved, "sd_journal_next")
            // Seeking lands on the entry itself; anything else means it is gone (rotated away).
            if moved > 0, cursor.withCString({ api.testCursor(journal, $0) }) <= 0 {
                try check(api.previous(journal), "sd_journal_previous")
            }
        } else {
            try check(api.seekTail(journal), "sd_journal_seek_tail")
            try check(api.previous(journal), "sd_journal_previous")
        }
        while true {
            let moved = api.next(journal)
            try check(moved, "sd_journal_next")
            if moved > 0 {
                guard body(try current()) else { return }
            } else {
                try check(api.wait(journal, UInt64.max), "sd_journal_wait")
            }
        }
    }

    /// The entry at the read position.
    private func current() throws(JournalReaderError) -> JournalEntry {
        var realtime: UInt64 = 0
        try check(api.getRealtimeUsec(journal, &realtime), "sd_journal_get_realtime_usec")
        var cursorPointer: UnsafeMutablePointer<CChar>?
        try check(api.getCursor(journal, &cursorPointer), "sd_journal_get_cursor")
        let cursor = cursorPointer.map { String(cString: $0) } ?? ""
        free(cursorPointer)
        var fields: [String: String] = [:]
        api.restartData(journal)
        var data: UnsafeRawPointer?
        var length = 0
        while api.enumerateData(journal, &data, &length) > 0 {
            guard let data else { continue }
            let bytes = UnsafeRawBufferPointer(start: data, count: length)
            guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: bytes[..<equals], as: UTF8.self)
            fields[name] = String(decoding: bytes[(equals + 1)...], as: UTF8.self)
        }
        return JournalEntry(realtimeUs: realtime, cursor: cursor, fields: fields)
    }

    private func check(_ result: Int32, _ operation: String) throws(JournalReaderError) {
        if result < 0 { throw .systemd(SystemdError(operation: operation, result: result)) }
    }
}

/// The journal cannot be read.
public enum JournalReaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No journal file on this machine is readable by this user.
    case noJournal
    /// A libsystemd call failed.
    case systemd(SystemdError)
    /// libsystemd itself could not be loaded.
    case library(String)

    public var description: String {
        switch self {
        case .noJournal:
            "no systemd journal readable here (nothing in /run/log/journal or /var/log/journal for this user); "
                + "is systemd-journald running? Without it, qwen-sync logs to standard error"
        case .systemd(let error):
            "cannot read the journal: \(error)"
        case .library(let reason):
            "cannot read the journal: \(reason)"
        }
    }
}
