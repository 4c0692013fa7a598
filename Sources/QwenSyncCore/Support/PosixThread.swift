import Glibc

/// A POSIX thread of our own: no executor, no thread pool, sleeps cost no wakeups.
///
/// ``spawn(_:)`` returns a joinable handle; ``runDetached(_:)`` is for fire-and-forget work.
public struct PosixThread: Sendable {
    private let handle: pthread_t

    /// The closure a new thread runs, passed through `pthread_create`'s context pointer.
    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new joinable thread; `nil` when the system cannot make one (`EAGAIN`:
    /// a thread or memory limit), in which case `body` does not run.
    public static func spawn(_ body: @escaping @Sendable () -> Void) -> PosixThread? {
        let context = Unmanaged.passRetained(Body(body))
        var handle = pthread_t()
        let result = pthread_create(
            &handle, nil,
            { context in
                Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context.toOpaque())
        guard result == 0 else {
            precondition(result == EAGAIN, "pthread_create failed: \(String(cString: strerror(result)))")
            context.release()
            return nil
        }
        return PosixThread(handle: handle)
    }

    /// Runs `body` on a new detached thread, or inline when no thread can be made.
    public static func runDetached(_ body: @escaping @Sendable () -> Void) {
        guard let thread = spawn(body) else { return body() }
        let result = pthread_detach(thread.handle)
        precondition(result == 0, "pthread_detach failed: \(String(cString: strerror(result)))")
    }

    /// Waits for the thread to end. Call once, and never from the thread itself.
    public func join() {
        let result = pthread_join(handle, nil)
        precondition(result == 0, "pthread_join failed: \(String(cString: strerror(result)))")
    }
}
