import Foundation
import PingshenCore
import PingshenStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Crash safety: real `pingshen score` sessions (piped standard input) and `pingshen import` /
/// `pingshen data import` / `pingshen panel create` runs, each a separate process, killed with SIGKILL
/// at random moments. After every kill the database must open, pass `PRAGMA integrity_check`, keep its
/// audit chain intact and agree with it, hold every line the session acknowledged, and hold each
/// import either whole or not at all.
///
/// Acknowledgement, precisely: the session commits a line's transaction (synchronous = FULL) and only
/// then writes `✓ LEAF = V (saved)` (or `✓ note for LEAF saved`) to standard error, then reads the
/// next line. Whatever the process wrote to its standard-error pipe before it died is still in the
/// pipe, so the harness reads it all after the kill and counts the acknowledgements A. The session
/// handles its input strictly in order, so the database must hold exactly the state after the first k
/// commands, with k = A (killed between lines) or k = A + 1 (killed after the commit of a line and
/// before its acknowledgement reached the pipe) — nothing acknowledged lost, nothing out of order,
/// and the audit log must hold exactly one row for each of those k commands that changed a value.
@Suite("Crash safety: SIGKILL at random points", .serialized)
struct CrashSafetyTests {
    /// At least this many kills per run; no new kill starts after `timeBudget` seconds.
    static let requiredKills = 200
    static let maxKills = 320
    static let timeBudget = 120.0
    /// A new database every this many kills (keeps the audit chains, verified after every kill, short).
    static let killsPerDatabase = 40

    @Test("Sessions, imports and panel creation killed at random points lose nothing acknowledged and leave no partial import")
    func killAtRandomPoints() throws {
        signal(SIGPIPE, SIG_IGN)
        var rng = SeededRandom(seed: testSeed("crash-safety"))
        var h = try Harness()
        let dir = h.dir
        defer { try? FileManager.default.removeItem(at: dir) }
        let started = now()
        var figures = Figures()
        while figures.kills < Self.maxKills && now() - started < Self.timeBudget {
            if figures.kills / Self.killsPerDatabase >= h.generation {
                try h.newDatabase(&rng, &figures)
                continue
            }
            let roll = rng.int(0..<100)
            if roll < 20 {
                try h.sessionCycle(&rng, &figures, killDuringStartup: true)
            } else if roll < 65 {
                try h.sessionCycle(&rng, &figures, killDuringStartup: false)
            } else if roll < 90 {
                try h.sheetImportCycle(&rng, &figures)
            } else {
                try h.dataImportCycle(&rng, &figures)
            }
            if figures.failures > 0 { break }
        }
        let elapsed = now() - started
        print("reliability: kills=\(figures.kills) (sessions \(figures.sessionKills), sheet imports \(figures.importKills), "
              + "data imports \(figures.dataImportKills), panel creations \(figures.createKills)) in \(String(format: "%.1f", elapsed)) s; "
              + "databases=\(h.generation); integrity_check ok=\(figures.integrityOK); audit chains verified=\(figures.chainsOK); "
              + "acknowledged lines checked=\(figures.acknowledgedChecked); committed-but-unacknowledged lines found=\(figures.inFlightCommitted); "
              + "session kills before first ack=\(figures.beforeFirstAck), mid-input=\(figures.midInput), after last ack=\(figures.afterLastAck); "
              + "imports found whole=\(figures.importsWhole), absent=\(figures.importsAbsent), partial=\(figures.importsPartial); "
              + "lost acknowledged lines=\(figures.lostAcknowledged)")
        #expect(figures.failures == 0)
        #expect(figures.kills >= Self.requiredKills, "only \(figures.kills) kills in \(elapsed) s")
        #expect(figures.importsPartial == 0)
        #expect(figures.lostAcknowledged == 0)
        // The random points did land in every phase.
        #expect(figures.beforeFirstAck > 0)
        #expect(figures.midInput > 0)
        #expect(figures.importsWhole > 0)
        #expect(figures.importsAbsent > 0)
    }
}

