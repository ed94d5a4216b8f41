// pingshen-bench: in-process benchmarks of the chair's computations on generated panels (issue 4 and 6):
// aggregation + outlier flags of a large panel, the xlsx export, peak memory, and outlier-detection
// precision/recall against what the generator planted. Prints one JSON object per command. bench/run.sh
// drives it; it is not a user command.
import Foundation
import PingshenCore
import PingshenReport
import PingshenRubricFormat

#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

func option(_ name: String, _ args: [String], default value: String) -> String {
    guard let i = args.firstIndex(of: "--\(name)"), i + 1 < args.count else { return value }
    return args[i + 1]
}

func loadRubric(_ id: String, root: String) -> Rubric {
    let configPath = "\(root)/Config/pingshen.yaml"
    let path = "\(root)/Rubrics/\(id).yaml"
    guard let configText = try? String(contentsOfFile: configPath, encoding: .utf8),
          let config = try? ConfigLoader.parse(configText, file: configPath).get(),
          let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
    switch RubricLoader.parse(text, file: path, config: config) {
    case .success(let r): return r.rubric
    case .failure(let e): fail(e.text(.en))
    }
}

func config(root: String) -> PingshenConfig {
    let path = "\(root)/Config/pingshen.yaml"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
          let c = try? ConfigLoader.parse(text, file: path).get() else { fail("cannot read \(path)") }
    return c
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Peak resident set size of this process, in MiB.
func peakRSSMiB() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_maxrss) / 1024
}

func snapshot(_ g: GeneratedPanel) -> PanelSnapshot {
    PanelSnapshot(panel: g.manifest.panelInfo, reviewers: g.manifest.reviewers, applicants: g.manifest.applicants,
                  data: g.data, sheets: g.sheets, recusals: g.manifest.recusals)
}

func printJSON(_ object: [String: Any]) {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { fail("json") }
    print(String(decoding: data, as: UTF8.self))
}

/// `aggregate`: one large generated panel; times aggregatePanel (all flags included) and the xlsx export,
/// writes the counted leaf scores as a tidy CSV for the pandas baseline, and a checksum both sides compute.
func aggregateBench(_ args: [String], root: String) {
    let rubricId = option("rubric", args, default: "tech-innovation-demo-enterprise")
    let applicants = Int(option("applicants", args, default: "2000")) ?? 2000
    let reviewers = Int(option("reviewers", args, default: "9")) ?? 9
    let repeats = Int(option("repeats", args, default: "5")) ?? 5
    let csvPath = option("csv", args, default: "")
    let rubric = loadRubric(rubricId, root: root)
    var cfg = config(root: root)
    cfg.aggregation.method = .auto
    let t0 = now()
    let opts = SampleOptions(panel: "bench", applicants: applicants, reviewers: reviewers, seed: 20261127)
    guard let g = try? SampleGenerator.generate(rubric: rubric, options: opts) else { fail("generate failed") }
    let generateS = now() - t0
    let snap = snapshot(g)
    var times: [Double] = []
    var results: PanelResults?
    for _ in 0..<repeats {
        let t = now()
        results = try? aggregatePanel(snap, rubric, config: cfg)
        times.append(now() - t)
    }
    guard let r = results else { fail("aggregate failed") }
    let t1 = now()
    guard let xlsx = try? ReportExporter.data(.xlsx, results: r, rubric: rubric, lang: .zh, date: "2026-11-27") else {
        fail("xlsx failed")
    }
    let xlsxS = now() - t1
    // Leaf scores counted: submitted sheets of non-recused reviewers, points leaves.
    let recused = Set(g.manifest.recusals.map { $0.reviewer + "/" + $0.applicant })
    var leafScores = 0
    var csv = "reviewer,applicant,leaf,points\n"
    csv.reserveCapacity(g.sheets.count * 24 * 20)
    for s in g.sheets where s.submitted && !recused.contains(s.reviewer + "/" + s.applicant) {
        leafScores += s.points.count
        if !csvPath.isEmpty {
            for (leaf, p) in s.points { csv += "\(s.reviewer),\(s.applicant),\(leaf),\(p)\n" }
        }
    }
    if !csvPath.isEmpty {
        do { try csv.write(toFile: csvPath, atomically: true, encoding: .utf8) } catch { fail("cannot write \(csvPath)") }
    }
    // Checksum: the sum over applicants of the combined reviewers' totals (totals view), which the pandas
    // script recomputes from the CSV (this rubric has no value leaves and no caps, so a reviewer's total is
    // the sum of their points).
    let checksum = r.applicants.compactMap(\.totalsView).reduce(0, +)
    let sorted = times.sorted()
    printJSON([
        "rubric": rubricId, "applicants": applicants, "reviewers": reviewers, "leaf_scores": leafScores,
        "generate_s": generateS, "aggregate_s": sorted[sorted.count / 2], "aggregate_best_s": sorted[0],
        "flags": r.flags.count, "xlsx_s": xlsxS, "xlsx_bytes": xlsx.count, "peak_rss_mib": peakRSSMiB(),
        "checksum": (checksum * 10000).rounded() / 10000, "value_leaves": rubric.leaves.filter { $0.input == .value }.count,
    ])
}

