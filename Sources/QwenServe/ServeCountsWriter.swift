import QwenSyncCore
import Synchronization

/// Keeps the endpoint's ``ServeCounts`` and writes them to a file (temp + rename, 0600) at
/// most every ``interval`` milliseconds while requests come, and once more at exit, so that
/// `qwen-sync status` reads one small file instead of asking the endpoint.
final class ServeCountsWriter: Sendable {
    /// The shortest time between two writes.
    static let intervalMs: Int64 = 250

    let path: String
    private let state: Mutex<(counts: ServeCounts, lastWriteMs: Int64, scheduled: Bool)>
    /// Held while writing, so an older snapshot never lands after a newer one, while requests
    /// only ever wait for `state`, never for the file.
    private let writing = Mutex(())

    /// A writer of `counts` to `path`.
    init(path: String, counts: ServeCounts) {
        self.path = path
        state = Mutex((counts: counts, lastWriteMs: 0, scheduled: false))
    }

    /// Changes the counts with `change` and schedules a write.
    func update(_ change: (inout ServeCounts) -> Void) {
        let delayMs: Int64? = state.withLock { state in
            change(&state.counts)
            guard !state.scheduled else { return nil }
            state.scheduled = true
            return max(0, state.lastWriteMs + Self.intervalMs - WallClock.monotonicMs())
        }
        guard let delayMs else { return }
        Task {
            if delayMs > 0 { try? await Task.sleep(for: .milliseconds(delayMs)) }
            // The file system may block (fsync): off the server's threads.
            await Blocking.run { self.write() }
        }
    }

    /// Writes the counts now (the first write, and the last one at exit).
    func write() {
        writing.withLock { _ in
            let counts = state.withLock { state in
                state.scheduled = false
                state.lastWriteMs = WallClock.monotonicMs()
                return state.counts
            }
            // The counts are a convenience for `status`: a write that fails must not fail a request.
            try? SecureFile.replace(path, with: counts.document.serializedBytes(.compact))
        }
    }

    /// The counts now.
    var counts: ServeCounts { state.withLock { $0.counts } }
}
