import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import PingshenServer
import PingshenCore
import PingshenSync
import PingshenWire
import Testing

/// The `pingshen` executable built beside the test bundle.
let pingshenExecutable: URL = {
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let beside = runner.deletingLastPathComponent().appendingPathComponent("pingshen")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    return URL(fileURLWithPath: serverRepoRoot).appendingPathComponent(".build/debug/pingshen")
}()

/// Runs `pingshen` to completion.
func pingshen(_ args: [String], env: [String: String] = [:]) throws -> (code: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = pingshenExecutable
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment
    environment["PINGSHEN_LANG"] = "en"
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// `pingshen serve` as a child process; its port is read from the line it prints.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let output = OutputBuffer()

    init(_ store: [String], port: Int = 0, extra: [String] = []) throws {
        process.executableURL = pingshenExecutable
        process.arguments = ["serve"] + store + ["--port", String(port)] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["PINGSHEN_LANG"] = "en"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        let buffer = output
        out.fileHandleForReading.readabilityHandler = { h in buffer.append(h.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            let text = buffer.text
            if let r = text.range(of: #"listening on https?://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(text[r].split(separator: ":").last ?? "")
            }
        }
        guard let found else {
            process.terminate()
            throw TestFailure("pingshen serve did not start: \(buffer.text)")
        }
        self.port = found
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)") ?? URL(fileURLWithPath: "/") }
    var log: String { output.text }

    /// SIGKILL: no chance to finish anything.
    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() -> Int32 {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
}

@Suite("pingshen serve / server init / server enrol / login", .serialized)
struct CLITests {
    @Test("The chair's and a reviewer's way through the CLI; the server killed mid-sync loses nothing",
          arguments: Backend.enabled)
    func cliAndRestart(_ backend: Backend) async throws {
        let store = try await TestStore(backend)
        defer { Task { await store.destroy() } }
        let home = store.dir.path

        // server init: the chair's one-time code is the last line.
        let initRun = try pingshen(["server", "init"] + store.cliArguments)
        #expect(initRun.code == 0, "\(initRun.err)")
        let chairCode = try #require(initRun.out.split(separator: "\n").last.map(String.init))
        #expect(chairCode.range(of: #"^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$"#, options: .regularExpression) != nil)

        var serve = try ServeProcess(store.cliArguments)
        let server = serve.url.absoluteString

        // A bad code is refused with a message, and nothing is saved.
        let badLogin = try pingshen(["login", "--server", server, "--code", "AAAA-BBBB"], env: ["XDG_CONFIG_HOME": "\(home)/nobody"])
        #expect(badLogin.code == 1)
        #expect(badLogin.err.contains("HTTP 401"))
        #expect(!FileManager.default.fileExists(atPath: "\(home)/nobody/pingshen/credentials.json"))

        // The chair logs in: the token file is the user's alone.
        let chairEnv = ["XDG_CONFIG_HOME": "\(home)/chair"]
        let login = try pingshen(["login", "--server", server, "--code", chairCode, "--device", "chair-laptop"], env: chairEnv)
        #expect(login.code == 0, "\(login.err)")
        let credFile = "\(home)/chair/pingshen/credentials.json"
        let attrs = try FileManager.default.attributesOfItem(atPath: credFile)
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let chairCred = try #require(try CredentialStore(directory: "\(home)/chair/pingshen").credential(for: server, panel: nil))
        #expect(chairCred.identity.role == .admin)
        let chair = PingshenSyncClient(baseURL: serve.url, token: chairCred.token)
        _ = try await chair.putPanel("P1", try demoPanel())

        // Enrolment without a login is refused; the chair's enrol prints the reviewer's code last.
        let noLogin = try pingshen(["server", "enrol", "P1", "r1", "--server", server], env: ["XDG_CONFIG_HOME": "\(home)/nobody"])
        #expect(noLogin.code == 1 && noLogin.err.contains("not logged in"))
        let unknown = try pingshen(["server", "enrol", "P1", "r9", "--server", server], env: chairEnv)
        #expect(unknown.code == 1 && unknown.err.contains("HTTP 422"))
        let enrol = try pingshen(["server", "enrol", "P1", "r1", "--server", server], env: chairEnv)
        #expect(enrol.code == 0, "\(enrol.err)")
        let reviewerCode = try #require(enrol.out.split(separator: "\n").last.map(String.init))
        let reviewerEnv = ["XDG_CONFIG_HOME": "\(home)/r1"]
        let rLogin = try pingshen(["login", "--server", server, "--code", reviewerCode, "--device", "r1-laptop"], env: reviewerEnv)
        #expect(rLogin.code == 0, "\(rLogin.err)")
        let rCred = try #require(try CredentialStore(directory: "\(home)/r1/pingshen").credential(for: server, panel: nil))
        #expect(rCred.identity.role == .reviewer && rCred.identity.reviewer == "r1")
        // The code was single-use.
        let reuse = try pingshen(["login", "--server", server, "--code", reviewerCode], env: ["XDG_CONFIG_HOME": "\(home)/r1b"])
        #expect(reuse.code == 1)

        // A sync of 15 batches; the server is killed with SIGKILL while the 8th is in flight and
        // restarted on the same store and port. The client retries every unacknowledged batch.
        let leaves = try demoRubric().leaves.filter { $0.input != .value }
        var batches: [[Change]] = []
        for a in ["a1", "a2", "a3"] {
            for (i, leaf) in leaves.enumerated() where i % 2 == 0 || a == "a1" {
                if batches.isEmpty || batches[batches.count - 1].count == 3 { batches.append([]) }
                batches[batches.count - 1].append(Change(device: "r1-laptop", kind: .setPoints, reviewer: "r1", applicant: a,
                                                         round: "初评", leaf: leaf.id, value: 0.5))
            }
        }
        let total = batches.reduce(0) { $0 + $1.count }
        let reviewer = PingshenSyncClient(baseURL: serve.url, token: rCred.token, timeout: 5)
        var acknowledged = 0
        var failures = 0
        var killed = false
        var firstLog = ""
        for (i, batch) in batches.enumerated() {
            if i == batches.count / 2 && !killed {
                // Send this batch and kill the server while it may be processing it.
                let inflight = Task { try? await reviewer.push(panel: "P1", changes: batch) }
                serve.kill9()
                firstLog = serve.log
                killed = true
                _ = await inflight.value
                // While the server is down the push fails with a transport error, and is kept for retry.
                do {
                    _ = try await reviewer.push(panel: "P1", changes: batch)
                    Issue.record("a push succeeded with the server down")
                } catch SyncClientError.transport {
                    failures += 1
                }
                serve = try ServeProcess(store.cliArguments, port: serve.port)
            }
            var done = false
            var attempts = 0
            while !done {
                attempts += 1
                do {
                    let r = try await reviewer.push(panel: "P1", changes: batch)
                    #expect(r.results.allSatisfy { $0.status == .applied })
                    acknowledged += batch.count
                    done = true
                } catch {
                    failures += 1
                    if attempts > 50 { throw TestFailure("batch \(i) never acknowledged: \(error)") }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        #expect(killed && failures >= 1)
        #expect(acknowledged == total)
        let snap = try await chair.snapshot(panel: "P1")
        #expect(snap.sheets.reduce(0) { $0 + $1.points.count } == total)
        let storage = try store.open()
        let counts = try await storage.db.read { tx -> [Int64] in
            [try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE kind = 'set_points'")?.int("n") ?? -1,
             try await tx.one("SELECT COUNT(*) AS n FROM audit WHERE action = 'set_points'")?.int("n") ?? -1]
        }
        try await storage.close()
        #expect(counts == [Int64(total), Int64(total)])
        #expect(try await chair.verifyAudit().ok)
        // A resumed pull sees every change once.
        let pulled = try await reviewer.pullAll(panel: "P1", since: 0, pageSize: 7)
        #expect(pulled.changes.filter { $0.kind == .setPoints }.count == total)
        #expect(serve.terminate() == 0)
        // 401s are logged with the address.
        #expect(firstLog.contains("401 POST /v1/auth/exchange from 127.0.0.1"), "\(firstLog)")
    }

    @Test("serve --tls-cert/--tls-key answers HTTPS that curl verifies against the certificate")
    func tls() async throws {
        let store = try await TestStore(.sqlite)
        defer { Task { await store.destroy() } }
        let dir = store.dir.path
        let gen = Process()
        gen.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gen.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/key.pem",
                         "-out", "\(dir)/cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        gen.standardOutput = FileHandle.nullDevice
        gen.standardError = FileHandle.nullDevice
        try gen.run()
        gen.waitUntilExit()
        #expect(gen.terminationStatus == 0)
        #expect(try pingshen(["server", "init"] + store.cliArguments).code == 0)
        // Half a TLS pair is refused.
        let half = try pingshen(["serve", "--tls-cert", "\(dir)/cert.pem"] + store.cliArguments)
        #expect(half.code == 1 && half.err.contains("--tls-key"))
        let serve = try ServeProcess(store.cliArguments, extra: ["--tls-cert", "\(dir)/cert.pem", "--tls-key", "\(dir)/key.pem"])
        defer { _ = serve.terminate() }
        #expect(serve.log.contains("https://127.0.0.1:\(serve.port)"))
        func curl(_ args: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["curl", "-sS", "--max-time", "10"] + args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let (ok, body) = try curl(["--cacert", "\(dir)/cert.pem", "https://127.0.0.1:\(serve.port)/v1/health"])
        #expect(ok == 0)
        let health = try WireCoding.decoder().decode(HealthResponse.self, from: Data(body.utf8))
        #expect(health.status == "ok")
        // Without the certificate curl refuses the connection; plain HTTP gets no answer.
        #expect(try curl(["https://127.0.0.1:\(serve.port)/v1/health"]).0 != 0)
        let plain = try curl(["http://127.0.0.1:\(serve.port)/v1/health"])
        #expect(plain.0 != 0 || !plain.1.contains("\"ok\""))
    }
}
