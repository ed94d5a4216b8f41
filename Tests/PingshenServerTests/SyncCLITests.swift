import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import PingshenServer
import PingshenCore
import PingshenSync
import PingshenWire
import Testing

/// Runs `pingshen` with the given standard input (nil: none) and environment.
func pingshenIn(_ args: [String], stdin: String? = nil, env: [String: String]) throws -> (code: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = pingshenExecutable
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment
    environment["PINGSHEN_LANG"] = "en"
    environment["PINGSHEN_RUBRICS"] = "\(serverRepoRoot)/Rubrics"
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = stdin == nil ? FileHandle.nullDevice : inp
    try p.run()
    if let stdin {
        inp.fileHandleForWriting.write(Data(stdin.utf8))
        try inp.fileHandleForWriting.close()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// One user's machine: its own config directory (token) and its own local database.
struct Machine {
    let name: String
    let home: String
    var env: [String: String] { ["XDG_CONFIG_HOME": "\(home)/\(name)", "PINGSHEN_DB": "\(home)/\(name).sqlite"] }

    @discardableResult
    func run(_ args: [String], stdin: String? = nil, expect: Int32? = 0, _ comment: Comment? = nil,
             sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> (code: Int32, out: String, err: String) {
        let r = try pingshenIn(args, stdin: stdin, env: env)
        if let expect {
            #expect(r.code == expect, "\(name): pingshen \(args.joined(separator: " ")) → \(r.code)\n\(r.out)\n\(r.err)",
                    sourceLocation: sourceLocation)
        }
        return r
    }

    /// Points of one leaf on a sheet as this machine's database holds them (nil: no sheet or no points).
    func points(_ reviewer: String, _ applicant: String, _ leaf: String) throws -> Double? {
        let r = try run(["sheet", "show", "P1", "--reviewer", reviewer, "--applicant", applicant, "--json"], expect: nil)
        guard r.code == 0, let obj = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any] else { return nil }
        return Self.findPoints(obj, leaf)
    }

    static func findPoints(_ any: Any, _ leaf: String) -> Double? {
        if let d = any as? [String: Any] {
            if (d["id"] as? String) == leaf, let p = d["points"] as? Double { return p }
            if let pts = d["points"] as? [String: Any], let p = pts[leaf] as? Double { return p }
            for v in d.values { if let p = findPoints(v, leaf) { return p } }
        } else if let a = any as? [Any] {
            for v in a { if let p = findPoints(v, leaf) { return p } }
        }
        return nil
    }
}

@Suite("pingshen push / sync / results --server: offline-first sync through the CLI", .serialized)
struct SyncCLITests {
    @Test("Three machines and a server: offline scoring, a second device, conflicts, an interrupted sync, release, seal",
          arguments: Backend.enabled)
    func panelThroughSync(_ backend: Backend) async throws {
        let store = try await TestStore(backend)
        defer { Task { await store.destroy() } }
        let home = store.dir.path
        let leaves = try demoRubric().leaves.filter { $0.input != .value }.map(\.id)
        #expect(leaves.count == 22)

        let initRun = try pingshen(["server", "init"] + store.cliArguments)
        #expect(initRun.code == 0, "\(initRun.err)")
        let chairCode = try #require(initRun.out.split(separator: "\n").last.map(String.init))
        var serve = try ServeProcess(store.cliArguments)
        let server = serve.url.absoluteString
        defer { _ = serve.terminate() }

        // The chair: login, the panel created locally, push, enrol two reviewers.
        let chair = Machine(name: "chair", home: home)
        try chair.run(["login", "--server", server, "--code", chairCode, "--device", "chair-laptop"])
        try chair.run(["panel", "create", "P1", "--rubric", demoRubricId, "--title", "2025 示范企业", "--quorum", "2"])
        for r in ["r1", "r2"] { try chair.run(["reviewer", "add", "P1", r, "--name", "专家" + r]) }
        for a in ["a1", "a2"] { try chair.run(["applicant", "add", "P1", a, "--name", "申报单位" + a]) }
        let push = try chair.run(["push", "P1", "--server", server])
        #expect(push.out.contains("uploaded panel P1"))
        func enrol(_ r: String) throws -> String {
            let e = try chair.run(["server", "enrol", "P1", r, "--server", server])
            return e.out.split(separator: "\n").last.map(String.init) ?? ""
        }

        // Each reviewer logs in and syncs: the first sync creates the local panel from the server.
        let r1 = Machine(name: "r1-laptop", home: home)
        let r2 = Machine(name: "r2-laptop", home: home)
        for (m, r) in [(r1, "r1"), (r2, "r2")] {
            try m.run(["login", "--server", server, "--code", try enrol(r), "--device", m.name])
            // r2 names no panel: the token's panel is the one.
            let first = try m.run(["sync", "--server", server] + (r == "r1" ? ["P1"] : []))
            #expect(first.out.contains("created the local panel P1"), "\(first.out)")
        }

        // The server goes away; both reviewers score a1 offline in the interactive session (piped stdin) and submit.
        #expect(serve.terminate() == 0)
        let answers = String(repeating: "1\n", count: leaves.count)
        for (m, r) in [(r1, "r1"), (r2, "r2")] {
            try m.run(["score", "P1", "--reviewer", r, "--applicant", "a1"], stdin: answers)
            try m.run(["sheet", "submit", "P1", "--reviewer", r, "--applicant", "a1"])
        }
        let offline = try r1.run(["sync", "--retries", "2"], expect: 1)
        #expect(offline.err.contains("sync not finished") && offline.err.contains("outbox"), "\(offline.err)")
        #expect(offline.err.contains("Couldn't connect") && !offline.err.contains("NSErrorFailingURLKey"), "\(offline.err)")

        // The server comes back on the same port; sync pushes the outbox; the chair's results read the server.
        serve = try ServeProcess(store.cliArguments, port: serve.port)
        for m in [r1, r2] {
            let s = try m.run(["sync"])
            #expect(s.out.contains("sent 23 local changes (23 applied, 0 replayed, 0 refused)"), "\(s.out)")
        }
        let results = try chair.run(["results", "P1", "--server", server, "--json"])
        #expect(results.out.contains("\"total\" : 22") || results.out.contains("\"total\":22"), "\(results.out)")
        let table = try chair.run(["results", "P1", "--server", server])
        #expect(table.out.contains("a1") && table.out.contains("22"))
        try chair.run(["export", "P1", "--server", server, "--format", "csv", "--out", "\(home)/p1.csv"])
        #expect(FileManager.default.fileExists(atPath: "\(home)/p1.csv"))
        // A reviewer may not read the panel's snapshot, nor see r1's sheet before the release.
        let denied = try r2.run(["results", "P1", "--server", server], expect: 1)
        #expect(denied.err.contains("HTTP 403"))
        #expect(try r2.points("r1", "a1", leaves[0]) == nil)

        // A second device of r1 receives r1's sheet.
        let r1b = Machine(name: "r1-desktop", home: home)
        try r1b.run(["login", "--server", server, "--code", try enrol("r1"), "--device", r1b.name])
        try r1b.run(["sync", "--server", server, "P1"])
        #expect(try r1b.points("r1", "a1", leaves[5]) == 1)

        // Both devices edit the same score of a2 before syncing: the server's last write wins on both.
        let leaf = leaves[0]
        func sheetFile(_ name: String, _ lines: [String]) throws -> String {
            let path = "\(home)/\(name).txt"
            try (["panel: P1", "reviewer: r1", "applicant: a2"] + lines).joined(separator: "\n")
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        try r1.run(["import", "P1", try sheetFile("laptop", ["\(leaf) = 2"])])
        try r1b.run(["import", "P1", try sheetFile("desktop", ["\(leaf) = 1.5"])])
        try r1.run(["sync"])
        try r1b.run(["sync"])     // received after the laptop's: wins
        let lost = try r1.run(["sync"])
        #expect(try r1.points("r1", "a2", leaf) == 1.5)
        // The laptop is told which score it lost, its value, the winning value and who wrote it; the desktop is not.
        #expect(lost.err.contains("this device's value 2 of r1/a2 \(leaf) was replaced by the later value 1.5")
                && lost.err.contains("r1@r1-desktop"), "\(lost.err)")
        #expect(try r1.run(["sync", "--conflicts", "P1"]).out.contains("replaced by the later value 1.5"))
        #expect(try r1b.run(["sync", "--conflicts", "P1"]).out.contains("no score of this device was replaced"))
        #expect(try r1b.points("r1", "a2", leaf) == 1.5)
        let storage = try store.open()
        let writes = try await storage.db.read { tx -> [String] in
            try await tx.query("SELECT actor, new FROM audit WHERE action = 'set_points' AND target = ? ORDER BY id",
                             [.text("r1/a2/初评/\(leaf)")]).map { "\($0.text("actor") ?? "")=\($0.text("new") ?? "")" }
        }
        #expect(writes.count == 2, "\(writes)")
        #expect(writes.first?.contains("r1-laptop") == true && writes.last?.contains("r1-desktop") == true, "\(writes)")

        // A sync killed mid-push (the server frozen while the first batch is in flight), then run again:
        // every change arrives exactly once.
        try r1.run(["import", "P1", try sheetFile("rest", leaves.dropFirst().map { "\($0) = 0.5" })])
        kill(serve.process.processIdentifier, SIGSTOP)
        let killed = Process()
        killed.executableURL = pingshenExecutable
        killed.arguments = ["sync", "--batch", "5"]
        var kEnv = ProcessInfo.processInfo.environment
        for (k, v) in r1.env { kEnv[k] = v }
        kEnv["PINGSHEN_RUBRICS"] = "\(serverRepoRoot)/Rubrics"
        killed.environment = kEnv
        killed.standardOutput = FileHandle.nullDevice
        killed.standardError = FileHandle.nullDevice
        try killed.run()
        try await Task.sleep(for: .milliseconds(1500))
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        kill(serve.process.processIdentifier, SIGCONT)
        try await Task.sleep(for: .milliseconds(300))
        let resumed = try r1.run(["sync"])
        #expect(resumed.out.contains("sent 21 local changes"), "\(resumed.out)")
        #expect(!resumed.err.contains("waiting in the outbox"))
        let counts = try await storage.db.read { tx -> [Int64] in
            [try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE kind = 'set_points' AND reviewer = 'r1' AND applicant = 'a2'")?.int("n") ?? -1,
             try await tx.one("SELECT COUNT(DISTINCT change_id) AS n FROM changes WHERE kind = 'set_points' AND reviewer = 'r1' AND applicant = 'a2'")?.int("n") ?? -1,
             try await tx.one("SELECT COUNT(*) AS n FROM audit WHERE action = 'set_points' AND target LIKE 'r1/a2/%'")?.int("n") ?? -1]
        }
        #expect(counts == [23, 23, 23], "\(counts)")   // 2 conflicting writes + 21 leaves, each once
        let chairToken = try #require(try CredentialStore(directory: "\(home)/chair/pingshen").credential(for: server, panel: nil)).token
        let snap = try await PingshenSyncClient(baseURL: serve.url, token: chairToken).snapshot(panel: "P1")
        let a2 = try #require(snap.sheets.first { $0.reviewer == "r1" && $0.applicant == "a2" })
        #expect(a2.points.count == 22 && a2.points[leaf] == 1.5 && a2.points[leaves[21]] == 0.5)

        // `sync --watch` sends a change made while it runs, and SIGINT stops it cleanly.
        let watcher = Process()
        watcher.executableURL = pingshenExecutable
        watcher.arguments = ["sync", "--watch", "--interval", "1"]
        var wEnv = ProcessInfo.processInfo.environment
        for (k, v) in r2.env { wEnv[k] = v }
        wEnv["PINGSHEN_LANG"] = "en"
        wEnv["PINGSHEN_RUBRICS"] = "\(serverRepoRoot)/Rubrics"
        watcher.environment = wEnv
        let watchOut = OutputBuffer()
        let wPipe = Pipe(), wOutPipe = Pipe()
        let watchStdout = OutputBuffer()
        watcher.standardOutput = wOutPipe
        watcher.standardError = wPipe
        wPipe.fileHandleForReading.readabilityHandler = { h in watchOut.append(h.availableData) }
        wOutPipe.fileHandleForReading.readabilityHandler = { h in watchStdout.append(h.availableData) }
        try watcher.run()
        let r2File = "\(home)/r2-a2.txt"
        try "panel: P1\nreviewer: r2\napplicant: a2\n\(leaves[1]) = 2.5\n".write(toFile: r2File, atomically: true, encoding: .utf8)
        try r2.run(["import", "P1", r2File])
        var seen = false
        for _ in 0..<100 where !seen {
            try await Task.sleep(for: .milliseconds(100))
            let snapNow = try await PingshenSyncClient(baseURL: serve.url, token: chairToken).snapshot(panel: "P1")
            seen = snapNow.sheets.first { $0.reviewer == "r2" && $0.applicant == "a2" }?.points[leaves[1]] == 2.5
        }
        #expect(seen, "\(watchOut.text)")
        kill(watcher.processIdentifier, SIGINT)
        watcher.waitUntilExit()
        #expect(watcher.terminationStatus == 0)
        #expect(watchOut.text.contains("sync stopped"), "\(watchOut.text)")
        // What was done is on standard output; a round that changed nothing prints nothing.
        #expect(watchStdout.text.contains("sent 1 local changes"), "\(watchStdout.text)")
        #expect(!watchStdout.text.contains("received 0 server changes"), "\(watchStdout.text)")

        // The chair adds an applicant and pushes again: the reviewer's next sync brings it, and it can be scored.
        try chair.run(["applicant", "add", "P1", "a3", "--name", "申报单位a3"])
        try chair.run(["push", "P1", "--server", server])
        let refreshed = try r2.run(["sync"])
        #expect(refreshed.out.contains("the chair updated the panel"), "\(refreshed.out)")
        try "panel: P1\nreviewer: r2\napplicant: a3\n\(leaves[0]) = 3\n".write(toFile: r2File, atomically: true, encoding: .utf8)
        try r2.run(["import", "P1", r2File])
        try r2.run(["sync"])
        let withA3 = try await PingshenSyncClient(baseURL: serve.url, token: chairToken).snapshot(panel: "P1")
        #expect(withA3.sheets.first { $0.reviewer == "r2" && $0.applicant == "a3" }?.points[leaves[0]] == 3)
        #expect(withA3.sheets.first { $0.reviewer == "r1" && $0.applicant == "a2" }?.points.count == 22)   // sheets kept

        // The chair releases the scores: r2 now receives r1's sheets.
        try chair.run(["server", "release", "P1", "--server", server])
        try r2.run(["sync"])
        #expect(try r2.points("r1", "a1", leaves[0]) == 1)

        // The chair seals the panel; a change the desktop made before it knew is refused at sync and reported.
        // A sheet with every score but not submitted does not count: the seal names it and waits for it.
        let early = try chair.run(["server", "seal", "P1", "--server", server], expect: 1)
        #expect(early.err.contains("not submitted") && early.err.contains("r1/a2"), "\(early.err)")
        try chair.run(["server", "seal", "P1", "--server", server, "--allow-incomplete"])
        try r1b.run(["sync"])
        let r1bBeforeSeal = try r1b.points("r1", "a2", leaves[3])
        #expect(r1bBeforeSeal == 0.5)
        let late = try r1.run(["import", "P1", try sheetFile("late", ["\(leaves[3]) = 3"])])
        #expect(late.code == 0)
        let refused = try r1.run(["sync"])
        #expect(refused.err.contains("refused the change set_points r1/a2 \(leaves[3]) (local value 3)"), "\(refused.err)")
        #expect(refused.err.lowercased().contains("sealed"), "\(refused.err)")
        // The local copy is back at the server's value; the refused value is kept in the outbox and listed.
        #expect(try r1.points("r1", "a2", leaves[3]) == 0.5)
        let listed = try r1.run(["sync", "--refused", "P1"])
        #expect(listed.out.contains("local value 3"))
        // The pull carried the seal: the local copy now refuses changes at once.
        let afterSeal = try r1.run(["import", "P1", try sheetFile("after", ["\(leaves[3]) = 2"])], expect: 1)
        #expect(afterSeal.err.lowercased().contains("sealed"), "\(afterSeal.err)")
        // The server kept the sealed value.
        let sealedSnap = try await PingshenSyncClient(baseURL: serve.url, token: chairToken).snapshot(panel: "P1")
        #expect(sealedSnap.panel.sealed)
        #expect(sealedSnap.sheets.first { $0.reviewer == "r1" && $0.applicant == "a2" }?.points[leaves[3]] == 0.5)
        // Local audit chains stayed intact through every pulled change.
        for m in [r1, r1b, r2] { try m.run(["audit", "P1", "--check"]) }
        try await storage.close()
    }
}
