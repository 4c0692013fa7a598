import Glibc
import QwenOAuth
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
    private let wakeup = ConditionLock()
    private var thread: PosixThread?

    init() {
        let pipe = NonBlockingPipe()
        completionDescriptor = pipe.readEnd
        signalDescriptor = pipe.writeEnd
        thread = PosixThread.spawn { [self] in run() }
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
        wakeup.withLock { wakeup.signal() }
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
        wakeup.withLock { wakeup.signal() }
        thread?.join()
        Glibc.close(signalDescriptor)
    }

    deinit { Glibc.close(completionDescriptor) }

    private func run() {
        while let job = nextJob() {
            let output = job()
            box.withLock { $0.done = output }
            var byte: UInt8 = 1
            _ = write(signalDescriptor, &byte, 1)
        }
    }

    /// Sleeps until a job is submitted and returns it; `nil` once stopping with no job left.
    private func nextJob() -> (@Sendable () -> Output)? {
        wakeup.withLock {
            while true {
                let (job, stopping) = box.withLock { state in
                    let job = state.job
                    state.job = nil
                    return (job, state.stopping)
                }
                if let job { return job }
                if stopping { return nil }
                wakeup.wait()
            }
        }
    }
}

/// What a job on the daemon's worker thread produced.
enum WorkOutput: Sendable {
    /// A refresh of `accountID` ended, with the state its transaction wrote.
    case refreshed(accountID: String, Result<(outcome: RefreshOutcome, state: CredentialState), StoreError>)
    /// A sync transaction ended.
    case synced(Result<SyncResult, StoreError>)
}

/// The events of a sync transaction and the state it left.
struct SyncResult: Sendable {
    let events: [SyncEvent]
    let state: CredentialState
}
