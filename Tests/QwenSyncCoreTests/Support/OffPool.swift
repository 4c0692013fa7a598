import QwenSyncCore

/// Runs a blocking call (a lock wait, a transaction) on its own thread, so that it does not
/// hold one of the few cooperative threads that every other test needs to make progress.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        PosixThread.runDetached { continuation.resume(with: Result { try body() }) }
    }
}