/// `detection`: precision and recall of the outlier flags against the generator's planted truth, over
/// several seeds. A planted harsh/lenient reviewer counts as found when flagged severe/lenient; a planted
/// wild score when its (reviewer, applicant, leaf) — or (reviewer, applicant) for a wild total — is flagged.
func detectionBench(_ args: [String], root: String) {
    let rubricId = option("rubric", args, default: "tech-innovation-demo-enterprise")
    let applicants = Int(option("applicants", args, default: "40")) ?? 40
    let reviewers = Int(option("reviewers", args, default: "7")) ?? 7
    let seeds = Int(option("seeds", args, default: "20")) ?? 20
    let rubric = loadRubric(rubricId, root: root)
    let cfg = config(root: root)
    var biasTP = 0, biasFP = 0, biasFN = 0, wildTP = 0, wildFP = 0, wildFN = 0
    for seed in 1...seeds {
        let opts = SampleOptions(panel: "det", applicants: applicants, reviewers: reviewers, seed: UInt64(seed),
                                 harsh: 1, lenient: seed % 2, bias: 10, wildRate: 0.03)
        guard let g = try? SampleGenerator.generate(rubric: rubric, options: opts),
              let r = try? aggregatePanel(snapshot(g), rubric, config: cfg) else { fail("seed \(seed) failed") }
        let plantedSevere = Set(g.planted.harsh.map(\.reviewer))
        let plantedLenient = Set(g.planted.lenient.map(\.reviewer))
        let flaggedSevere = Set(r.flags.filter { $0.kind == .severe }.compactMap(\.reviewer))
        let flaggedLenient = Set(r.flags.filter { $0.kind == .lenient }.compactMap(\.reviewer))
        biasTP += plantedSevere.intersection(flaggedSevere).count + plantedLenient.intersection(flaggedLenient).count
        biasFP += flaggedSevere.subtracting(plantedSevere).count + flaggedLenient.subtracting(plantedLenient).count
        biasFN += plantedSevere.subtracting(flaggedSevere).count + plantedLenient.subtracting(flaggedLenient).count
        // Wild scores: a planted wild leaf is found by a wild_score flag on it; a planted wild total by a
        // wild_total flag or a wild_score flag on the same sheet.
        let wildFlags = r.flags.filter { $0.kind == .wildScore || $0.kind == .wildTotal }
        var matched = Set<Int>()
        for w in g.planted.wild {
            if let i = wildFlags.indices.first(where: { i in
                let f = wildFlags[i]
                guard f.reviewer == w.reviewer, f.applicant == w.applicant else { return false }
                return w.leaf == nil || f.indicator == w.leaf
            }) {
                wildTP += 1
                // Every flag on the same sheet counts as explained by this planted score.
                for j in wildFlags.indices where wildFlags[j].reviewer == w.reviewer && wildFlags[j].applicant == w.applicant
                    && (w.leaf == nil || wildFlags[j].indicator == w.leaf || wildFlags[j].indicator == nil) {
                    matched.insert(j)
                }
                matched.insert(i)
            } else {
                wildFN += 1
            }
        }
        // Flags explained neither by a planted wild score nor by a planted biased reviewer are false positives.
        let biased = plantedSevere.union(plantedLenient)
        wildFP += wildFlags.indices.filter { !matched.contains($0) && !biased.contains(wildFlags[$0].reviewer ?? "") }.count
    }
    func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 1 : Double(a) / Double(b) }
    printJSON([
        "rubric": rubricId, "seeds": seeds, "applicants": applicants, "reviewers": reviewers,
        "bias_precision": ratio(biasTP, biasTP + biasFP), "bias_recall": ratio(biasTP, biasTP + biasFN),
        "wild_precision": ratio(wildTP, wildTP + wildFP), "wild_recall": ratio(wildTP, wildTP + wildFN),
        "bias_tp": biasTP, "bias_fp": biasFP, "bias_fn": biasFN, "wild_tp": wildTP, "wild_fp": wildFP, "wild_fn": wildFN,
    ])
}