struct Figures {
    var kills = 0
    var sessionKills = 0
    var importKills = 0
    var dataImportKills = 0
    var createKills = 0
    var integrityOK = 0
    var chainsOK = 0
    var acknowledgedChecked = 0
    var inFlightCommitted = 0
    var beforeFirstAck = 0
    var midInput = 0
    var afterLastAck = 0
    var importsWhole = 0
    var importsAbsent = 0
    var importsPartial = 0
    var lostAcknowledged = 0
    var failures = 0
}

/// One score sheet's contents, as the model of what the database should hold.
private struct SheetState: Equatable {
    var points: [String: Double] = [:]
    var notes: [String: String] = [:]
}

/// One command of a session: a score or a note on a leaf (each reached with `g LEAF` first).
private enum SessionOp {
    case points(leaf: String, value: Double, typed: String)
    case note(leaf: String, text: String)

    var input: String {
        switch self {
        case .points(let leaf, _, let typed): return "g \(leaf)\n\(typed)\n"
        case .note(let leaf, let text): return "g \(leaf)\nn \(text)\n"
        }
    }

    /// The acknowledgement the session prints (English) after committing this command.
    var ack: String {
        switch self {
        case .points(let leaf, let value, _): return "✓ \(leaf) = \(formatNumber(value)) (saved)"
        case .note(let leaf, _): return "✓ note for \(leaf) saved"
        }
    }

    func apply(_ s: inout SheetState) -> (field: String, new: String)? {
        switch self {
        case .points(let leaf, let value, _):
            if s.points[leaf] == value { return nil }
            s.points[leaf] = value
            return (leaf, canonicalNumber(value))
        case .note(let leaf, let text):
            if s.notes[leaf] == text { return nil }
            s.notes[leaf] = text
            return ("note:\(leaf)", text)
        }
    }
}

/// Notes typed in sessions: Chinese, full-width forms, emoji, SQL-looking text, quotes, `#`.
private let noteTexts = [
    "进展良好，已核实", "见附件 #3", "'); DROP TABLE sheet_point; --", "Robert'); DELETE FROM audit;--",
    "ＡＢＣ１２３　全角", "专家意见：同意 👍", "\"quoted\" and \\backslash\\", "x' OR '1'='1", "评分依据：第 2.3 条",
    "%s %d {0} {1}", "null", "NULL", "-- comment", "/* c */", "中文 English 混合 ✔",
]

private let fullWidthDigits: [Character: Character] = [
    "0": "０", "1": "１", "2": "２", "3": "３", "4": "４", "5": "５", "6": "６", "7": "７", "8": "８", "9": "９", ".": "．",
]

/// Drives the processes and checks the database after each kill.
private struct Harness {
    let dir: URL
    let rubric: Rubric
    let pointsLeaves: [RubricNode]
    let valueLeaves: [RubricNode]
    var db = ""
    var generation = 0
    var lastSeq: Int64 = 0
    var importCount = 0
    /// Calibrated durations (seconds) of this machine, now: session start-up to the first prompt, one
    /// session command, a sheet import, a data import, a panel creation.
    var startup = 0.1
    var perCommand = 0.005
    var importTime = 0.2
    var dataImportTime = 0.1
    var createTime = 0.1

    static let sessionReviewers = ["r1", "r2", "r3", "r4"]
    static let importReviewers = ["r5", "r6"]
    static let applicants = ["a1", "a2", "a3", "a4"]
    static let round = "初评"

    init() throws {
        dir = try tempDir("crash")
        rubric = try loadRubric("manufacturing-innovation-center")
        pointsLeaves = rubric.leaves.filter { $0.input != .value }
        valueLeaves = rubric.leaves.filter { $0.input == .value }
    }

    // MARK: Databases

