import Foundation
import Glibc
import QwenOAuth
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The whole polling loop against the real stand-in process.
@Suite("Device login loop")
struct DeviceLoginTests {
    static func login(_ server: StandInServer, interval: Duration?) -> DeviceLogin {
        DeviceLogin(
            client: OAuthClient(
                configuration: OAuthConfiguration(
                    baseURL: server.baseURL, userAgent: "qwen-sync-test/1", pollIntervalOverride: interval
                )))
    }

    @Test func pollsThroughPendingSlowDownAndServerErrorsToAGrant() async throws {
        let server = try await StandInServer.start(arguments: ["--pending-polls", "2", "--no-enforce-interval", "--slow-down", "1"])
        defer { server.stop() }
        try server.configure(["faults": [["kind": "status_500", "count": 2, "grant_type": .string(OAuthClient.deviceCodeGrantType)]]])
        let presenter = RecordingPresenter()
        let grant = try Self.login(server, interval: .milliseconds(20)).run(presenter: presenter)

        let refreshToken = try #require(grant.refreshToken)
        #expect(try server.liveRefreshTokens(sub: "user-1").contains(refreshToken))
        #expect(presenter.shown.count == 1)
        let qr = try #require(presenter.shown.first?.qrText)
        #expect(qr.contains("█"))
        #expect(presenter.waits.count == 6)  // 2 faults, 1 slow_down, 2 pending, 1 grant
        #expect(presenter.waits.allSatisfy { $0 <= 600 && $0 >= 590 })
        #expect(presenter.outcomes == [nil])
        #expect(try server.counter("token_polls") == 6)
    }

    @Test func slowDownLengthensTheInterval() async throws {
        // The stand-in answers slow_down to polls closer than 3 s apart (3/4 of its 4 s interval).
        // Starting at 1.6 s, only ×1.5 growth (2.4 s, then 3.6 s) gets a poll through; each
        // step is 0.6 s from the limit, so a busy machine's late wake-ups do not change the count.
        let server = try await StandInServer.start(arguments: ["--pending-polls", "1", "--interval", "4", "--device-expires-in", "60"])
        defer { server.stop() }
        let presenter = RecordingPresenter()
        _ = try Self.login(server, interval: .milliseconds(1_600)).run(presenter: presenter)
        let results = try server.requestLog().map(\.result)
        #expect(results == ["authorization_pending", "slow_down", "slow_down", "success"])
    }

    @Test func usesTheTwoSecondDefaultWhenTheServerSendsNoInterval() async throws {
        let server = try await StandInServer.start(arguments: ["--pending-polls", "0", "--interval", "0"])
        defer { server.stop() }
        let presenter = RecordingPresenter()
        let clock = ContinuousClock()
        let started = clock.now
        _ = try Self.login(server, interval: nil).run(presenter: presenter)
        #expect(clock.now - started >= .milliseconds(1950))
        #expect(presenter.waits.count == 1)
        #expect(DeviceLogin.defaultInterval == .seconds(2))
    }

    @Test func givesUpWhenTheCodeExpires() async throws {
        let server = try await StandInServer.start(arguments: ["--pending-polls", "1000", "--no-enforce-interval", "--device-expires-in", "1"])
        defer { server.stop() }
        let presenter = RecordingPresenter()
        #expect(throws: DeviceFlowError.expired) {
            try Self.login(server, interval: .milliseconds(100)).run(presenter: presenter)
        }
        #expect(presenter.outcomes == [.expired])
        #expect(!presenter.waits.isEmpty)
    }

    @Test func stopsOnDenial() async throws {
        let server = try await StandInServer.start(arguments: ["--deny", "--no-enforce-interval"])
        defer { server.stop() }
        let presenter = RecordingPresenter()
        #expect(throws: DeviceFlowError.accessDenied) {
            try Self.login(server, interval: .milliseconds(20)).run(presenter: presenter)
        }
        #expect(presenter.outcomes == [.accessDenied])
        #expect(try server.counter("token_polls") == 1)
    }

    @Test func cancelCheckStopsBetweenPolls() async throws {
        let server = try await StandInServer.start(arguments: ["--pending-polls", "1000", "--no-enforce-interval"])
        defer { server.stop() }
        let presenter = RecordingPresenter()
        var cancelled = false
        presenter.onWaiting = { count in if count == 3 { cancelled = true } }
        #expect(throws: DeviceFlowError.cancelled) {
            try Self.login(server, interval: .milliseconds(20)).run(presenter: presenter) { cancelled }
        }
        #expect(presenter.outcomes == [.cancelled])
        #expect(try server.counter("token_polls") == 3)
    }

    @Test func descriptorCancelsDuringASleep() async throws {
        let server = try await StandInServer.start(arguments: ["--pending-polls", "1000"])
        defer { server.stop() }
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        let writer = pipeEnds[1]
        let presenter = RecordingPresenter()
        Thread.detachNewThread {
            usleep(300_000); _ = write(writer, "x", 1)
        }
        let clock = ContinuousClock()
        let started = clock.now
        #expect(throws: DeviceFlowError.cancelled) {
            try Self.login(server, interval: .seconds(30)).run(presenter: presenter, cancelDescriptor: pipeEnds[0])
        }
        #expect(clock.now - started < .seconds(30))
        #expect(presenter.waits.isEmpty)
        #expect(try server.counter("token_polls") == 0)
    }
}
