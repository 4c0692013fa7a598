import Glibc
import QwenOAuth
import QwenSyncCore
import Synchronization

/// Runs one refresh at a time on its own thread, so the daemon's loop keeps answering
/// `status`, pinging the watchdog and collecting inotify events while a token request is in
/// flight (up to the 8 s request timeout).
///
/// The loop submits a job, then polls ``completionDescriptor``; when it becomes readable,
/// ``takeResult()`` returns the outcome. The thread sleeps on a condition variable between
/// jobs: an idle worker causes no wakeups.
final class RefreshWorker: @unchecked Sendable {
    /// A finished job.
    struct Completion: Sendable {
        let accountID: String
        let outcome: Result<RefreshOutcome, StoreError>
    }

    /// Becomes readable when a job has finished.
    let completionDescriptor: Int32
    private let signalDescriptor: Int32
    private let refresher: AccountRefresher
    private let box = Mutex<(job: (String, RefreshPolicy)?, done: Completion?, busy: Bool, stopping: Bool)>((nil, nil, false, false))
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var thread: pthread_t?

    init(refresher: AccountRefresher) {
        self.refresher = refresher
        let pipe = NonBlockingPipe()
        completionDescriptor = pipe.readEnd
        signalDescriptor = pipe.writeEnd
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        let unmanaged = Unmanaged.passRetained(self)
        var handle = pthread_t()
        if pthread_create(&handle, nil, { argument in
            Unmanaged<RefreshWorker>.fromOpaque(argument!).takeRetainedValue().run()
            return nil
        }, unmanaged.toOpaque()) == 0 {
            thread = handle
        } else {
            unmanaged.release()
        }
    }

    /// Whether a job is running or waiting to be collected.
    var isBusy: Bool { box.withLock { $0.busy } }

    /// Starts refreshing `accountID`; ignored while busy.
    func submit(accountID: String, policy: RefreshPolicy) {
        let accepted = box.withLock { state -> Bool in
            guard !state.busy else { return false }
            state.busy = true
            state.job = (accountID, policy)
            return true
        }
        guard accepted else { return }
        pthread_mutex_lock(&mutex)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// The finished job, if any; the worker is free again afterwards.
    func takeResult() -> Completion? {
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
        close(completionDescriptor)
        close(signalDescriptor)
    }

    private func run() {
        while true {
            pthread_mutex_lock(&mutex)
            var next: (String, RefreshPolicy)?
            while true {
                let (job, stopping) = box.withLock { state in
                    let job = state.job
                    state.job = nil
                    return (job, state.stopping)
                }
                if let job {
                    next = job
                    break
                }
                if stopping {
                    pthread_mutex_unlock(&mutex)
                    return
                }
                pthread_cond_wait(&condition, &mutex)
            }
            pthread_mutex_unlock(&mutex)
            guard let (accountID, policy) = next else { continue }
            let outcome: Result<RefreshOutcome, StoreError>
            do { outcome = .success(try refresher.refresh(accountID: accountID, policy: policy)) } catch { outcome = .failure(error) }
            box.withLock { $0.done = Completion(accountID: accountID, outcome: outcome) }
            var byte: UInt8 = 1
            _ = write(signalDescriptor, &byte, 1)
        }
    }
}
