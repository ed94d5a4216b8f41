import Foundation
import PingshenCore
import Testing

/// Fuzzing of the line format: the parser and both resolvers against the three real rubrics.
///
/// Properties, for every input: no crash; no input takes longer than `perInputLimit`; a refusal is a
/// list of catalog messages, each naming the file and a line of it (the one whole-file refusal, “the
/// file holds no block”, names no line); an accepted input round-trips — the sheets or data it gave,
/// written back with `LineFormatWriter` and read again, give exactly the same values and notes.
@Suite("Fuzzing the line format")
struct LineFormatFuzzTests {
    static let inputsPerRun = 90_000
    static let timeBudget = 80.0
    static let perInputLimit = 3.0
    static let reviewers: Set<String> = ["r1", "r2", "r3"]
    static let applicants: Set<String> = ["a1", "a2", "a3"]
    static let wholeFile: Set<String> = ["line.no_blocks"]

    @Test("Mutated sheets and data files: no crash, no hang, every refusal located, every acceptance round-trips")
    func fuzz() throws {
        var rng = SeededRandom(seed: testSeed("line-format-fuzz"))
        let rubrics = try bundledRubricIds.map(loadRubric)
        let indexes = rubrics.map(RubricIndex.init)
        // Pools of valid files (sheets and data for each rubric), mutated below.
        var pools: [[[UInt8]]] = []
        for r in rubrics {
            pools.append((0..<150).map { _ in Array(validSheetFile(r, &rng).utf8) })
            pools.append((0..<150).map { _ in Array(validDataFile(r, &rng).utf8) })
        }
        var stats = FuzzStats()
        let started = now()
        while stats.inputs < Self.inputsPerRun && now() - started < Self.timeBudget {
            let pi = rng.int(0..<pools.count)
            let valid = rng.pick(pools[pi])
            // One input in ten is left valid (it must be accepted and round-trip); the rest are mutated.
            let bytes = rng.chance(0.1) ? valid : mutate(valid, &rng)
            let t0 = now()
            check(bytes, rubric: rubrics[pi / 2], index: indexes[pi / 2], &stats)
            let dt = now() - t0
            stats.slowest = max(stats.slowest, dt)
            if dt > Self.perInputLimit { stats.fail("took \(dt) s", bytes) }
            stats.inputs += 1
            if stats.failures.count >= 5 { break }
        }
        let elapsed = now() - started
        print("reliability: line-format inputs=\(stats.inputs) accepted=\(stats.accepted) refused=\(stats.refused) "
              + "round-trips=\(stats.roundTrips) slowest=\(String(format: "%.1f", stats.slowest * 1000)) ms "
              + "in \(String(format: "%.1f", elapsed)) s")
        for f in stats.failures { Issue.record("\(f)") }
        #expect(stats.inputs >= Self.inputsPerRun, "only \(stats.inputs) inputs in \(elapsed) s")
        #expect(stats.accepted > 0 && stats.refused > 0)
    }

    /// Parses one input and resolves it both as sheets and as data — what `import` and `data import`
    /// do — and checks the properties.
    func check(_ bytes: [UInt8], rubric: Rubric, index: RubricIndex, _ stats: inout FuzzStats) {
        let file = "fuzz.txt"
        lazy var lines = lineCount(bytes)
        let (blocks, parseErrors) = parseLineBlocks(bytes: bytes, file: file)
        if !parseErrors.isEmpty {
            for p in locationProblems(parseErrors, file: file, lines: lines, wholeFile: Self.wholeFile) {
                stats.fail("parse: \(p)", bytes)
            }
        }
        var sheetErrors = parseErrors
        switch resolveSheets(blocks, file: file, index: index, panel: "P1", reviewers: Self.reviewers,
                             applicants: Self.applicants) {
        case .failure(let e): sheetErrors += e.errors
        case .success(let sheets):
            if parseErrors.isEmpty { roundTripSheets(sheets, bytes, index: index, &stats) }
        }
        if sheetErrors.isEmpty {
            stats.accepted += 1
        } else {
            stats.refused += 1
            for p in locationProblems(sheetErrors, file: file, lines: lines, wholeFile: Self.wholeFile) {
                stats.fail("sheets: \(p)", bytes)
            }
        }
        var dataErrors = parseErrors
        switch resolveData(blocks, file: file, index: index, panel: "P1", applicants: Self.applicants) {
        case .failure(let e): dataErrors += e.errors
        case .success(let data):
            if parseErrors.isEmpty { roundTripData(data, bytes, rubric: rubric, index: index, &stats) }
        }
        if dataErrors.isEmpty {
            stats.accepted += 1
        } else {
            stats.refused += 1
            for p in locationProblems(dataErrors, file: file, lines: lines, wholeFile: Self.wholeFile) {
                stats.fail("data: \(p)", bytes)
            }
        }
    }

