import Foundation
import Testing

@Suite("scripts/install.sh: the installed binary works from anywhere, for anyone")
struct InstallTests {
    /// Runs a program with exactly the environment given (no inherited variables), in `cwd`.
    static func runClean(_ exe: String, _ args: [String], env: [String: String], cwd: String) throws -> (code: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.environment = env
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test("Installed into a temporary prefix (from the existing build), the binary runs the sample panel from an unrelated directory; --version, completions and a user's own settings work")
    func installAndRun() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("pingshen-install-\(UUID().uuidString)").path
        let prefix = tmp + "/prefix", elsewhere = tmp + "/somewhere", home = tmp + "/home"
        for d in [elsewhere, home] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let install = try Self.runClean("/bin/bash", ["\(cliRepoRoot)/scripts/install.sh", prefix, "--bin",
                                                      pingshenBinary.deletingLastPathComponent().path],
                                        env: ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], cwd: elsewhere)
        #expect(install.code == 0, "\(install.out)\(install.err)")
        let bin = prefix + "/bin/pingshen"
        let env = ["PATH": "/usr/bin:/bin", "HOME": home]
        let version = try Self.runClean(bin, ["--version"], env: env, cwd: elsewhere)
        #expect(version.code == 0 && version.out.split(separator: ".").count == 3, "\(version.out)\(version.err)")
        for f in ["share/bash-completion/completions/pingshen", "share/zsh/site-functions/_pingshen"] {
            let text = (try? String(contentsOfFile: prefix + "/" + f, encoding: .utf8)) ?? ""
            #expect(text.contains("pingshen"), "\(f)")
        }
        // The sample panel, loaded and graded from a directory that holds neither the rubrics nor the config.
        let sample = "\(cliRepoRoot)/Samples/manufacturing-innovation-center"
        let load = try Self.runClean(bin, ["--db", elsewhere + "/p.sqlite", "panel", "load", sample], env: env, cwd: elsewhere)
        #expect(load.code == 0, "\(load.out)\(load.err)")
        let panel = try #require((try String(contentsOfFile: sample + "/panel.yaml", encoding: .utf8))
            .split(separator: "\n").first { $0.hasPrefix("panel:") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces))
        let results = try Self.runClean(bin, ["--db", elsewhere + "/p.sqlite", "results", panel, "--lang", "en"], env: env, cwd: elsewhere)
        #expect(results.code == 0 && results.out.contains("Rank"), "\(results.out)\(results.err)")

        // A user's own settings file overrides the installed one (here: the database path).
        try FileManager.default.createDirectory(atPath: home + "/.config/pingshen", withIntermediateDirectories: true)
        let installed = try String(contentsOfFile: prefix + "/share/pingshen/Config/pingshen.yaml", encoding: .utf8)
        let mine = installed.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("database:") ? "database: \(elsewhere)/p.sqlite" : String($0) }.joined(separator: "\n")
        try mine.write(toFile: home + "/.config/pingshen/config.yaml", atomically: true, encoding: .utf8)
        let viaUserConfig = try Self.runClean(bin, ["panel", "list", "--lang", "en"], env: env, cwd: elsewhere)
        #expect(viaUserConfig.code == 0 && viaUserConfig.out.contains(panel), "\(viaUserConfig.out)\(viaUserConfig.err)")
    }
}
