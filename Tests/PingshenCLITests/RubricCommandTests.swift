import Foundation
import Testing

/// Runs the built `pingshen` binary and returns its exit code, standard output and standard error.
func runPingshen(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> (code: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = pingshenBinary
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "PINGSHEN_DB")
    for (k, v) in env { environment[k] = v }
    p.environment = environment
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inp.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// The repository root, found from this file's path.
let cliRepoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The `pingshen` executable built beside the test bundle (the products folder of this build).
let pingshenBinary: URL = {
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let beside = runner.deletingLastPathComponent().appendingPathComponent("pingshen")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    return URL(fileURLWithPath: cliRepoRoot).appendingPathComponent(".build/debug/pingshen")
}()

@Suite("pingshen rubric …")
struct RubricCommandTests {
    @Test("rubric list shows the three rubrics with totals, leaf counts and provisional marks")
    func list() throws {
        let r = try runPingshen(["rubric", "list", "--json"])
        #expect(r.code == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]])
        let ids = rows.compactMap { $0["id"] as? String }
        #expect(ids == ["manufacturing-innovation-center", "tech-center-evaluation", "tech-innovation-demo-enterprise"])
        #expect(rows.allSatisfy { ($0["total"] as? Double) == 100 })
        #expect(rows.compactMap { $0["leaves"] as? Int } == [21, 19, 22])
    }

    @Test("rubric show --json has id, name, total, grades and a root tree with leaves' input and rule")
    func showJSON() throws {
        let r = try runPingshen(["rubric", "show", "manufacturing-innovation-center", "--json"])
        #expect(r.code == 0)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect(obj["id"] as? String == "manufacturing-innovation-center")
        #expect(obj["total"] as? Double == 100)
        let grades = try #require(obj["grades"] as? [[String: Any]])
        #expect(grades.compactMap { $0["name"] as? String } == ["优秀", "良好", "合格", "不合格"])
        let root = try #require(obj["root"] as? [String: Any])
        let top = try #require(root["children"] as? [[String: Any]])
        #expect(top.count == 7)
        let goals = try #require(top.first)
        #expect(goals["input"] as? String == "points")
        #expect((goals["children"] as? [Any])?.isEmpty == true)
        #expect(goals["provisional"] as? Bool == false)
        let rule = try #require(goals["rule"] as? [String: Any])
        #expect(rule["type"] as? String == "discretionary")
    }

    @Test("rubric show prints an aligned tree in Chinese, and in English with --lang en")
    func showText() throws {
        let zh = try runPingshen(["rubric", "show", "tech-center-evaluation"])
        #expect(zh.code == 0)
        #expect(zh.out.contains("创新投入"))
        #expect(zh.out.contains("优秀 ≥90"))
        let en = try runPingshen(["--lang", "en", "rubric", "show", "tech-center-evaluation"])
        #expect(en.out.contains("Innovation investment"))
    }

    @Test("rubric check: the bundled files pass; a broken file fails with its place and exit 1")
    func check() throws {
        let ok = try runPingshen(["rubric", "check"] + ["manufacturing-innovation-center", "tech-center-evaluation",
                                                        "tech-innovation-demo-enterprise"].map { "\(cliRepoRoot)/Rubrics/\($0).yaml" })
        #expect(ok.code == 0)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pingshen-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let bad = dir.appendingPathComponent("bad.yaml")
        try """
        id: bad
        name: 坏
        total: 10
        source: {document: x}
        grades: {bands: [{name: 合格, min: 0}]}
        nodes:
          - {id: a, name: 甲, weight: 6, input: points, rule: {type: award}}
          - {id: a, name: 乙, weight: 3, input: points, rule: {type: award}}
        """.write(to: bad, atomically: true, encoding: .utf8)
        let r = try runPingshen(["--lang", "en", "rubric", "check", bad.path])
        #expect(r.code == 1)
        #expect(r.err.contains("bad.yaml:8"))
        #expect(r.err.contains("duplicate node id “a”"))
    }

    @Test("An unknown rubric id is a clear error, not a crash")
    func unknown() throws {
        let r = try runPingshen(["rubric", "show", "nope"])
        #expect(r.code == 1)
        #expect(r.err.contains("找不到评分表“nope”"))
    }
}
