import Glibc
import QwenSyncCore
import Testing

@Suite("DescriptorOutput")
struct DescriptorOutputTests {
    @Test("writeAll puts every byte through a pipe, more than one write takes")
    func writeAllThroughPipe() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        let reader = try #require(
            PosixThread.spawn {
                var received: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = read(readEnd, &buffer, buffer.count)
                    if count <= 0 { break }
                    received += buffer[..<count]
                }
                close(readEnd)
                #expect(received == payload)
            })
        #expect(DescriptorOutput.writeAll(payload, to: writeEnd))
        close(writeEnd)
        reader.join()
    }

    @Test("sendAll to a socket whose peer is gone fails with EPIPE, without SIGPIPE")
    func sendAllToClosedPeer() {
        var pair: [Int32] = [-1, -1]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        close(pair[1])
        #expect(!DescriptorOutput.sendAll(Array("x".utf8), to: pair[0]))
        #expect(errno == EPIPE)
        close(pair[0])
    }
}
