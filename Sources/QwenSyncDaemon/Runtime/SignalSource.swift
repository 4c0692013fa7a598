import Glibc
import QwenSyncCore

/// The write end of the self-pipe, used only by the async-signal-safe handler below.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// SIGTERM, SIGINT and SIGHUP as a readable descriptor (a self-pipe), so the daemon's single
/// poll loop handles signals like any other event. (`signalfd` is not exported by Swift's
/// Glibc module; a handler that only calls `write` is async-signal-safe.)
public final class SignalSource {
    /// The read end of the pipe, to poll for readability.
    public let descriptor: Int32

    /// Installs the handlers. Only one instance may exist in a process.
    public init() {
        let pipe = NonBlockingPipe()
        descriptor = pipe.readEnd
        signalPipeWriteEnd = pipe.writeEnd
        signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these blocked (the mask survives exec): unblock
        // them, or SIGTERM would never arrive.
        var handled = sigset_t()
        sigemptyset(&handled)
        for number in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&handled, number) }
        sigprocmask(SIG_UNBLOCK, &handled, nil)
        for number in [SIGTERM, SIGINT, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { received in
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
    }

    deinit {
        for number in [SIGTERM, SIGINT, SIGHUP] { signal(number, SIG_DFL) }
        close(descriptor)
        close(signalPipeWriteEnd)
    }

    /// The signals received since the last call.
    public func drain() -> [Int32] {
        var received: [Int32] = []
        var byte: UInt8 = 0
        while Glibc.read(descriptor, &byte, 1) == 1 { received.append(Int32(byte)) }
        return received
    }
}
