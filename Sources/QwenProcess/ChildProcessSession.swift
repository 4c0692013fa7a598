import Glibc
import QwenSyncCore

/// The event loop of one ``ChildProcessRunner`` run: writes input, reads both outputs,
/// watches the deadline and the stop marker, and ends the process group when needed.
struct ChildProcessSession {
    private let pid: pid_t
    private let input: [UInt8]
    private let runner: ChildProcessRunner
    private var stdin: Int32
    private var stdout: Int32
    private var stderr: Int32
    private var inputOffset = 0
    private var output: [UInt8] = []
    private var errorOutput: [UInt8] = []
    private var markerWindow: [UInt8] = []
    private var termination: ChildProcessOutcome.Termination?
    private var interruption: ChildProcessOutcome.Interruption?
    private var killDue: Int?
    private var drainDue: Int?

    /// The largest single read or write.
    private static let chunkSize = 64 << 10
    /// How often, at most, the loop checks whether the child exited, in milliseconds.
    private static let reapInterval: Int32 = 50

    init(pid: pid_t, input: [UInt8], stdin: Int32, stdout: Int32, stderr: Int32, runner: ChildProcessRunner) {
        self.pid = pid
        self.input = input
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.runner = runner
    }

    /// Runs until the child is gone and its output is drained.
    mutating func run() -> ChildProcessOutcome {
        let deadline = Int(WallClock.monotonicMs().addingSaturated(runner.timeout.inMilliseconds))
        if input.isEmpty {
            closeInput()
        } else {
            _ = fcntl(stdin, F_SETFL, fcntl(stdin, F_GETFL) | O_NONBLOCK)
        }
        while true {
            reap()
            let current = Int(WallClock.monotonicMs())
            var wait = Self.reapInterval
            if termination == nil {
                if interruption == nil {
                    if current >= deadline {
                        interrupt(.timedOut)
                    } else {
                        wait = Int32(min(Int(wait), deadline - current))
                    }
                }
                if let due = killDue, current >= due {
                    kill(-pid, SIGKILL)
                    killDue = nil
                }
            } else {
                if drainDue == nil {
                    // The child is gone; anything still in its group is a leftover.
                    kill(-pid, SIGKILL)
                    drainDue = current + Int(runner.terminationGrace.inMilliseconds)
                }
                if (stdout < 0 && stderr < 0) || current >= drainDue! { break }
            }
            pollOnce(timeout: wait)
        }
        closeInput()
        closeOutput(&stdout)
        closeOutput(&stderr)
        return ChildProcessOutcome(
            termination: termination ?? .signaled(SIGKILL),
            interruption: interruption,
            standardOutput: output,
            standardError: errorOutput
        )
    }

    /// Waits up to `timeout` ms for the descriptors and handles what is ready.
    private mutating func pollOnce(timeout: Int32) {
        var descriptors: [pollfd] = []
        if stdin >= 0 { descriptors.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)) }
        if stdout >= 0 { descriptors.append(pollfd(fd: stdout, events: Int16(POLLIN), revents: 0)) }
        if stderr >= 0 { descriptors.append(pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)) }
        guard !descriptors.isEmpty else {
            // Only the exit is left to see: check again shortly.
            usleep(10_000)
            return
        }
        guard poll(&descriptors, nfds_t(descriptors.count), timeout) > 0 else { return }
        for descriptor in descriptors where descriptor.revents != 0 {
            if descriptor.fd == stdin {
                writeInput(ready: descriptor.revents & Int16(POLLOUT) != 0)
            } else if descriptor.fd == stdout {
                readOutput()
            } else if descriptor.fd == stderr {
                readError()
            }
        }
    }

    /// Writes the next chunk of input; closes standard input when done or refused.
    private mutating func writeInput(ready: Bool) {
        guard ready else { return closeInput() }
        let count = min(Self.chunkSize, input.count - inputOffset)
        do {
            let offset = inputOffset
            let written = try SystemCall.retrying { input.withUnsafeBytes { write(stdin, $0.baseAddress! + offset, count) } }
            inputOffset += written
            if inputOffset == input.count { closeInput() }
        } catch {
            if !error.wouldBlock { closeInput() }  // EPIPE: the child stopped reading; its answer will tell.
        }
    }

    /// Reads standard output, keeping at most the output limit.
    private mutating func readOutput() {
        guard let chunk = readChunk(&stdout) else { return }
        let room = runner.outputLimit - output.count
        output += chunk.prefix(max(room, 0))
        if chunk.count > room, interruption == nil {
            interrupt(.outputLimitExceeded)
        }
    }

    /// Reads standard error, keeping its start and looking for the stop marker.
    private mutating func readError() {
        guard let chunk = readChunk(&stderr) else { return }
        errorOutput += chunk.prefix(max(runner.errorLimit - errorOutput.count, 0))
        guard let marker = runner.stopMarker.map({ Array($0.utf8) }), interruption == nil else { return }
        markerWindow += chunk
        if contains(markerWindow, marker) {
            interrupt(.stopMarkerSeen)
        }
        markerWindow = Array(markerWindow.suffix(marker.count))
    }

    /// One read from `fd`; `nil` when nothing was read (the descriptor is closed at EOF).
    private func readChunk(_ fd: inout Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: Self.chunkSize)
        let descriptor = fd
        do {
            let count = try SystemCall.retrying { buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) } }
            if count > 0 { return Array(buffer[..<count]) }
            closeOutput(&fd)
        } catch {
            if !error.wouldBlock { closeOutput(&fd) }
        }
        return nil
    }

    /// Sends `SIGTERM` to the whole group and schedules `SIGKILL`.
    private mutating func interrupt(_ reason: ChildProcessOutcome.Interruption) {
        interruption = reason
        kill(-pid, SIGTERM)
        killDue = Int(WallClock.monotonicMs()) + Int(runner.terminationGrace.inMilliseconds)
    }

    /// Records the child's termination if it has ended.
    private mutating func reap() {
        guard termination == nil else { return }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return }
        let signal = status & 0x7f
        termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    private mutating func closeInput() {
        if stdin >= 0 { close(stdin) }
        stdin = -1
    }

    private func closeOutput(_ fd: inout Int32) {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    /// Whether `haystack` contains `needle`.
    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return needle.isEmpty }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
