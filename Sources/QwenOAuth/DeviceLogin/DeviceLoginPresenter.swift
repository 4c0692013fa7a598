/// Shows a device login's progress to the user; the CLI renders it on the terminal.
public protocol DeviceLoginPresenter {
    /// The server issued a code: show the URL, the user code and the QR code.
    ///
    /// - Parameters:
    ///   - authorization: the codes and URLs (never print ``DeviceAuthorization/deviceCode``).
    ///   - qrText: ``DeviceAuthorization/browserURL`` rendered by ``TerminalQRCode``, a one-line
    ///     note naming the missing library when libqrencode is not installed, or `nil` when the
    ///     URL could not be encoded.
    func show(_ authorization: DeviceAuthorization, qrText: String?)

    /// About to poll; the code expires in `secondsLeft` seconds.
    func waiting(secondsLeft: Int)

    /// The login ended: `error` is `nil` on success.
    func finished(_ error: DeviceFlowError?)
}