/// `calibration` (issue 12): (1) the time to calibrate a partial design of `--applicants` × `--reviewers`
/// with `--per` sheets per applicant, grade-stability resampling included (median of `--repeats`);
/// (2) detection quality on generated partial designs of 40 applicants and 12 reviewers with one reviewer
/// 10 points harsh and one 10 points lenient (others N(0, 2²), noise N(0, 4²)), for 3, 4 and 5 reviewers
/// per applicant over `--seeds` seeds: severities recovered, scores and grades against the generator's
/// truth, raw (the default method: trimmed mean from 5 reviewers, mean below) vs adjusted.
func calibrationBench(_ args: [String]) {
    let applicants = Int(option("applicants", args, default: "2000")) ?? 2000
    let reviewers = Int(option("reviewers", args, default: "300")) ?? 300
    let per = Int(option("per", args, default: "5")) ?? 5
    let repeats = Int(option("repeats", args, default: "3")) ?? 3
    let seeds = Int(option("seeds", args, default: "20")) ?? 20
    let big = generatePartialDesign(applicants: applicants, reviewers: reviewers, perApplicant: per, severitySD: 3,
                                    noise: 4, shifts: [0: -10, 1: 10], seed: 20261201)
    var times: [Double] = []
    var last: CalibrationResult?
    for _ in 0..<max(1, repeats) {
        let t0 = now()
        last = calibrate(big.input)
        times.append(now() - t0)
    }
    times.sort()
    var designs: [[String: Any]] = []
    for m in [3, 4, 5] {
        var sevErr = 0.0, sevN = 0, rawErr = 0.0, adjErr = 0.0, scoreN = 0
        var rawGrades = 0, adjGrades = 0, harshFound = 0, lenientFound = 0, unstable = 0, flipped = 0
        for seed in 1...seeds {
            let s = generatePartialDesign(applicants: 40, reviewers: 12, perApplicant: m, severitySD: 2, noise: 4,
                                          shifts: [0: -10, 1: 10], low: 50, high: 98, seed: UInt64(1000 * m + seed))
            var input = s.input
            var byApp = [[Double]](repeating: [], count: 40)
            for sh in input.sheets { byApp[sh.applicant].append(sh.score) }
            input.raw = byApp.map { combineScores($0, method: effectiveMethod(.auto, count: $0.count, trimMinReviewers: 5)) }
            input.methods = byApp.map { effectiveMethod(.auto, count: $0.count, trimMinReviewers: 5) }
            let cal = calibrate(input, settings: CalibrationSettings(replicates: 200))
            let mean = s.severity.reduce(0, +) / Double(s.severity.count)
            for (i, r) in cal.reviewers.enumerated() {
                sevErr += (r.severity - (s.severity[i] - mean)) * (r.severity - (s.severity[i] - mean))
                sevN += 1
            }
            // Found: the planted harsh (lenient) reviewer has the lowest (highest) severity, beyond 2 SE.
            let sev = cal.reviewers.map(\.severity)
            if sev.min() == sev[0], let se = cal.reviewers[0].se, sev[0] < -2 * se { harshFound += 1 }
            if sev.max() == sev[1], let se = cal.reviewers[1].se, sev[1] > 2 * se { lenientFound += 1 }
            for (j, a) in cal.applicants.enumerated() {
                let truth = s.level[j]
                let raw = a.raw ?? 0, adj = a.adjusted ?? 0
                rawErr += (raw - truth) * (raw - truth)
                adjErr += (adj - truth) * (adj - truth)
                scoreN += 1
                let g = defaultCalibrationBands.firstIndex { truth + 1e-9 >= $0.min }
                if defaultCalibrationBands.firstIndex(where: { raw + 1e-9 >= $0.min }) == g { rawGrades += 1 }
                if defaultCalibrationBands.firstIndex(where: { adj + 1e-9 >= $0.min }) == g { adjGrades += 1 }
                if a.unstable { unstable += 1 }
            }
            flipped += cal.gradesChanged
        }
        designs.append([
            "per_applicant": m, "panels": seeds, "applicants": 40 * seeds,
            "severity_rmse": (sevErr / Double(max(sevN, 1))).squareRoot(),
            "harsh_found": harshFound, "lenient_found": lenientFound,
            "raw_rmse": (rawErr / Double(max(scoreN, 1))).squareRoot(),
            "adjusted_rmse": (adjErr / Double(max(scoreN, 1))).squareRoot(),
            "raw_grades_wrong": scoreN - rawGrades, "adjusted_grades_wrong": scoreN - adjGrades,
            "grades_changed_by_calibration": flipped, "unstable_raw_grades": unstable,
        ])
    }
    printJSON([
        "applicants": applicants, "reviewers": reviewers, "per_applicant": per, "sheets": last?.sheets ?? 0,
        "replicates": last?.replicates ?? 0, "calibrate_s": times[times.count / 2], "calibrate_best_s": times[0],
        "reviewer_sd": (last?.variance?.reviewer ?? 0).squareRoot(), "residual_sd": (last?.variance?.residual ?? 0).squareRoot(),
        "peak_rss_mib": peakRSSMiB(), "designs": designs,
    ])
}

