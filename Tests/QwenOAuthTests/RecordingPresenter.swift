import QwenOAuth

/// A ``DeviceLoginPresenter`` that remembers every call, for assertions.
final class RecordingPresenter: DeviceLoginPresenter {
    private(set) var shown: [(authorization: DeviceAuthorization, qrText: String?)] = []
    private(set) var waits: [Int] = []
    private(set) var outcomes: [DeviceFlowError?] = []
    /// Called on every `waiting`, e.g. to cancel after a number of polls.
    var onWaiting: (Int) -> Void = { _ in }

    func show(_ authorization: DeviceAuthorization, qrText: String?) { shown.append((authorization, qrText)) }

    func waiting(secondsLeft: Int) {
        waits.append(secondsLeft)
        onWaiting(waits.count)
    }

    func finished(_ error: DeviceFlowError?) { outcomes.append(error) }
}
