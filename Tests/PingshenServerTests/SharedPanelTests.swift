import Foundation
@testable import PingshenServer
import PingshenCore
import PingshenSync
import PingshenWire
import Testing

/// The end of the shared-panel story, as users run it: a reviewer on two panels of one server, and a panel
/// sealed on the server and verified on the chair's laptop, a reviewer's laptop and the server itself.
@Suite("A shared panel: tokens per panel, seal and verify everywhere", .serialized)
struct SharedPanelTests {
    /// A sheet file for one reviewer and applicant: every points leaf of the demo rubric at `points`.
    static func sheet(_ dir: String, panel: String, reviewer: String, applicant: String, points: Double,
                      leaves: [String]) throws -> String {
        let path = "\(dir)/\(panel)-\(reviewer)-\(applicant).txt"
        try (["panel: \(panel)", "reviewer: \(reviewer)", "applicant: \(applicant)"] + leaves.map { "\($0) = \(points)" })
            .joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("A reviewer enrolled on two panels of one server keeps both tokens and syncs both from one config directory",
          arguments: Backend.enabled)
    func reviewerOnTwoPanels(_ backend: Backend) async throws {
        let store = try await TestStore(backend)
        defer { Task { await store.destroy() } }
        let home = store.dir.path
        let leaves = try demoRubric().leaves.filter { $0.input != .value }.map(\.id)
        let initRun = try pingshen(["server", "init"] + store.cliArguments)
        let chairCode = try #require(initRun.out.split(separator: "\n").last.map(String.init))
        let serve = try ServeProcess(store.cliArguments)
        let server = serve.url.absoluteString
        defer { _ = serve.terminate() }

        let chair = Machine(name: "chair", home: home)
        try chair.run(["login", "--server", server, "--code", chairCode, "--device", "chair-laptop"])
        for p in ["P1", "P2"] {
            try chair.run(["panel", "create", p, "--rubric", demoRubricId, "--title", "面板 \(p)", "--quorum", "1"])
            try chair.run(["reviewer", "add", p, "r1", "--name", "张三"])
            try chair.run(["applicant", "add", p, "a1", "--name", "申报单位甲"])
            try chair.run(["push", p, "--server", server])
        }
        let r1 = Machine(name: "r1-laptop", home: home)
        for p in ["P1", "P2"] {
            let code = try #require(try chair.run(["server", "enrol", p, "r1", "--server", server]).out
                .split(separator: "\n").last.map(String.init))
            try r1.run(["login", "--server", server, "--code", code, "--device", "r1-laptop"])
            try r1.run(["sync", "--server", server, p])
        }
        // Both tokens are kept and listed; logging in for P2 did not replace P1's.
        let listed = try r1.run(["login"]).out
        #expect(listed.contains("panel P1") && listed.contains("panel P2"), "\(listed)")
        #expect(try CredentialStore(directory: "\(home)/r1-laptop/pingshen").credentials(for: server).count == 2)
        // Reviewer names travel with the panel: the laptop shows 张三, not the id.
        let shown = try r1.run(["panel", "show", "P1"]).out
        #expect(shown.contains("张三"), "\(shown)")

        // Scores of both panels, then one sync without a panel: both are pushed, each with its own token.
        for (p, v) in [("P1", 1.0), ("P2", 2.0)] {
            try r1.run(["import", p, try Self.sheet(home, panel: p, reviewer: "r1", applicant: "a1", points: v, leaves: leaves),
                        "--submit"])
        }
        let sync = try r1.run(["sync"])
        #expect(sync.out.contains("P1: sent 23 local changes") && sync.out.contains("P2: sent 23 local changes"), "\(sync.out)")
        #expect(!sync.err.contains("HTTP 403"), "\(sync.err)")
        for (p, v) in [("P1", 1.0), ("P2", 2.0)] {
            let json = try chair.run(["results", p, "--server", server, "--json"]).out
            #expect(json.contains("\"total\" : \(Int(v * 22))") || json.contains("\"total\":\(Int(v * 22))"), "\(p): \(json)")
        }

        // A token the server no longer accepts is said as such: nothing is claimed to be resent.
        let other = Machine(name: "r1-laptop", home: home)
        let credFile = "\(home)/r1-laptop/pingshen/credentials.json"
        let text = try String(contentsOfFile: credFile, encoding: .utf8)
        let token = try #require(try CredentialStore(directory: "\(home)/r1-laptop/pingshen").credential(for: server, panel: "P1")).token
        try text.replacingOccurrences(of: token, with: "not-a-token").write(toFile: credFile, atomically: true, encoding: .utf8)
        try other.run(["import", "P1", try Self.sheet(home, panel: "P1", reviewer: "r1", applicant: "a1", points: 1, leaves: leaves)],
                      expect: 1)   // submitted: refused locally, nothing queued
        let denied = try other.run(["sync", "P1"], expect: 1)
        #expect(denied.err.contains("refused this device's token") && !denied.err.contains("the next sync resends"), "\(denied.err)")
    }

