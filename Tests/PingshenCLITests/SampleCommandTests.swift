import Foundation
import PingshenCore
import PingshenRubricFormat
import Testing

/// A fresh temporary folder for one test.
fileprivate func sampleTempDir() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pingshen-sample-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

fileprivate func readFile(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

@Suite("pingshen sample generate")
struct SampleCommandTests {
    let files = ["panel.yaml", "data.txt", "sheets.txt", "planted.yaml"]

    @Test("writes panel.yaml, data.txt, sheets.txt and planted.yaml that read back")
    func writesFourFiles() throws {
        let dir = try sampleTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = "\(dir)/panel"
        let r = try runPingshen(["sample", "generate", "--rubric", "manufacturing-innovation-center", "--applicants", "12",
                                 "--reviewers", "7", "--seed", "5", "--variant", "upgrade", "--out", out])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("12 个申报单位 × 7 位专家"))
        for f in files { #expect(FileManager.default.fileExists(atPath: "\(out)/\(f)"), "\(f) missing") }
        let manifest = try ManifestLoader.parse(try readFile("\(out)/panel.yaml"), file: "panel.yaml").get()
        #expect(manifest.applicants.count == 12 && manifest.reviewers.count == 7)
        #expect(manifest.variant == "upgrade" && manifest.rubric == "manufacturing-innovation-center")
        let planted = try PlantedLoader.parse(try readFile("\(out)/planted.yaml"), file: "planted.yaml").get()
        #expect(planted.seed == 5 && planted.harsh.count == 1)
        let sheets = try readFile("\(out)/sheets.txt")
        #expect(sheets.components(separatedBy: "\n---\n").count == 12 * 7 - manifest.recusals.count)
        #expect(try readFile("\(out)/data.txt").contains("rd-spending-share = "))
    }

    @Test("the same seed writes byte-identical files; another seed different ones")
    func deterministic() throws {
        let dir = try sampleTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func run(_ seed: String, _ out: String) throws {
            let r = try runPingshen(["sample", "generate", "--rubric", "tech-innovation-demo-enterprise", "--applicants", "30",
                                     "--reviewers", "9", "--seed", seed, "--out", out])
            #expect(r.code == 0, "\(r.err)")
        }
        try run("77", "\(dir)/a")
        try run("77", "\(dir)/b")
        try run("78", "\(dir)/c")
        for f in files {
            #expect(try readFile("\(dir)/a/\(f)") == readFile("\(dir)/b/\(f)"), "\(f) differs")
        }
        #expect(try readFile("\(dir)/a/sheets.txt") != readFile("\(dir)/c/sheets.txt"))
    }

    @Test("--preset regenerates the bundled sample byte for byte", arguments: SamplePreset.all.map(\.id))
    func preset(_ id: String) throws {
        let preset = try #require(SamplePreset.named(id))
        let dir = try sampleTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runPingshen(["sample", "generate", "--preset", id, "--out", dir])
        #expect(r.code == 0, "\(r.err)")
        for f in files {
            #expect(try readFile("\(dir)/\(f)") == readFile("\(cliRepoRoot)/Samples/\(preset.rubric)/\(f)"), "\(f) differs")
        }
    }

    @Test("a panel of two reviewers gets no harsh reviewer by default")
    func smallPanel() throws {
        let dir = try sampleTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try runPingshen(["sample", "generate", "--rubric", "tech-innovation-demo-enterprise", "--applicants", "4",
                                 "--reviewers", "2", "--out", dir])
        #expect(r.code == 0, "\(r.err)")
        let planted = try PlantedLoader.parse(try readFile("\(dir)/planted.yaml"), file: "planted.yaml").get()
        #expect(planted.harsh.isEmpty && planted.seed == 1)
    }

    @Test("existing files are kept unless --force")
    func noOverwrite() throws {
        let dir = try sampleTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("keep me\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/sheets.txt"))
        let args = ["sample", "generate", "--rubric", "tech-center-evaluation", "--applicants", "6", "--reviewers", "5",
                    "--out", dir]
        let refused = try runPingshen(args)
        #expect(refused.code == 1)
        #expect(refused.err.contains("sheets.txt") && refused.err.contains("--force"))
        #expect(try readFile("\(dir)/sheets.txt") == "keep me\n")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/panel.yaml"))
        let forced = try runPingshen(args + ["--force"])
        #expect(forced.code == 0, "\(forced.err)")
        #expect(try readFile("\(dir)/sheets.txt").hasPrefix("# Score sheets"))
        #expect(forced.out.contains("没有专家打分指标"))
    }

    @Test("bad arguments are refused with catalog messages, all at once, and nothing is written")
    func badArguments() throws {
        let dir = try sampleTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = "\(dir)/x"
        let many = try runPingshen(["sample", "generate", "--rubric", "manufacturing-innovation-center",
                                    "--applicants", "abc", "--reviewers", "2.5", "--seed", "12ab", "--out", out])
        #expect(many.code == 1)
        #expect(many.err.contains("--applicants 的值“abc”不是有效的数字"))
        #expect(many.err.contains("--reviewers 的值“2.5”不是整数"))
        #expect(many.err.contains("随机种子“12ab”无效"))
        let range = try runPingshen(["--lang", "en", "sample", "generate", "--rubric", "manufacturing-innovation-center",
                                     "--applicants", "0", "--reviewers", "7", "--out", out])
        #expect(range.code == 1)
        #expect(range.err.contains("--applicants 0 is out of range: allowed 1–20000"))
        let variant = try runPingshen(["sample", "generate", "--rubric", "tech-center-evaluation", "--applicants", "5",
                                       "--reviewers", "5", "--variant", "upgrade", "--out", out])
        #expect(variant.code == 1)
        #expect(variant.err.contains("没有资格条件版本“upgrade”"))
        #expect(variant.err.contains("national, provincial, municipal"))
        let missing = try runPingshen(["sample", "generate", "--applicants", "5"])
        #expect(missing.code == 1)
        #expect(missing.err.contains("--out") && missing.err.contains("--rubric") && missing.err.contains("--reviewers"))
        let biased = try runPingshen(["sample", "generate", "--rubric", "tech-innovation-demo-enterprise", "--applicants", "5",
                                      "--reviewers", "3", "--harsh", "1", "--lenient", "1", "--out", out])
        #expect(biased.code == 1)
        #expect(biased.err.contains("最多 1 位"))
        let rubric = try runPingshen(["sample", "generate", "--rubric", "no-such-rubric", "--applicants", "5",
                                      "--reviewers", "3", "--out", out])
        #expect(rubric.code == 1)
        #expect(rubric.err.contains("no-such-rubric"))
        let preset = try runPingshen(["sample", "generate", "--preset", "mic-2026", "--seed", "3", "--out", out])
        #expect(preset.code == 1)
        #expect(preset.err.contains("--seed") && preset.err.contains("20260301"))
        let unknownPreset = try runPingshen(["sample", "generate", "--preset", "nope", "--out", out])
        #expect(unknownPreset.code == 1)
        #expect(unknownPreset.err.contains("mic-2026, demo-2026, tc-2026"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
