import Foundation
import PingshenCore
import PingshenStore
import Testing

@Suite("Input as Chinese users produce it: GB18030 files, the input method's punctuation, units, folders")
struct InputCommandTests {
    static let rubric = "tech-innovation-demo-enterprise"

    /// GB18030 bytes of a text (via iconv, as Excel/WPS on a Chinese Windows save “ANSI”).
    static func gb18030(_ text: String) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["iconv", "-f", "UTF-8", "-t", "GB18030"]
        let inp = Pipe(), out = Pipe()
        p.standardInput = inp
        p.standardOutput = out
        try p.run()
        inp.fileHandleForWriting.write(Data(text.utf8))
        try inp.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return data
    }

    @Test("A sheet saved as GB18030 is read with a notice; forced UTF-8 refuses it line by line with a hint; a folder is named as a folder")
    func gb18030Sheet() throws {
        let s = try Sandbox()
        try s.panel(Self.rubric)
        let leaves = try cliRubric(Self.rubric).leaves.filter { $0.input != .value }.map(\.id)
        let text = (["panel: P1", "reviewer: r1", "applicant: a1"] + leaves.map { "\($0) = 1" } + ["note \(leaves[0]): 进展良好，已核实"])
            .joined(separator: "\n") + "\n"
        let path = s.path("gbk.txt")
        let bytes = try Self.gb18030(text)
        #expect(String(data: bytes, encoding: .utf8) == nil)   // really not UTF-8
        try bytes.write(to: URL(fileURLWithPath: path))

        let forced = try s.run(["import", "P1", path, "--encoding", "utf-8", "--lang", "en"])
        #expect(forced.code == 1 && forced.err.contains("gbk.txt:") && forced.err.contains("--encoding gb18030"), "\(forced.err)")
        #expect(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1") == nil)   // nothing written

        let auto = try s.run(["import", "P1", path, "--lang", "en"])
        #expect(auto.code == 0 && auto.err.contains("read as GB18030"), "\(auto.err)")
        let sheet = try #require(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1"))
        #expect(sheet.points.count == leaves.count && sheet.notes[leaves[0]] == "进展良好，已核实")

        let folder = try s.run(["import", "P1", s.dir.path, "--lang", "en"])
        #expect(folder.code == 1 && folder.err.contains("is a folder"), "\(folder.err)")
    }

    @Test("The scoring session takes 2。5 (the input method's full stop) and 2分, and refuses 2元")
    func sessionInput() throws {
        let s = try Sandbox()
        try s.panel(Self.rubric)
        let rubric = try cliRubric(Self.rubric)
        let first = try #require(rubric.leaves.first { $0.input != .value })
        // A discretionary leaf with step 0.5 takes 2.5; the others get valid answers.
        var lines = answers(rubric).map(\.input)
        guard case .discretionary? = first.rule else { return }
        lines[0] = "2元"
        lines.insert("2。5", at: 1)
        lines[2] = lines[2].allSatisfy(\.isNumber) ? lines[2] + "分" : lines[2]
        let r = try s.run(["score", "P1", "--reviewer", "r1", "--applicant", "a1", "--lang", "en"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(r.code == 0, "\(r.err)")
        #expect(r.err.contains("2元"), "the refusal names the input: \(r.err)")
        let sheet = try #require(try s.store().sheet(panel: "P1", reviewer: "r1", applicant: "a1"))
        #expect(sheet.points[first.id] == 2.5)
        #expect(sheet.points.count == rubric.leaves.filter { $0.input != .value }.count)
    }
}
