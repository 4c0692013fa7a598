import CQwenLinux
import Glibc
import QwenSyncCore

/// The kernel's routing events (rtnetlink) as a readable descriptor: it tells the daemon that
/// the network may have come back, so a refresh that failed for a network reason is retried
/// at once instead of after its back-off.
///
/// The socket is subscribed to the IPv4 and IPv6 address and route groups. A new address or
/// route (a link that comes up, a DHCP lease, Wi-Fi that reconnects, a VPN) is reported; a
/// removal is not. While nothing changes the descriptor stays quiet: it costs no wakeups.
public final class NetworkWatcher: Sendable {
    /// The netlink socket, to poll for readability.
    public let descriptor: Int32

    /// Opens the socket in the calling thread's network namespace.
    ///
    /// - Throws: ``FileError`` when the kernel refuses a netlink socket (a sandbox without it).
    public init() throws(FileError) {
        descriptor = CQwenLinux_openRouteMonitor()
        guard descriptor >= 0 else { throw FileError.system("socket(AF_NETLINK, NETLINK_ROUTE)", path: "rtnetlink") }
    }

    deinit { close(descriptor) }

    /// Reads every pending message and says whether any announced a new address or route.
    ///
    /// A burst (an interface coming up brings several addresses and routes) is one `true`.
    /// When the kernel dropped messages because the socket's buffer was full (`ENOBUFS`), the
    /// lost ones may have been such announcements, so that counts as `true` too.
    public func drain() -> Bool {
        var announced = false
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            do {
                let count = try SystemCall.retrying { buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) } }
                guard count > 0 else { return announced }
                if buffer.withUnsafeBytes({ CQwenLinux_routeMessagesAnnounceReturn($0.baseAddress, count) }) != 0 { announced = true }
            } catch  where error.code == ENOBUFS {
                announced = true
            } catch {
                return announced  // EAGAIN: nothing more for now
            }
        }
    }
}
