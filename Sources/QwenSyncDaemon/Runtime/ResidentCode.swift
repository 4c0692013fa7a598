import Glibc
import QwenSyncCore

/// Gives back the code pages an idle daemon is not running.
///
/// A process's resident set keeps every page of its executable and libraries it has touched,
/// and the kernel maps them 64 KiB at a time: start-up, a refresh, a sync or a `status` reply
/// leave a few MB of code mapped that an idle daemon does not run again until its next event.
/// ``release()`` drops this process's mappings of those pages with `madvise(MADV_DONTNEED)`.
/// The pages stay in the page cache, so the next event maps back what it runs with minor
/// faults and no disk read. Only read-only executable mappings of files (`r-xp`) without a
/// single private page are touched: their contents are the file's, so nothing is lost, whereas
/// writable, relocated (RELRO) or debugger-patched pages would be.
enum ResidentCode {
    /// Drops the resident pages of every eligible mapping.
    ///
    /// - Returns: the kilobytes that were resident in the mappings released.
    @discardableResult
    static func release() -> Int {
        let descriptor = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        guard let smaps = try? DescriptorInput.readAll(descriptor, limit: 16 << 20) else { return 0 }
        var released = 0
        for mapping in eligibleMappings(in: String(decoding: smaps, as: UTF8.self))
        where madvise(UnsafeMutableRawPointer(bitPattern: mapping.start), Int(mapping.end - mapping.start), MADV_DONTNEED) == 0 {
            released += mapping.residentKB
        }
        return released
    }

    /// One mapping of `/proc/self/smaps` that ``release()`` may drop.
    struct Mapping: Equatable {
        let start: UInt
        let end: UInt
        let residentKB: Int
    }

    /// The read-only executable file mappings with resident pages and no private (anonymous) ones.
    static func eligibleMappings(in smaps: String) -> [Mapping] {
        var mappings: [Mapping] = []
        var current: (start: UInt, end: UInt, eligible: Bool)?
        var resident = 0
        var anonymous = 0
        func finish() {
            if let current, current.eligible, resident > 0, anonymous == 0 {
                mappings.append(Mapping(start: current.start, end: current.end, residentKB: resident))
            }
        }
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.hasSuffix(":") {
                if first == "Rss:", fields.count > 1 { resident = Int(fields[1]) ?? 0 }
                if first == "Anonymous:", fields.count > 1 { anonymous = Int(fields[1]) ?? 1 }
                continue
            }
            // A mapping's header: "start-end perms offset dev inode [path]".
            let bounds = first.split(separator: "-")
            guard fields.count >= 5, bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16)
            else { continue }
            finish()
            current = (start, end, fields[1] == "r-xp" && fields[4] != "0")
            resident = 0
            anonymous = 0
        }
        finish()
        return mappings
    }
}