    func roundTripSheets(_ sheets: [SheetInput], _ input: [UInt8], index: RubricIndex, _ stats: inout FuzzStats) {
        let records = sheets.map { SheetRecord(reviewer: $0.reviewer, applicant: $0.applicant, round: "初评",
                                               points: $0.points, notes: $0.notes) }
        let text = LineFormatWriter.join(records.map { LineFormatWriter.sheetBlock(panel: "P1", sheet: $0, order: index.leafOrder) })
        switch readSheets(bytes: Array(text.utf8), file: "again.txt", index: index, panel: "P1",
                          reviewers: Self.reviewers, applicants: Self.applicants) {
        case .failure(let e):
            stats.fail("written sheets refused: \(e.text(.en))\n--- written ---\n\(text)", input)
        case .success(let again):
            let same = again.count == sheets.count && zip(again, sheets).allSatisfy {
                $0.reviewer == $1.reviewer && $0.applicant == $1.applicant && $0.points == $1.points && $0.notes == $1.notes
            }
            if !same {
                var diff: [String] = []
                for (x, y) in zip(sheets, again) {
                    for k in Set(x.points.keys).union(y.points.keys) where x.points[k] != y.points[k] {
                        diff.append("\(x.reviewer)/\(x.applicant) \(k): \(String(describing: x.points[k])) → \(String(describing: y.points[k]))")
                    }
                    for k in Set(x.notes.keys).union(y.notes.keys) where x.notes[k] != y.notes[k] {
                        diff.append("\(x.reviewer)/\(x.applicant) note \(k): \(String(reflecting: x.notes[k])) → \(String(reflecting: y.notes[k]))")
                    }
                }
                stats.fail("sheets do not round-trip (\(sheets.count) → \(again.count) sheets): \(diff)\n--- written ---\n\(text)", input)
            }
            stats.roundTrips += 1
        }
    }

    func roundTripData(_ data: [DataInput], _ input: [UInt8], rubric: Rubric, index: RubricIndex, _ stats: inout FuzzStats) {
        let order = index.leafOrder
        let text = LineFormatWriter.join(data.map {
            LineFormatWriter.dataBlock(panel: "P1", applicant: $0.applicant,
                                       data: ApplicantData(values: $0.values, industry: $0.industry), order: order)
        })
        let (blocks, parseErrors) = parseLineBlocks(bytes: Array(text.utf8), file: "again.txt")
        if !parseErrors.isEmpty {
            stats.fail("written data refused: \(PingshenErrors(parseErrors).text(.en))\n--- written ---\n\(text)", input)
            return
        }
        switch resolveData(blocks, file: "again.txt", index: index, panel: "P1", applicants: Self.applicants) {
        case .failure(let e):
            stats.fail("written data refused: \(e.text(.en))\n--- written ---\n\(text)", input)
        case .success(let again):
            let same = again.count == data.count && zip(again, data).allSatisfy {
                $0.applicant == $1.applicant && $0.industry == $1.industry && $0.values == $1.values
            }
            if !same {
                var diff: [String] = []
                for (x, y) in zip(data, again) {
                    if x.industry != y.industry { diff.append("\(x.applicant) industry \(String(reflecting: x.industry)) → \(String(reflecting: y.industry))") }
                    for k in Set(x.values.keys).union(y.values.keys) where x.values[k] != y.values[k] {
                        diff.append("\(x.applicant) \(k): \(String(describing: x.values[k])) → \(String(describing: y.values[k]))")
                    }
                }
                stats.fail("data does not round-trip (\(data.count) → \(again.count) blocks): \(diff)\n--- written ---\n\(text)", input)
            }
            stats.roundTrips += 1
        }
    }
}

// MARK: - Valid inputs

private let noteSamples = ["进展良好，已核实（见附件）", "见现场记录 #2", "'; DROP TABLE sheet_point; --", "全角：ＡＢＣ　１２３",
                           "emoji 👍 ok", "a # b = c: d", "\"q\" \\ e", "x' OR '1'='1"]

/// Separators, as a person might type them: ASCII or full-width, with or without blanks.
private func sep(_ ascii: String, _ full: String, _ rng: inout SeededRandom) -> String {
    let s = rng.chance(0.2) ? full : ascii
    return rng.pick(["", " ", "  ", "\t", "　"]) + s + rng.pick(["", " ", "\t"])
}

