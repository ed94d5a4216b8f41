import Foundation
import PingshenCore
import PingshenRubricFormat
import PingshenStore
import Testing

/// A temporary directory with a database path, for running `pingshen` against a fresh store.
struct Sandbox {
    let dir: URL
    let db: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pingshen-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        db = dir.appendingPathComponent("panel.sqlite").path
    }

    /// Writes a file into the sandbox and returns its path.
    @discardableResult
    func file(_ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Runs `pingshen --db DB args…`.
    func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> (code: Int32, out: String, err: String) {
        try runPingshen(["--db", db] + args, stdin: stdin, env: env)
    }

    /// Runs and requires exit 0, returning standard output.
    @discardableResult
    func ok(_ args: [String], stdin: String? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> String {
        let r = try run(args, stdin: stdin)
        #expect(r.code == 0, "pingshen \(args.joined(separator: " ")) failed: \(r.err)", sourceLocation: sourceLocation)
        return r.out
    }

    func store() throws -> PanelStore { try PanelStore(path: db) }

    /// A panel P1 on `rubric` with reviewers r1…rN and applicants a1…aM.
    func panel(_ rubric: String, reviewers: Int = 2, applicants: Int = 2, id: String = "P1") throws {
        try ok(["panel", "create", id, "--rubric", rubric, "--title", "测试评审组"])
        for i in 1...reviewers { try ok(["reviewer", "add", id, "r\(i)", "--name", "专家\(i)"]) }
        for i in 1...applicants { try ok(["applicant", "add", id, "a\(i)", "--name", "申报单位\(i)"]) }
    }
}

/// A bundled rubric, loaded as the binary loads it.
func cliRubric(_ id: String) throws -> Rubric {
    let path = "\(cliRepoRoot)/Rubrics/\(id).yaml"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let configText = try String(contentsOfFile: "\(cliRepoRoot)/Config/pingshen.yaml", encoding: .utf8)
    let config = try ConfigLoader.parse(configText, file: "pingshen.yaml").get()
    return try RubricLoader.parse(text, file: path, config: config).get().rubric
}

/// A valid answer for each points leaf: award → 是, tiers → the middle tier, discretionary → about
/// 70% of the weight on the step.
func answers(_ rubric: Rubric) -> [(leaf: RubricNode, input: String, points: Double)] {
    rubric.leaves.filter { $0.input != .value }.map { leaf in
        switch leaf.rule {
        case .award?:
            return (leaf, "是", leaf.weight)
        case .tiers(let tiers)?:
            let t = tiers[tiers.count / 2]
            return (leaf, formatNumber(t.points), t.points)
        case .discretionary(let step)?:
            let s = step ?? 1
            let p = ((leaf.weight * 0.7) / s).rounded(.down) * s
            return (leaf, formatNumber(p), p)
        default:
            return (leaf, "0", 0)
        }
    }
}

/// Parses JSON output into a dictionary.
func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}
