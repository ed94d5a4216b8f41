import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PingshenCore
import PingshenRubricFormat
@testable import PingshenServer
import PingshenSync
import PingshenWire
import Testing

/// The repository root, found from this file's path.
let serverRepoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The storage backends the suite runs on. PostgreSQL runs when PINGSHEN_TEST_POSTGRES_URL is set
/// (scripts/test.sh starts a throwaway cluster and sets it); under CI=true it always runs, so that a missing
/// PostgreSQL fails the tests instead of skipping them.
enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }

    static var postgresURL: String? {
        let v = ProcessInfo.processInfo.environment["PINGSHEN_TEST_POSTGRES_URL"]
        return (v?.isEmpty ?? true) ? nil : v
    }

    static var enabled: [Backend] {
        let ci = ProcessInfo.processInfo.environment["CI"] == "true"
        return postgresURL != nil || ci ? [.sqlite, .postgres] : [.sqlite]
    }
}

/// A fresh, empty store on a backend: a SQLite file in a temporary folder, or a new PostgreSQL database.
final class TestStore: @unchecked Sendable {
    let backend: Backend
    let dir: URL
    let sqlitePath: String?
    let postgresURL: String?
    let postgresDatabase: String?

    init(_ backend: Backend) async throws {
        self.backend = backend
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pingshen-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        switch backend {
        case .sqlite:
            sqlitePath = dir.appendingPathComponent("server.sqlite").path
            postgresURL = nil
            postgresDatabase = nil
        case .postgres:
            guard let base = Backend.postgresURL else {
                throw TestFailure("PINGSHEN_TEST_POSTGRES_URL is not set: start PostgreSQL with scripts/postgres.sh (CI requires it)")
            }
            let name = "pingshen_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
            let admin = try PostgresDatabase(url: base)
            try await admin.read { tx in try await tx.execute("CREATE DATABASE \(name)", []) }
            try await admin.close()
            guard var comps = URLComponents(string: base) else { throw TestFailure("bad URL \(base)") }
            comps.path = "/" + name
            postgresURL = comps.string
            postgresDatabase = String(name)
            sqlitePath = nil
        }
    }

    func open() throws -> SQLServerStorage {
        if let sqlitePath { return try SQLServerStorage.sqlite(path: sqlitePath) }
        guard let postgresURL else { throw TestFailure("no store") }
        return try SQLServerStorage.postgres(url: postgresURL)
    }

    /// The CLI arguments naming this store.
    var cliArguments: [String] {
        if let sqlitePath { return ["--db", sqlitePath] }
        return ["--postgres", postgresURL ?? ""]
    }

    func destroy() async {
        try? FileManager.default.removeItem(at: dir)
        if let db = postgresDatabase, let base = Backend.postgresURL, let admin = try? PostgresDatabase(url: base) {
            _ = try? await admin.read { tx in try await tx.execute("DROP DATABASE IF EXISTS \(db) WITH (FORCE)", []) }
            try? await admin.close()
        }
    }
}

/// A real server on a free loopback port, in this process, with its own store.
final class TestServer: @unchecked Sendable {
    let store: TestStore
    let storage: SQLServerStorage
    let server: PanelServer
    let clock = ServerClock()
    let port: Int
    let url: URL
    let adminCode: String
    private let task: Task<Void, any Error>

    static func start(_ backend: Backend, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let store = try await TestStore(backend)
        return try await TestServer(store: store, configure: configure)
    }

    init(store: TestStore, configure: (inout ServerConfiguration) -> Void) async throws {
        self.store = store
        storage = try store.open()
        var config = ServerConfiguration()
        config.port = 0
        config.exchangesPerMinute = 1000
        configure(&config)
        server = PanelServer(storage: storage, configuration: config, clock: clock)
        adminCode = try await PanelServer.initialize(storage: storage, now: clock.now()).code
        let bound = PortBox()
        let server = self.server
        task = Task { try await server.run { port in bound.set(port) } }
        var waited = 0
        while bound.get() == nil {
            try await Task.sleep(for: .milliseconds(20))
            waited += 20
            if waited > 30_000 { throw TestFailure("server did not start") }
        }
        port = bound.get() ?? 0
        guard let url = URL(string: "http://127.0.0.1:\(port)") else { throw TestFailure("bad URL") }
        self.url = url
    }

    func client(_ token: String? = nil, language: String = "en") -> PingshenSyncClient {
        PingshenSyncClient(baseURL: url, token: token, language: language)
    }

    /// The admin (server-init chair), logged in.
    func admin() async throws -> PingshenSyncClient {
        let r = try await client().exchange(code: adminCode, device: "chair-laptop")
        return client(r.token)
    }

    func stop() async {
        await server.shutdown()
        _ = try? await task.value
        try? await storage.close()
        await store.destroy()
    }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ p: Int) { lock.lock(); port = p; lock.unlock() }
    func get() -> Int? { lock.lock(); defer { lock.unlock() }; return port }
}

/// Runs `body` with a started server and always stops it.
func withServer(_ backend: Backend, configure: (inout ServerConfiguration) -> Void = { _ in },
                _ body: (TestServer) async throws -> Void) async throws {
    let s = try await TestServer.start(backend, configure: configure)
    do {
        try await body(s)
    } catch {
        await s.stop()
        throw error
    }
    await s.stop()
}