    /// Starts a new database: a `panel create` killed at a random moment first, then (when the kill
    /// left no panel) the panel created through the store; reviewers and applicants; calibration.
    mutating func newDatabase(_ rng: inout SeededRandom, _ f: inout Figures) throws {
        generation += 1
        db = dir.appendingPathComponent("gen\(generation).sqlite").path
        if generation > 1 {
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: dir.appendingPathComponent("gen\(generation - 1).sqlite\(suffix)").path)
            }
        }
        if generation == 1 {
            // Calibrate panel creation on a scratch file.
            let scratch = dir.appendingPathComponent("scratch.sqlite").path
            let t0 = now()
            let r = try runToEnd(["--db", scratch, "panel", "create", "P1", "--rubric", rubric.id, "--title", "校准"])
            createTime = now() - t0
            #expect(r.code == 0, "panel create failed: \(r.err)")
        }
        let create = try Child(pingshenPath, ["--db", db, "panel", "create", "P1", "--rubric", rubric.id,
                                              "--title", "崩溃测试", "--actor", "sec"])
        create.closeStdin()
        usleep(UInt32(Double.random(in: 0...(createTime * 1.2), using: &rng) * 1e6))
        create.kill9()
        let end = create.wait()
        create.drain()
        if end.killedBySIGKILL {
            f.kills += 1
            f.createKills += 1
        } else {
            #expect(end.exitCode == 0, "panel create failed: \(create.stderrText)")
        }
        // The file may not exist yet (killed before SQLite created it); if it does, it opens and is sound.
        var havePanel = false
        if FileManager.default.fileExists(atPath: db) {
            let store = try PanelStore(path: db)
            try check(store, &f, context: "after a panel create killed")
            let panels = try store.panels().map(\.id)
            #expect(panels == [] || panels == ["P1"], "panels after a killed create: \(panels)")
            havePanel = panels == ["P1"]
            if end.exitCode == 0 { #expect(havePanel, "panel create reported success but no panel") }
        }
        let store = try PanelStore(path: db, create: true)
        if !havePanel {
            try store.createPanel(PanelInfo(id: "P1", rubricId: rubric.id, title: "崩溃测试", round: Self.round), actor: "sec")
        }
        for r in Self.sessionReviewers + Self.importReviewers {
            try store.addReviewer(panel: "P1", ReviewerInfo(id: r, name: "专家 \(r)"), actor: "sec")
        }
        for a in Self.applicants {
            try store.addApplicant(panel: "P1", ApplicantInfo(id: a, name: "申报单位 \(a)'); DROP TABLE applicant; --"),
                                   actor: "sec")
        }
        lastSeq = try store.auditLog(panel: "P1").last?.seq ?? 0
        try calibrate(&rng, &f)
    }

    /// Measures this machine's speed now: one session run to its last acknowledgement, one import of
    /// each kind run to the end.
    mutating func calibrate(_ rng: inout SeededRandom, _ f: inout Figures) throws {
        let ops = (0..<8).map { _ in randomOp(&rng) }
        let t0 = now()
        let c = try Child(pingshenPath, sessionArgs("r1", "a1"))
        guard c.waitFor("] > ", timeout: 30) else {
            Issue.record("calibration session never prompted: \(c.stderrText)")
            f.failures += 1
            return
        }
        let t1 = now()
        c.write(ops.map(\.input).joined())
        let acked = c.waitFor(ops.last?.ack ?? "", timeout: 30)
        let t2 = now()
        c.closeStdin()
        c.drain()
        _ = c.wait()
        #expect(acked, "calibration session: \(c.stderrText)")
        startup = t1 - t0
        perCommand = max(0.0005, (t2 - t1) / Double(ops.count))
        // Imports, run to the end (they count as cycles whose kill came too late).
        let t3 = now()
        let (file, _) = try writeSheetImport(&rng)
        let r = try runToEnd(["--db", db, "import", "P1", file, "--reason", "calibration"])
        importTime = now() - t3
        #expect(r.code == 0, "calibration import: \(r.err)")
        let t4 = now()
        let (dfile, _) = try writeDataImport(&rng, current: [:])
        let d = try runToEnd(["--db", db, "data", "import", "P1", dfile])
        dataImportTime = now() - t4
        #expect(d.code == 0, "calibration data import: \(d.err)")
        let store = try PanelStore(path: db)
        lastSeq = try store.auditLog(panel: "P1").last?.seq ?? 0
    }

    func sessionArgs(_ r: String, _ a: String) -> [String] {
        ["--db", db, "--lang", "en", "score", "P1", "--reviewer", r, "--applicant", a]
    }

    // MARK: Checks

    /// The database opens (done by the caller), is sound, and its audit chain verifies and agrees with the rows.
    func check(_ store: PanelStore, _ f: inout Figures, context: String) throws {
        let integrity = try store.integrityCheck()
        #expect(integrity == "ok", "integrity_check \(context): \(integrity)")
        if integrity == "ok" { f.integrityOK += 1 } else { f.failures += 1 }
        guard (try store.panels()).contains(where: { $0.id == "P1" }) else { return }
        let chain = try store.verifyAuditChain(panel: "P1")
        #expect(chain.isIntact, "audit chain \(context): \(chain.problem?.text(.en) ?? "")")
        let data = try store.verifyDataAgainstAudit(panel: "P1")
        #expect(data.isConsistent, "data vs audit \(context): \(data.problems.prefix(3).map { $0.text(.en) })")
        if chain.isIntact && data.isConsistent { f.chainsOK += 1 } else { f.failures += 1 }
    }

    func sheetState(_ store: PanelStore, _ r: String, _ a: String) throws -> SheetState {
        let s = try store.sheet(panel: "P1", reviewer: r, applicant: a)
        return SheetState(points: s?.points ?? [:], notes: s?.notes ?? [:])
    }

    // MARK: Sessions

    func randomOp(_ rng: inout SeededRandom) -> SessionOp {
        let leaf = rng.pick(pointsLeaves)
        if rng.chance(0.15) { return .note(leaf: leaf.id, text: rng.pick(noteTexts)) }
        let v = randomPoints(leaf, &rng)
        var typed = formatNumber(v)
        if case .award? = leaf.rule, rng.chance(0.5) {
            typed = v > 0 ? rng.pick(["yes", "是", "YES"]) : rng.pick(["no", "否"])
        } else if rng.chance(0.2) {
            typed = String(typed.map { fullWidthDigits[$0] ?? $0 })
        }
        return .points(leaf: leaf.id, value: v, typed: typed)
    }

    mutating func sessionCycle(_ rng: inout SeededRandom, _ f: inout Figures, killDuringStartup: Bool) throws {
        let r = rng.pick(Self.sessionReviewers), a = rng.pick(Self.applicants)
        let before: SheetState
        do {
            let store = try PanelStore(path: db)
            before = try sheetState(store, r, a)
        }
        let ops = (0..<rng.int(1...10)).map { _ in randomOp(&rng) }
        let input = ops.map(\.input).joined()
        let c = try Child(pingshenPath, sessionArgs(r, a))
        if killDuringStartup {
            // Everything typed ahead; the kill lands anywhere from exec to the last command.
            c.write(input)
            let span = startup + perCommand * Double(ops.count)
            usleep(UInt32(Double.random(in: 0...(span * 1.1), using: &rng) * 1e6))
        } else {
            // Wait for the first prompt, type everything, kill a few milliseconds later.
            guard c.waitFor("] > ", timeout: 30) else {
                Issue.record("session never prompted: \(c.stderrText)")
                f.failures += 1
                return
            }
            c.write(input)
            usleep(UInt32(Double.random(in: 0...(perCommand * Double(ops.count) * 1.3), using: &rng) * 1e6))
        }
        c.kill9()
        let end = c.wait()
        c.drain()
        guard end.killedBySIGKILL else {
            Issue.record("the session ended by itself (status \(end.status)) before the kill: \(c.stderrText)")
            f.failures += 1
            return
        }
        f.kills += 1
        f.sessionKills += 1

        // The acknowledgements, in order; each must be the next command's.
        let err = c.stderrText
        #expect(!err.contains("not saved"), "a line was refused: \(err)")
        let acks = err.components(separatedBy: "✓ ").dropFirst().map { "✓ " + ($0.split(separator: "\n", maxSplits: 1).first ?? "") }
        let acked = acks.count
        #expect(acked <= ops.count)
        for (i, ack) in acks.enumerated() where i < ops.count && ack != ops[i].ack {
            Issue.record("acknowledgement \(i + 1) is “\(ack)”, expected “\(ops[i].ack)”")
            f.failures += 1
        }
        if acked == 0 { f.beforeFirstAck += 1 } else if acked < ops.count { f.midInput += 1 } else { f.afterLastAck += 1 }

        // The states after 0…n commands, and the audit rows each prefix implies.
        var states = [before]
        var rows: [[(String, String)]] = [[]]
        var s = before
        var changed: [(String, String)] = []
        for op in ops {
            if let c = op.apply(&s) { changed.append((c.field, c.new)) }
            states.append(s)
            rows.append(changed)
        }
        let store = try PanelStore(path: db)
        try check(store, &f, context: "after a session kill (\(acked) of \(ops.count) acknowledged)")
        let found = try sheetState(store, r, a)
        let candidates = [acked, acked + 1].filter { $0 <= ops.count }
        guard let k = candidates.first(where: { states[$0] == found }) else {
            Issue.record("""
                after \(acked) acknowledgements of \(ops.count) the sheet \(r)/\(a) holds \(found), \
                expected \(candidates.map { states[$0] })
                """)
            f.failures += 1
            f.lostAcknowledged += 1
            return
        }
        if k > acked { f.inFlightCommitted += 1 }
        f.acknowledgedChecked += acked
        let entity = "sheet:\(r)/\(a)/\(Self.round)"
        let log = try store.auditLog(panel: "P1", afterSeq: lastSeq)
        let got = log.map { "\($0.entity) \($0.field ?? "") \($0.new ?? "")" }
        let want = rows[k].map { "\(entity) \($0.0) \($0.1)" }
        #expect(got == want, "audit rows after the kill")
        if got != want { f.failures += 1 }
        lastSeq = log.last?.seq ?? lastSeq
    }

    // MARK: Imports

    /// A sheet-import file for the import reviewers: every points leaf of every sheet, new random
    /// values, and a note naming the import. Returns the path and the expected sheets.
    mutating func writeSheetImport(_ rng: inout SeededRandom) throws -> (String, [String: SheetState]) {
        importCount += 1
        var blocks: [String] = []
        var expected: [String: SheetState] = [:]
        for r in Self.importReviewers {
            for a in Self.applicants {
                var points: [String: Double] = [:]
                for leaf in pointsLeaves { points[leaf.id] = randomPoints(leaf, &rng) }
                let noteLeaf = rng.pick(pointsLeaves).id
                let notes = [noteLeaf: "import \(importCount): \(rng.pick(noteTexts))"]
                blocks.append(LineFormatWriter.sheetBlock(
                    panel: "P1", sheet: SheetRecord(reviewer: r, applicant: a, round: Self.round, points: points, notes: notes),
                    order: pointsLeaves.map(\.id)))
                expected["\(r)/\(a)"] = SheetState(points: points, notes: notes)
            }
        }
        let path = dir.appendingPathComponent("import-\(importCount).txt").path
        try LineFormatWriter.join(blocks).write(toFile: path, atomically: true, encoding: .utf8)
        return (path, expected)
    }

    mutating func sheetImportCycle(_ rng: inout SeededRandom, _ f: inout Figures) throws {
        var before: [String: SheetState] = [:]
        do {
            let store = try PanelStore(path: db)
            for r in Self.importReviewers {
                for a in Self.applicants { before["\(r)/\(a)"] = try sheetState(store, r, a) }
            }
        }
        let (file, imported) = try writeSheetImport(&rng)
        // What the import leaves when it is applied: its values replace those of the same leaves,
        // its notes are added.
        var after = before
        var changes = 0
        for (key, new) in imported {
            var s = after[key] ?? SheetState()
            for (leaf, v) in new.points where s.points[leaf] != v { s.points[leaf] = v; changes += 1 }
            for (leaf, n) in new.notes where s.notes[leaf] != n { s.notes[leaf] = n; changes += 1 }
            after[key] = s
        }
        let reason = "import-\(importCount)"
        let c = try Child(pingshenPath, ["--db", db, "import", "P1", file, "--reason", reason])
        c.closeStdin()
        usleep(UInt32(Double.random(in: 0...(importTime * 1.2), using: &rng) * 1e6))
        c.kill9()
        let end = c.wait()
        c.drain()
        if end.killedBySIGKILL {
            f.kills += 1
            f.importKills += 1
        } else {
            #expect(end.exitCode == 0, "import failed: \(c.stderrText)")
        }
        let store = try PanelStore(path: db)
        try check(store, &f, context: "after an import kill")
        var found: [String: SheetState] = [:]
        for key in before.keys {
            let parts = key.split(separator: "/").map(String.init)
            found[key] = try sheetState(store, parts[0], parts[1])
        }
        let log = try store.auditLog(panel: "P1", afterSeq: lastSeq)
        lastSeq = log.last?.seq ?? lastSeq
        let rows = log.filter { $0.reason == reason }.count
        if found == after && rows == changes {
            f.importsWhole += 1
        } else if found == before && rows == 0 && log.isEmpty {
            f.importsAbsent += 1
            #expect(end.exitCode != 0, "the import reported success but nothing is in the database")
        } else {
            Issue.record("partial import \(reason): \(rows) of \(changes) audit rows")
            f.importsPartial += 1
            f.failures += 1
        }
    }

    /// A data-import file: new values for the value leaves of every applicant.
    mutating func writeDataImport(_ rng: inout SeededRandom, current: [String: ApplicantData])
        throws -> (String, [String: [String: Double]]) {
        importCount += 1
        var blocks: [String] = []
        var expected: [String: [String: Double]] = [:]
        for a in Self.applicants {
            var values: [String: Double] = [:]
            for leaf in valueLeaves {
                var v = Double(rng.int(0...10_000)) / 100
                if current[a]?.values[leaf.id] == v { v += 0.01 }
                values[leaf.id] = v
            }
            blocks.append(LineFormatWriter.dataBlock(panel: "P1", applicant: a, data: ApplicantData(values: values),
                                                     order: valueLeaves.map(\.id)))
            expected[a] = values
        }
        let path = dir.appendingPathComponent("data-\(importCount).txt").path
        try LineFormatWriter.join(blocks).write(toFile: path, atomically: true, encoding: .utf8)
        return (path, expected)
    }

    mutating func dataImportCycle(_ rng: inout SeededRandom, _ f: inout Figures) throws {
        let before: [String: ApplicantData]
        do {
            before = try PanelStore(path: db).allData(panel: "P1")
        }
        let (file, values) = try writeDataImport(&rng, current: before)
        let c = try Child(pingshenPath, ["--db", db, "data", "import", "P1", file])
        c.closeStdin()
        usleep(UInt32(Double.random(in: 0...(dataImportTime * 1.2), using: &rng) * 1e6))
        c.kill9()
        let end = c.wait()
        c.drain()
        if end.killedBySIGKILL {
            f.kills += 1
            f.dataImportKills += 1
        } else {
            #expect(end.exitCode == 0, "data import failed: \(c.stderrText)")
        }
        let store = try PanelStore(path: db)
        try check(store, &f, context: "after a data import kill")
        let found = try store.allData(panel: "P1")
        let log = try store.auditLog(panel: "P1", afterSeq: lastSeq)
        lastSeq = log.last?.seq ?? lastSeq
        let whole = Self.applicants.allSatisfy { a in
            valueLeaves.allSatisfy { found[a]?.values[$0.id] == values[a]?[$0.id] }
        }
        if whole && log.count == Self.applicants.count * valueLeaves.count {
            f.importsWhole += 1
        } else if found == before && log.isEmpty {
            f.importsAbsent += 1
            #expect(end.exitCode != 0, "the data import reported success but nothing is in the database")
        } else {
            Issue.record("partial data import: \(log.count) audit rows")
            f.importsPartial += 1
            f.failures += 1
        }
    }
}
