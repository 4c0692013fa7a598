import Glibc
import QwenSyncCore
import Synchronization

/// Runs one job at a time on its own thread, so the daemon's loop keeps answering `status`,
/// pinging the watchdog and collecting inotify events while a job waits for a peer's lock or
/// for the token endpoint (up to the 8 s request timeout).
///
/// The loop submits a job, then polls ``completionDescriptor``; when it becomes readable,
/// ``takeResult()`` returns the job's output. The thread sleeps on a condition variable
/// between jobs: an idle worker causes no wakeups.
final class BackgroundWorker: @unchecked Sendable {
    /// What a job returns.
    typealias Output = WorkOutput

    /// Becomes readable when a job has finished.
    let completionDescriptor: Int32
    private let signalDescriptor: Int32
    private let box = Mutex<(job: (@Sendable () -> Output)?, done: Output?, busy: Bool, stopping: Bool)>((nil, nil, false, false))
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var thread: pthread_t?

    init() {
        let pipe = NonBlockingPipe()
        completionDescriptor = pipe.readEnd
        signalDescriptor = pipe.writeEnd
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        let unmanaged = Unmanaged.passRetained(self)
        var handle = pthread_t()
        if pthread_create(&handle, nil, { argument in
            Unmanaged<BackgroundWorker>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, unmanaged.toOpaque()) == 0 {
            thread = handle
        } else {
            unmanaged.release()
        }
    }

    /// Whether a job is running or its output waits to be collected.
    var isBusy: Bool { box.withLock { $0.busy } }

    /// Starts `job`; returns `false` (and does nothing) while busy.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Output) -> Bool {
        let accepted = box.withLock { state -> Bool in
            guard !state.busy else { return false }
            state.busy = true
            state.job = job
            return true
        }
        guard accepted else { return false }
        pthread_mutex_lock(&mutex)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        return true
    }

    /// The finished job's output, if any; the worker is free again afterwards.
    func takeResult() -> Output? {
        var byte: UInt8 = 0
        while read(completionDescriptor, &byte, 1) == 1 {}
        return box.withLock { state in
            guard let done = state.done else { return nil }
            state.done = nil
            state.busy = false
            return done
        }
    }

    /// Lets a running job finish (a rotated token must be written), then ends the thread.
    func stop() {
        box.withLock { $0.stopping = true }
        pthread_mutex_lock(&mutex)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        if let thread { pthread_join(thread, nil) }
        Glibc.close(signalDescriptor)
    }

    deinit { Glibc.close(completionDescriptor) }

    private func run() {
        while true {
            pthread_mutex_lock(&mutex)
            var next: (@Sendable () -> Output)?
            while next == nil {
                let (job, stopping) = box.withLock { state in
                    let job = state.job
                    state.job = nil
                    return (job, state.stopping)
                }
                next = job
                if next == nil {
                    if stopping {
                        pthread_mutex_unlock(&mutex)
                        return
                    }
                    pthread_cond_wait(&condition, &mutex)
                }
            }
            pthread_mutex_unlock(&mutex)
            guard let job = next else { continue }
            let output = job()
            box.withLock { $0.done = output }
            var byte: UInt8 = 1
            _ = write(signalDescriptor, &byte, 1)
        }
    }
}