    @Test("The walkthrough ends verified: finalize on the chair's linked copy seals the server; verify passes on the chair's laptop, a reviewer's laptop and the server; a server row edited directly is caught",
          arguments: Backend.enabled)
    func sealAndVerifyEverywhere(_ backend: Backend) async throws {
        let store = try await TestStore(backend)
        defer { Task { await store.destroy() } }
        let home = store.dir.path
        let leaves = try demoRubric().leaves.filter { $0.input != .value }.map(\.id)
        let initRun = try pingshen(["server", "init"] + store.cliArguments)
        let chairCode = try #require(initRun.out.split(separator: "\n").last.map(String.init))
        let serve = try ServeProcess(store.cliArguments)
        let server = serve.url.absoluteString
        defer { _ = serve.terminate() }

        let chair = Machine(name: "chair", home: home)
        try chair.run(["login", "--server", server, "--code", chairCode, "--device", "chair-laptop"])
        try chair.run(["panel", "create", "P1", "--rubric", demoRubricId, "--title", "2025 示范企业", "--quorum", "2"])
        let reviewers = ["r1", "r2", "r3"]
        for r in reviewers { try chair.run(["reviewer", "add", "P1", r, "--name", "专家" + r]) }
        for a in ["a1", "a2"] { try chair.run(["applicant", "add", "P1", a, "--name", "申报单位" + a]) }
        try chair.run(["reviewer", "recuse", "P1", "r3", "--applicant", "a2", "--reason", "曾任该单位顾问"])
        try chair.run(["push", "P1", "--server", server])
        var machines: [String: Machine] = [:]
        for r in reviewers {
            let m = Machine(name: "\(r)-laptop", home: home)
            let code = try #require(try chair.run(["server", "enrol", "P1", r, "--server", server]).out
                .split(separator: "\n").last.map(String.init))
            try m.run(["login", "--server", server, "--code", code, "--device", m.name])
            try m.run(["sync", "--server", server, "P1"])
            for (i, a) in ["a1", "a2"].enumerated() where !(r == "r3" && a == "a2") {
                let v = Double(reviewers.firstIndex(of: r) ?? 0) * 0.5 + Double(i) * 0.5 + 0.5
                try m.run(["import", "P1", try Self.sheet(home, panel: "P1", reviewer: r, applicant: a, points: v, leaves: leaves),
                           "--submit"])
            }
            try m.run(["sync"])
            machines[r] = m
        }
        let r1 = try #require(machines["r1"]), r2 = try #require(machines["r2"])
        // Every recusal is on every copy (r1's laptop shows r3's recusal, not "not started").
        let status = try r1.run(["status", "P1", "--json"]).out
        #expect(status.contains("r3") && status.lowercased().contains("recus"), "\(status)")

        // The chair's copy follows the server; before the release r2's laptop holds only r2's sheets.
        try chair.run(["sync", "P1"])
        let partial = try r2.run(["verify", "P1"])
        #expect(partial.out.contains("holding only this reviewer's sheets"), "\(partial.out)")
        try chair.run(["server", "release", "P1", "--server", server])
        try r1.run(["sync"])