private func numberText(_ v: Double, _ rng: inout SeededRandom) -> String {
    let t = formatNumber(v, decimals: 4)
    if rng.chance(0.15) {
        let map: [Character: Character] = ["0": "０", "1": "１", "2": "２", "3": "３", "4": "４", "5": "５", "6": "６",
                                           "7": "７", "8": "８", "9": "９", ".": "．"]
        return String(t.map { map[$0] ?? $0 })
    }
    return t
}

/// A valid sheet file: one to three blocks of random valid points (and notes) for the panel P1.
func validSheetFile(_ rubric: Rubric, _ rng: inout SeededRandom) -> String {
    let leaves = rubric.leaves.filter { $0.input != .value }
    var blocks: [String] = []
    var pairs = Array(LineFormatFuzzTests.reviewers.sorted().flatMap { r in LineFormatFuzzTests.applicants.sorted().map { (r, $0) } })
    pairs.shuffle(using: &rng)
    for (r, a) in pairs.prefix(rng.int(1...2)) {
        var lines: [String] = []
        if rng.chance(0.3) { lines.append("# 评分表 \(r) × \(a)") }
        lines.append("panel" + sep(":", "：", &rng) + "P1")
        lines.append("reviewer" + sep(":", "：", &rng) + r)
        lines.append("applicant" + sep(":", "：", &rng) + a + (rng.chance(0.2) ? "  # 备注" : ""))
        for leaf in leaves where rng.chance(0.3) {
            let v = randomPoints(leaf, &rng)
            var value = numberText(v, &rng)
            if case .award? = leaf.rule, rng.chance(0.4) { value = v > 0 ? rng.pick(["yes", "是", "YES"]) : rng.pick(["no", "否"]) }
            lines.append(leaf.id + sep("=", "＝", &rng) + value)
            if rng.chance(0.1) { lines.append("note \(leaf.id): \(rng.pick(noteSamples))") }
            if rng.chance(0.05) { lines.append("") }
        }
        blocks.append(lines.joined(separator: "\n") + "\n")
    }
    var text = blocks.joined(separator: rng.pick(["---\n", "----\n", "---\n\n", "－－－\n"]))
    if rng.chance(0.05) { text = "\u{FEFF}" + text }
    if rng.chance(0.05) { text = text.replacingOccurrences(of: "\n", with: "\r\n") }
    return text
}

/// A valid applicant-data file: values of value leaves and gate fields within their units.
func validDataFile(_ rubric: Rubric, _ rng: inout SeededRandom) -> String {
    let valueLeaves = rubric.leaves.filter { $0.input == .value }
    var gateFields: [(String, Gate)] = []
    for v in rubric.eligibility { for g in v.gates { gateFields.append((g.field, g)) } }
    var blocks: [String] = []
    for a in LineFormatFuzzTests.applicants.sorted().shuffled(using: &rng).prefix(rng.int(1...2)) {
        var lines = ["panel: P1", "applicant" + sep(":", "：", &rng) + a]
        if let table = rubric.industries, let ind = table.rows.randomElement(using: &rng) {
            lines.append("industry: " + ind.name)
        }
        var values: [String: Double] = [:]
        for leaf in valueLeaves where rng.chance(0.4) {
            let v: Double
            switch leaf.rule {
            case .tiers(let tiers)?: v = rng.pick(tiers).points
            case .discretionary?, .award?: v = randomPoints(leaf, &rng)
            default: v = Double(rng.int(0...100_000)) / Double(rng.pick([1, 10, 100, 1000, 10_000, 1_000_000]))
            }
            values[leaf.id] = v
        }
        // 其中 items no larger than what they are part of.
        for leaf in valueLeaves {
            if let parent = leaf.of, let pv = values[parent], let cv = values[leaf.id], cv > pv { values[leaf.id] = pv }
            if let parent = leaf.of, values[leaf.id] != nil, values[parent] == nil { values[leaf.id] = nil }
        }
        for leaf in valueLeaves {
            guard let v = values[leaf.id] else { continue }
            let pct = leaf.unit == "%" && rng.chance(0.5) ? rng.pick(["%", "％", " %"]) : ""
            lines.append(leaf.id + sep("=", "＝", &rng) + numberText(v, &rng) + pct)
            if rng.chance(0.1) { lines.append("note \(leaf.id): \(rng.pick(noteSamples))") }
        }
        for (field, gate) in gateFields where values[field] == nil && rubric.nodesWithPath.allSatisfy({ $0.node.id != field }) && rng.chance(0.5) {
            if gate.op == .yes {
                lines.append("\(field) = \(rng.pick(["yes", "no", "是", "否"]))")
            } else {
                lines.append("\(field) = \(numberText(Double(rng.int(0...2000)) / 10, &rng))")
            }
            values[field] = 0
        }
        blocks.append(lines.joined(separator: "\n") + "\n")
    }
    return blocks.joined(separator: "---\n")
}
