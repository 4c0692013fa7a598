import Glibc
import QwenSyncCore
import Synchronization

/// A network namespace of its own (`ip netns add`), deleted when the object goes away: links
/// and addresses can come and go in it without touching the machine's network. Needs root.
public final class NetworkNamespace: Sendable {
    /// The namespace's name, for `ip -n` and `ip netns exec`.
    public let name: String

    /// Why namespaces cannot be made here (not root, no `ip`), or `nil` when they can.
    public static var unavailableReason: String? {
        if getuid() != 0 { return "network namespaces need root" }
        if access("/usr/sbin/ip", X_OK) != 0 && access("/sbin/ip", X_OK) != 0 { return "no ip command (Debian package iproute2)" }
        return nil
    }

    /// Creates a namespace with a unique name and its loopback up.
    ///
    /// - Throws: ``TestSupportError`` when `ip netns add` fails.
    public init() async throws {
        name = "qs-test-\(getpid())-\(RandomHex.string(byteCount: 4))"
        try await Self.ip(["netns", "add", name])
        try await ip(["link", "set", "lo", "up"])
    }

    /// Deletes the namespace (and the links in it, with their veth peers), waiting for `ip`.
    deinit {
        _ = system("'\(Self.ipPath)' netns delete '\(name)'")
    }

    /// Runs `ip -n <name> arguments…` and waits for it to succeed.
    ///
    /// - Throws: ``TestSupportError`` when `ip` fails.
    public func ip(_ arguments: [String]) async throws {
        try await Self.ip(["-n", name] + arguments)
    }

    /// Runs `ip arguments…` in the test's own namespace (the machine's side of a veth pair).
    ///
    /// - Throws: ``TestSupportError`` when `ip` fails.
    public static func hostIP(_ arguments: [String]) async throws {
        try await ip(arguments)
    }

    /// Runs `command` inside the namespace (`ip netns exec`) and waits for it to succeed.
    ///
    /// - Throws: ``TestSupportError`` when it fails.
    public func exec(_ command: [String]) async throws {
        try await Self.ip(["netns", "exec", name] + command)
    }

    /// Turns IPv6 off in the namespace for links made afterwards: no link-local addresses
    /// whose duplicate-address detection announces them again a second later, whenever a test
    /// happens to look.
    public func disableIPv6() async throws {
        try await exec(["/bin/sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"])
    }

    /// Runs `body` on a thread of its own that has entered the namespace (sockets it opens
    /// stay in the namespace for their whole life), and returns its result.
    ///
    /// - Throws: ``TestSupportError`` when the namespace cannot be entered.
    public func inside<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let handle = open("/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard handle >= 0 else { throw TestSupportError("cannot open /run/netns/\(name): errno \(errno)") }
        defer { close(handle) }
        let library = try SharedLibrary(soname: "libc.so.6", debianPackage: "libc6")
        let setns = try library.function("setns", as: (@convention(c) (Int32, Int32) -> Int32).self)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let thread = PosixThread.spawn {
            guard setns(handle, 0x4000_0000) == 0 else {  // CLONE_NEWNET
                outcome.withLock { $0 = .failure(TestSupportError("setns: errno \(errno)")) }
                return
            }
            outcome.withLock { $0 = Result { try body() } }
        }
        thread?.join()
        guard let result = outcome.withLock({ $0 }) else { throw TestSupportError("no thread to enter the namespace") }
        return try result.get()
    }

    /// The `ip` command's path.
    public static var ipPath: String { access("/usr/sbin/ip", X_OK) == 0 ? "/usr/sbin/ip" : "/sbin/ip" }

    private static func ip(_ arguments: [String]) async throws {
        let errors = try TemporaryDirectory(prefix: "qwen-sync-ip")
        defer { errors.remove() }
        let process = try ChildProcess(ipPath, arguments, stderr: errors.appending("stderr"))
        guard let code = await process.waitForExit(), code == 0 else {
            throw TestSupportError("ip \(arguments.joined(separator: " ")) failed: \(process.errorOutput)")
        }
    }
}
