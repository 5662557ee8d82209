import Foundation
import OutreachCore
#if canImport(Glibc)
import Glibc
#endif

/// A small threaded HTTP/1.1 server for `outreach serve`.
///
/// Why our own: the endpoints are few and synchronous (each one transaction on the
/// database), the limits must be exact (64 KiB bodies, a deadline per request), and the
/// executable must build in seconds in CI. One thread accepts; a fixed pool of workers
/// serves connections from a bounded queue; when the queue is full a connection is answered
/// 503 at once rather than waiting unboundedly. Keep-alive is supported for proxies and
/// load generators.
public final class HTTPServer: @unchecked Sendable {  // State is set up in init and only the queue is shared (locked).
    /// Answers one request; called on a worker thread.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    private let listener: Int32
    /// The address actually bound (port 0 becomes the one the system chose).
    public let address: String
    private let handler: Handler
    private let limits: RequestReader.Limits
    private let pending = NSCondition()
    private var queue: [Int32] = []
    private let workers: Int
    private let queueCapacity: Int

    /// Binds `listen` (`HOST:PORT`, an IPv4 address or `localhost`; `[::1]:PORT` for IPv6).
    public init(listen: String, workers: Int = 32, queueCapacity: Int = 256, handler: @escaping Handler) throws {
        self.handler = handler
        self.workers = workers
        self.queueCapacity = queueCapacity
        limits = RequestReader.Limits()
        (listener, address) = try Self.bind(listen)
    }

    /// Serves until the process ends.
    public func run() -> Never {
        for index in 0..<workers {
            let thread = Thread { [self] in workerLoop() }
            thread.name = "serve-\(index)"
            thread.stackSize = 512 * 1024
            thread.start()
        }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                    if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                    continue
                }
                continue
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            pending.lock()
            if queue.count >= queueCapacity {
                pending.unlock()
                _ = RequestReader.writeAll(client, HTTPResponse.text(503, "Busy; try again shortly.\n").serialized(keepAlive: false))
                close(client)
                continue
            }
            queue.append(client)
            pending.signal()
            pending.unlock()
        }
    }

    private func workerLoop() {
        while true {
            pending.lock()
            while queue.isEmpty { pending.wait() }
            let client = queue.removeFirst()
            pending.unlock()
            serve(client)
        }
    }

    /// Serves the requests of one connection, then closes it.
    private func serve(_ client: Int32) {
        var reader = RequestReader(fd: client, limits: limits)
        loop: while true {
            switch reader.next() {
            case .closed:
                break loop
            case .refused(let response):
                _ = RequestReader.writeAll(client, response.serialized(keepAlive: false))
                lingeringClose(client)
                return
            case .request(let request, let keepAlive):
                let response = handler(request)
                let written = RequestReader.writeAll(client, response.serialized(keepAlive: keepAlive, head: request.method == "HEAD"))
                if !written || !keepAlive { break loop }
            }
        }
        close(client)
    }

    /// Closes after an early answer without resetting the connection under the client's
    /// feet: stop writing, read (and drop) what is still arriving for a moment, then close.
    private func lingeringClose(_ client: Int32) {
        shutdown(client, Int32(SHUT_WR))
        var scratch = [UInt8](repeating: 0, count: 16 * 1024)
        let deadline = ContinuousClock.now + .seconds(2)
        var drained = 0
        while ContinuousClock.now < deadline, drained < 4 * 1024 * 1024 {
            var descriptor = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) > 0 else { continue }
            let count = scratch.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            drained += count
        }
        close(client)
    }

    private static func bind(_ listen: String) throws -> (Int32, String) {
        guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else {
            throw OutreachError.usage("--listen '\(listen)' must be HOST:PORT, like 127.0.0.1:8025.")
        }
        var host = String(listen[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        let ipv6 = host.hasPrefix("[") && host.hasSuffix("]")
        if ipv6 { host = String(host.dropFirst().dropLast()) }
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw OutreachError.temporary("cannot open a socket: \(String(cString: strerror(errno))).") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        // Either family's address, built in one storage: bind and getsockname then need no branch.
        var storage = sockaddr_storage()
        let length: Int
        let parsed: Bool
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            parsed = inet_pton(AF_INET6, host, &address.sin6_addr) == 1
            length = MemoryLayout<sockaddr_in6>.size
            withUnsafeMutableBytes(of: &storage) { target in withUnsafeBytes(of: address) { target.copyMemory(from: $0) } }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            parsed = inet_pton(AF_INET, host, &address.sin_addr) == 1
            length = MemoryLayout<sockaddr_in>.size
            withUnsafeMutableBytes(of: &storage) { target in withUnsafeBytes(of: address) { target.copyMemory(from: $0) } }
        }
        guard parsed else {
            close(fd)
            throw OutreachError.usage("--listen '\(listen)': '\(host)' is not an \(ipv6 ? "IPv6" : "IPv4") address (like 127.0.0.1, or [::1] for IPv6).")
        }
        let bound = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> Int32 in
                guard Glibc.bind(fd, address, socklen_t(length)) == 0 else { return -1 }
                var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
                return getsockname(fd, address, &size)
            }
        }
        // The port sits right after the family in both sockaddr_in and sockaddr_in6.
        let actualPort = withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
        guard bound == 0, Glibc.listen(fd, 512) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw OutreachError.temporary("cannot listen on \(listen): \(reason).")
        }
        return (fd, ipv6 ? "[\(host)]:\(actualPort)" : "\(host):\(actualPort)")
    }
}