// MARK: - Draw and assignment (issue 11)

/// Words for the bench's draws: SplitMix64 (the CLI's draw uses SHA-256 in counter mode, PingshenAudit's
/// DrawGenerator, about one SHA-256 block per four words; this bench measures the rest of the draw).
struct BenchWords: DrawRandomSource {
    var state: UInt64
    mutating func next64() -> UInt64 {
        state = splitMix64(state)
        return state
    }
}

/// Draw from a pool of `--pool` experts (eligibility with ties against `--applicants` applicants, the
/// snapshot's canonical text, Fisher–Yates, selection with quotas and one per organization), best and
/// median of 7.
func drawBench(_ args: [String]) {
    let n = Int(option("pool", args, default: "10000")) ?? 10000
    let na = Int(option("applicants", args, default: "200")) ?? 200
    let kinds = ["技术", "技术", "技术", "技术", "技术", "技术", "技术", "管理", "管理", "财务"]
    var g = BenchWords(state: 1)
    let pool = (0..<n).map { i -> Expert in
        Expert(id: String(format: "x%05d", i), name: "专家\(i)", organization: "单位\(g.uniform(below: n / 4))",
               kind: kinds[g.uniform(below: kinds.count)], fields: ["f\(g.uniform(below: 10))"], available: g.uniform(below: 20) > 0,
               ties: g.uniform(below: 30) == 0 ? [ExpertTie(target: "a\(g.uniform(below: na))")] : [])
    }
    let applicants = (0..<na).map { ApplicantProfile(id: "a\($0)", name: "申报单位\($0)", related: ["集团\($0 % 17)"]) }
    let rules = DrawRules(count: 15, kinds: [.init(kind: "技术", count: 11), .init(kind: "管理", count: 2), .init(kind: "财务", count: 2)],
                          reserve: 5, onePerOrganization: true)
    var times: [Double] = []
    var drawn = 0, candidates = 0
    for run in 0..<7 {
        let t0 = Date()
        let e = drawEligibility(pool: pool, applicants: applicants, rules: rules, inPanel: [])
        _ = canonicalCandidateText(e.candidates)
        var w = BenchWords(state: UInt64(run))
        let order = seededOrder(count: e.candidates.count, &w)
        if case .success(let sel) = selectDraw(e.candidates, order: order, rules: rules) { drawn = sel.drawn.count }
        times.append(Date().timeIntervalSince(t0))
        candidates = e.candidates.count
    }
    times.sort()
    printJSON(["pool": n, "applicants": na, "candidates": candidates, "drawn": drawn, "draw_s": times[times.count / 2],
               "draw_best_s": times[0], "target_s": 0.1])
}