// MARK: A sample panel

let demoRubricId = "tech-innovation-demo-enterprise"

func rubricYAML(_ id: String) throws -> String {
    try String(contentsOfFile: "\(serverRepoRoot)/Rubrics/\(id).yaml", encoding: .utf8)
}

func demoRubric() throws -> Rubric {
    try PanelServer.parseRubric(try rubricYAML(demoRubricId), id: demoRubricId, file: "test")
}

/// Panel P1: reviewers r1–r4, applicants a1–a3, r4 recused from a3.
func demoPanel(title: String = "2025 技术创新示范企业 初评", reviewers: Int = 4) throws -> PanelUpload {
    PanelUpload(title: title, round: "初评", rubricId: demoRubricId, rubricYaml: try rubricYAML(demoRubricId),
                reviewers: (1...reviewers).map { ReviewerInfo(id: "r\($0)", name: "专家\($0)") },
                applicants: [WireApplicant(id: "a1", name: "华东精密机械股份有限公司", industry: "machinery", data: [:]),
                             WireApplicant(id: "a2", name: "川渝新材料科技有限公司", data: [:]),
                             WireApplicant(id: "a3", name: "岭南智能装备集团", data: [:])],
                recusals: [Recusal(reviewer: "r4", applicant: "a3", reason: "曾任该单位顾问")])
}

/// A reviewer's device: a client with that reviewer's token and a device name.
struct Device: Sendable {
    let client: PingshenSyncClient
    let reviewer: String
    let name: String

    func change(_ kind: ChangeKind, _ applicant: String, leaf: String? = nil, value: Double? = nil, note: String? = nil,
                reason: String? = nil, round: String = "初评") -> Change {
        Change(device: name, kind: kind, reviewer: reviewer, applicant: applicant, round: round, leaf: leaf, value: value,
               note: note, reason: reason)
    }
}

/// Enrols a reviewer through the chair and logs the device in.
func enrolDevice(_ s: TestServer, chair: PingshenSyncClient, panel: String = "P1", reviewer: String, device: String) async throws -> Device {
    let code = try await chair.enrol(panel: panel, reviewer: reviewer).code
    let r = try await s.client().exchange(code: code, device: device)
    return Device(client: s.client(r.token), reviewer: reviewer, name: device)
}

/// The HTTP status of a failed call (nil when it succeeded).
func status(_ body: () async throws -> Void) async -> Int? {
    do {
        try await body()
        return nil
    } catch let e as SyncClientError {
        return e.status ?? -1
    } catch {
        return -2
    }
}

// MARK: Raw sockets, for what a well-behaved client never does

/// A plain TCP connection to the loopback server.
/// A plain TCP client for requests URLSession cannot make (half-sent bodies, stalls, cut connections).
/// Its socket calls block, so each runs on a Dispatch thread, never on the cooperative pool: with 2 cores
/// the pool has 2 threads, and a blocked one can starve the in-process server's handlers (which then
/// never answer, and the connection ends by its idle timeout instead).
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw TestFailure("connect() failed")
        }
        var tv = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ data: Data) async {
        await offPool { self.sendNow(data) }
    }

    private func sendNow(_ data: Data) {
        data.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.send(fd, buf.baseAddress!.advanced(by: off), buf.count - off, Int32(MSG_NOSIGNAL))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                off += n
            }
        }
    }

    func send(_ text: String) async { await send(Data(text.utf8)) }

    /// One recv, retried when a signal interrupts it: the test process receives SIGCHLD whenever one of
    /// the many subprocesses other tests start ends, and an interrupted recv is not the end of the stream.
    private func receive(_ buf: inout [UInt8]) -> Int {
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Reads until the peer closes the connection or the read times out; returns what arrived.
    func readAll() async -> String { await offPool { self.readAllNow() } }

    private func readAllNow() -> String {
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = receive(&buf)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads until a full response head and `Content-Length` body arrived (or the peer closed).
    func readResponse() async -> String { await offPool { self.readResponseNow() } }

    private func readResponseNow() -> String {
        var out = Data()
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let text = String(decoding: out, as: UTF8.self)
            if let range = text.range(of: "\r\n\r\n") {
                let head = text[..<range.lowerBound].lowercased()
                if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                   let len = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)),
                   text.utf8.count - text[..<range.upperBound].utf8.count >= len {
                    return text
                }
            }
            let n = receive(&buf)
            if n <= 0 { return text }
            out.append(contentsOf: buf[0..<n])
        }
    }

    func closeNow() { close(fd) }
}

/// An HTTP request as raw bytes.
func rawRequest(_ method: String, _ path: String, token: String?, body: Data) -> (head: Data, body: Data) {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
    if let token { head += "Authorization: Bearer \(token)\r\n" }
    head += "\r\n"
    return (Data(head.utf8), body)
}

/// Runs blocking work on a Dispatch thread and awaits its result.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { c in
        DispatchQueue.global().async { c.resume(returning: work()) }
    }
}
