import Glibc

/// Runs a blocking call (a lock wait, a transaction) on its own thread, so that it does not
/// hold one of the few cooperative threads that every other test needs to make progress.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let job = BlockingJob { continuation.resume(with: Result { try body() }) }
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            Unmanaged<BlockingJob>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, Unmanaged.passRetained(job).toOpaque())
        if started == 0 {
            pthread_detach(thread)
        } else {
            job.run()
        }
    }
}

/// The closure a thread started by ``offPool(_:)`` runs.
private final class BlockingJob: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