/// Assign `--applicants` applicants × `--per` reviewers among `--reviewers` reviewers (min-cost flow with
/// field costs, connectivity check), best and median of 5.
func assignBench(_ args: [String]) {
    let na = Int(option("applicants", args, default: "2000")) ?? 2000
    let nr = Int(option("reviewers", args, default: "300")) ?? 300
    let k = Int(option("per", args, default: "5")) ?? 5
    var g = BenchWords(state: 3)
    var forbidden = Set<String>()
    for _ in 0..<(na / 2) { forbidden.insert(AssignmentProblem.key("r\(g.uniform(below: nr))", "a\(g.uniform(below: na))")) }
    let p = AssignmentProblem(reviewers: (0..<nr).map { "r\($0)" }, applicants: (0..<na).map { "a\($0)" }, perApplicant: k,
                              forbidden: forbidden, reviewerFields: (0..<nr).map { ["f\($0 % 7)", "f\(($0 + 3) % 7)"] },
                              applicantFields: (0..<na).map { "f\($0 % 7)" }, seed: 7)
    var times: [Double] = []
    var last: AssignmentResult?
    for _ in 0..<5 {
        let t0 = Date()
        if case .success(let r) = assignReviewers(p) { last = r }
        times.append(Date().timeIntervalSince(t0))
    }
    times.sort()
    let loads = last.map { Array($0.loads.values) } ?? []
    printJSON(["applicants": na, "reviewers": nr, "per_applicant": k, "forbidden_pairs": forbidden.count,
               "pairs": last?.pairs.count ?? 0, "assign_s": times[times.count / 2], "assign_best_s": times[0], "target_s": 2.0,
               "load_min": loads.min() ?? 0, "load_max": loads.max() ?? 0, "mean_load": last?.mean ?? 0,
               "off_balance": last?.offBalance.count ?? -1, "connected": last?.connected ?? false, "swaps": last?.swaps ?? 0])
}

let args = Array(CommandLine.arguments.dropFirst())
let root = option("root", args, default: FileManager.default.currentDirectoryPath)
switch args.first {
case "aggregate": aggregateBench(args, root: root)
case "detection": detectionBench(args, root: root)
case "calibration": calibrationBench(args)
case "draw": drawBench(args)
case "assign": assignBench(args)
default: fail("usage: pingshen-bench aggregate|detection|calibration|draw|assign [--root DIR] [--rubric R] [--applicants N] [--reviewers K] …")
}