        // finalize on the chair's linked copy seals the server, and the copy follows with the same digests.
        let finalize = try chair.run(["finalize", "P1"])
        let digest = try #require(finalize.out.split(separator: "\n").first { $0.hasPrefix("inputs:") }.map(String.init))
        #expect(try chair.run(["audit", "P1", "--json"]).out.contains(digest))
        // A reviewer's copy cannot be finalized: the message names the server seal.
        let refused = try r2.run(["finalize", "P1"], expect: 1)
        #expect(refused.err.contains("pingshen server seal P1"), "\(refused.err)")
        for m in [r1, r2] { try m.run(["sync"]) }

        // verify passes on the chair's laptop, on r1's laptop (which holds every sheet after the release), and
        // on the server; r2's laptop synced after the release too.
        for m in [chair, r1, r2] {
            let v = try m.run(["verify", "P1"])
            #expect(v.out.contains("Verified: panel P1") && v.out.contains(String(digest.dropFirst("inputs:".count).prefix(64))),
                    "\(m.name): \(v.out) \(v.err)")
        }
        let onServer = try chair.run(["verify", "P1", "--server", server])
        #expect(onServer.out.contains("audit chain of the server") && onServer.out.contains("Verified: panel P1"), "\(onServer.out)")

        // The auditor's script recomputes the chair's chain from its JSON export and agrees with verify.
        let logPath = "\(home)/audit.json"
        try chair.run(["audit", "P1", "--json"]).out.write(toFile: logPath, atomically: true, encoding: .utf8)
        let script = try pythonRun(["\(serverRepoRoot)/scripts/audit_chain.py", logPath])
        #expect(script.code == 0 && script.out.contains("\"ok\": true"), "\(script.out)\(script.err)")
        let rows = try JSONSerialization.jsonObject(with: Data(try String(contentsOfFile: logPath, encoding: .utf8).utf8)) as? [[String: Any]]
        #expect(script.out.contains("\"rows\": \(rows?.count ?? -1)"), "\(script.out)")
        // The same script catches an edited row of the export.
        var edited = try #require(rows)
        let k = edited.count / 2
        edited[k]["new"] = "99"
        try JSONSerialization.data(withJSONObject: edited).write(to: URL(fileURLWithPath: logPath))
        let caught = try pythonRun(["\(serverRepoRoot)/scripts/audit_chain.py", logPath])
        #expect(caught.code == 1 && caught.out.contains("\"first_bad\": \(k + 1)"), "\(caught.out)")

        // A score edited directly in the server's database is caught by verify --server.
        let storage = try store.open()
        try await storage.db.write { tx in
            try await tx.execute("UPDATE sheet_cells SET points = points + 1 WHERE panel = 'P1' AND reviewer = 'r1' AND applicant = 'a1' AND leaf = ?",
                                 [.text(leaves[0])])
        }
        try await storage.close()
        let tampered = try chair.run(["verify", "P1", "--server", server], expect: 1)
        #expect(tampered.err.contains("inputs") && tampered.err.contains("P1"), "\(tampered.err)")
    }
}

/// Runs python3 with the arguments.
func pythonRun(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

@Suite("The server's command line says what went wrong", .serialized)
struct ServerCLIMessageTests {
    @Test("server init on a store that is set up asks for --new-admin-code; serve on a busy port says the port is in use")
    func initTwiceAndBusyPort() async throws {
        let store = try await TestStore(.sqlite)
        defer { Task { await store.destroy() } }
        let first = try pingshen(["server", "init"] + store.cliArguments)
        #expect(first.code == 0, "\(first.err)")
        let again = try pingshen(["server", "init"] + store.cliArguments)
        #expect(again.code == 1 && again.err.contains("already set up") && again.err.contains("--new-admin-code"), "\(again.err)")
        let deliberate = try pingshen(["server", "init", "--new-admin-code"] + store.cliArguments)
        #expect(deliberate.code == 0 && deliberate.out.split(separator: "\n").last?.count ?? 0 > 8, "\(deliberate.err)")

        let serve = try ServeProcess(store.cliArguments)
        defer { _ = serve.terminate() }
        let busy = try pingshen(["serve"] + store.cliArguments + ["--port", String(serve.port)])
        #expect(busy.code == 1 && busy.err.contains("the port is in use: 127.0.0.1:\(serve.port)"), "\(busy.err)")
        #expect(!busy.err.contains("server database error"), "\(busy.err)")
    }
}
