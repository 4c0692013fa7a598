import Glibc
import QwenSyncCore

/// The device authorization flow from start to tokens: request a code, show it, poll.
///
/// Polls every `interval` seconds (the server's value, 2 s when it sends none, or
/// ``OAuthConfiguration/pollIntervalOverride``). `authorization_pending` keeps polling;
/// `slow_down` multiplies the interval by 1.5, up to 10 s; `access_denied` and
/// `expired_token` end the flow, as does the code's `expires_in` passing. Up to
/// ``maxConsecutiveTransientFailures`` network or server failures in a row are retried.
/// Cancellation is checked between polls and every 200 ms while waiting.
public struct DeviceLogin {
    /// The interval when the server sends none.
    public static let defaultInterval = Duration.seconds(2)
    /// The longest interval `slow_down` grows to.
    public static let maxInterval = Duration.seconds(10)

    /// The protocol client.
    public let client: OAuthClient
    /// How the QR code is drawn for the presenter.
    public var qrStyle: TerminalQRCode.Style
    /// Transient poll failures in a row tolerated before the login fails.
    public var maxConsecutiveTransientFailures: Int

    /// Creates a login over `client`.
    public init(client: OAuthClient, qrStyle: TerminalQRCode.Style = .unicode, maxConsecutiveTransientFailures: Int = 5) {
        self.client = client
        self.qrStyle = qrStyle
        self.maxConsecutiveTransientFailures = maxConsecutiveTransientFailures
    }

    /// Runs the whole flow and returns the tokens once the user approved.
    ///
    /// - Parameters:
    ///   - pkce: the PKCE pair (a fresh one by default).
    ///   - presenter: receives the code to show and progress.
    ///   - cancelDescriptor: a descriptor that becomes readable to cancel (e.g. the read end
    ///     of a pipe a SIGINT handler writes to); it is polled, never read.
    ///   - shouldCancel: checked between polls and every 200 ms while waiting.
    /// - Throws: ``DeviceFlowError`` (`.accessDenied`, `.expired`, `.cancelled`, or the
    ///   failure that ended polling).
    public func run(
        pkce: PKCE = .generate(),
        presenter: some DeviceLoginPresenter,
        cancelDescriptor: Int32? = nil,
        shouldCancel: () -> Bool = { false }
    ) throws(DeviceFlowError) -> TokenGrant {
        try withoutActuallyEscaping(shouldCancel) { (shouldCancel) throws(DeviceFlowError) -> TokenGrant in
            let waiter = CancellableWait(descriptor: cancelDescriptor, shouldCancel: shouldCancel)
            do throws(DeviceFlowError) {
                let authorization = try client.requestDeviceCode(pkce: pkce)
                presenter.show(authorization, qrText: qrText(for: authorization.browserURL))
                let grant = try poll(authorization, pkce: pkce, presenter: presenter, waiter: waiter)
                presenter.finished(nil)
                return grant
            } catch {
                presenter.finished(error)
                throw error
            }
        }
    }

    /// The QR code for `url`, or a one-line note when libqrencode is not installed.
    private func qrText(for url: String) -> String? {
        do { return try TerminalQRCode.render(url, style: qrStyle) } catch { return "(no QR code: \(error))" }
    }

    private func poll(
        _ authorization: DeviceAuthorization,
        pkce: PKCE,
        presenter: some DeviceLoginPresenter,
        waiter: CancellableWait
    ) throws(DeviceFlowError) -> TokenGrant {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(authorization.expiresIn)
        var interval =
            client.configuration.pollIntervalOverride
            ?? authorization.interval.map { .seconds($0) } ?? Self.defaultInterval
        var failures = 0
        while true {
            try waiter.wait(until: min(clock.now + interval, deadline))
            let left = deadline - clock.now
            guard left > .zero else { throw .expired }
            presenter.waiting(secondsLeft: Int(left.inMilliseconds / 1000))
            let result: DevicePollResult
            do {
                result = try client.pollDeviceToken(deviceCode: authorization.deviceCode, pkce: pkce)
            } catch  where error.isTransient && failures < maxConsecutiveTransientFailures {
                failures += 1
                continue
            }
            failures = 0
            try waiter.check()
            switch result {
            case .pending:
                continue
            case .slowDown:
                interval = max(interval, min(interval * 1.5, Self.maxInterval))
            case .granted(let grant):
                return grant
            }
        }
    }
}
