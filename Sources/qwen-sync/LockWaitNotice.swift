import Glibc
import QwenSyncCore

/// Tells a person at a terminal why a command is waiting: a line on stderr after 1 s of
/// waiting for a peer's lock, then every 3 s. Silent when stderr is not a terminal, so
/// scripts and `--json` callers see nothing new.
enum LockWaitNotice {
    /// Makes lock waits visible for every store this process builds (once; later calls do nothing).
    static func installIfTerminal() {
        guard LockWaitObserver.processDefault == nil, isatty(STDERR_FILENO) == 1 else { return }
        LockWaitObserver.processDefault = LockWaitObserver(firstAfter: .seconds(1), every: .seconds(3)) { wait in
            let line = Array("qwen-sync: \(wait.description)…\n".utf8)
            _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }  // one short line: one write
        }
    }
}
