import Glibc
import QwenDoctor
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `doctor`'s checks of `qwen-sync serve`: the key file, the socket unit, the Unix socket.
@Suite("doctor: the serve endpoint's key and socket")
struct DoctorServeChecksTests {
    /// The endpoint's socket for the fixture (beside its control socket).
    func socketPath(_ fixture: DoctorFixture) -> String {
        ServeLocation.socketPath(settings: fixture.settings, environment: fixture.environment())
    }

    @Test("the key: none yet is ok; 0600 and ours is ok; readable by others fails with a chmod fix; a directory fails")
    func key() throws {
        let fixture = try DoctorFixture()
        defer { fixture.directory.remove() }
        let path = ServeLocation.keyPath(settings: fixture.settings)
        let none = try fixture.finding("serve_key")
        #expect(none.status == .ok && none.message.contains("creates"), "\(none)")
        try fixture.write(path, "qsk-0123\n", mode: 0o600)
        #expect(try fixture.finding("serve_key").status == .ok)
        chmod(path, 0o644)
        let open = try fixture.finding("serve_key")
        #expect(open.status == .fail && open.message.contains("0644"), "\(open)")
        #expect(open.fix?.contains("chmod 600 \(path)") == true)
        unlink(path)
        mkdir(path, 0o700)
        let directory = try fixture.finding("serve_key")
        #expect(directory.status == .fail && directory.fix?.contains("rm") == true, "\(directory)")
    }

    @Test("the socket: none is ok; one answered is ok; a stale one warns with the fix; a loose mode or a plain file fails")
    func socket() throws {
        let fixture = try DoctorFixture()
        defer { fixture.directory.remove() }
        let path = socketPath(fixture)
        #expect(try fixture.finding("serve_socket").status == .ok)

        var listening: ListeningSocket? = try ListeningSocket.unix(path)
        let answered = try fixture.finding("serve_socket")
        #expect(answered.status == .ok && answered.message.contains("answers"), "\(answered)")
        chmod(path, 0o666)
        let loose = try fixture.finding("serve_socket")
        #expect(loose.status == .fail && loose.fix?.contains("chmod 600") == true, "\(loose)")
        chmod(path, 0o600)

        // Closed without removing its file: what a killed endpoint leaves.
        listening = nil
        _ = listening
        let stale = try fixture.finding("serve_socket")
        #expect(stale.status == .warn && stale.message.contains("stale"), "\(stale)")
        #expect(stale.fix?.contains("rm \(path)") == true)

        unlink(path)
        try fixture.write(path, "not a socket")
        let plain = try fixture.finding("serve_socket")
        #expect(plain.status == .fail && plain.message.contains("not a socket"), "\(plain)")
    }

    @Test("the socket unit is information only: never a warning or a failure")
    func unit() throws {
        let fixture = try DoctorFixture()
        defer { fixture.directory.remove() }
        let finding = try fixture.finding("serve_unit")
        #expect(finding.status == .ok || finding.status == .skip, "\(finding)")
        #expect(finding.fix == nil)
    }
}
