import Foundation
import PingshenCore
import PingshenRubricFormat

/// The repository root, found from this file's path.
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

let repoConfig: PingshenConfig = {
    let path = repoRoot + "/Config/pingshen.yaml"
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return (try? ConfigLoader.parse(text, file: path).get()) ?? PingshenConfig()
}()

enum TestFailure: Error { case message(String) }

func bundledRubric(_ id: String) throws -> Rubric {
    let path = "\(repoRoot)/Rubrics/\(id).yaml"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    switch RubricLoader.parse(text, file: path, config: repoConfig) {
    case .success(let r): return r.rubric
    case .failure(let e): throw TestFailure.message(e.text(.en))
    }
}

/// Names that must survive every export unharmed: markup, ampersands, quotes, SQL-looking text, a
/// spreadsheet formula, a comma and a line break.
let hostileNames = [
    "华东智能装备创新中心",
    "<script>alert('x')</script>有限公司",
    "Smith & Sons \"精密\" 研究院",
    "'; DROP TABLE sheets; --",
    "=HYPERLINK(\"http://example.invalid\",\"点我\")",
    "北方,材料\n研究院",
    "南方先进制造创新中心",
]

/// A deterministic generator of small panels on the manufacturing-innovation-center rubric (variant
/// `upgrade`, so gates apply): quality evenly spread, discretionary points with small noise, one harsh
/// reviewer (r3), one wild score (r5 gives 0 on `goals` to the fourth applicant), one recusal (r2 from the
/// first), one applicant failing a gate (the sixth: no transferred technology), and one with too few
/// sheets (the seventh: two).
func samplePanel() throws -> (PanelSnapshot, Rubric) {
    let rubric = try bundledRubric("manufacturing-innovation-center")
    var state: UInt64 = 42
    func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
    func normal() -> Double { (0..<12).reduce(0.0) { acc, _ in acc + unit() } - 6 }
    let reviewers = (1...6).map { ReviewerInfo(id: "r\($0)", name: $0 == 1 ? "<b>张三</b>" : "专家\($0)") }
    let applicants = hostileNames.enumerated().map { ApplicantInfo(id: "A\($0.offset + 1)", name: $0.element) }
    var data: [String: ApplicantData] = [:]
    var sheets: [SheetRecord] = []
    for (ai, a) in applicants.enumerated() {
        let q = 0.5 + 0.45 * Double(ai) / Double(applicants.count - 1)
        data[a.id] = ApplicantData(values: [
            "rd-staff-share": 50 + q * 10, "rd-spending-share": 30 + q * 5, "platform-coverage": 51 + q * 10,
            "legal-person": 1, "top10-shareholders": 1, "tech-transferred": ai == 5 ? 0 : 2,
        ])
        for r in reviewers {
            if ai == 6 && r.id != "r1" && r.id != "r2" { continue }
            if ai == 0 && r.id == "r2" { continue }
            var pts: [String: Double] = [:]
            for leaf in rubric.leaves where leaf.input != .value {
                let w = leaf.weight
                switch leaf.rule {
                case .discretionary(let step)?:
                    let s = step ?? 0.1
                    let v = (q - (r.id == "r3" ? 0.18 : 0)) * w + 0.03 * w * normal()
                    pts[leaf.id] = min(w, max(0, (v / s).rounded() * s))
                case .tiers(let tiers)?:
                    pts[leaf.id] = tiers.min { abs($0.points - q * w) < abs($1.points - q * w) }?.points ?? 0
                default:
                    pts[leaf.id] = q >= 0.6 ? w : 0
                }
            }
            if ai == 3 && r.id == "r5" { pts["goals"] = 0 }
            sheets.append(SheetRecord(reviewer: r.id, applicant: a.id, round: "初评", points: pts, submitted: true))
        }
    }
    let panel = PanelInfo(id: "MIC-2025", rubricId: rubric.id, title: "2025年度创新中心考核 <第一组> & “复核”", round: "初评",
                          variant: "upgrade")
    let snapshot = PanelSnapshot(panel: panel, reviewers: reviewers, applicants: applicants, data: data, sheets: sheets,
                                 recusals: [Recusal(reviewer: "r2", applicant: "A1", reason: "曾任该中心顾问")])
    return (snapshot, rubric)
}

/// Runs a program and returns its exit code, standard output and standard error.
func run(_ executable: String, _ args: [String]) throws -> (code: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// A fresh temporary directory.
func tempDir() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("pingshen-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
