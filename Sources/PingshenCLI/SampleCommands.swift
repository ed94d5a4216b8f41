import ArgumentParser
import Foundation
import PingshenCore
import PingshenRubricFormat

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Sample panels and the deterministic panel generator (示例评审组).",
        subcommands: [SampleGenerate.self])
    @OptionGroup var global: GlobalOptions
}

/// `pingshen sample generate --rubric R --applicants N --reviewers K [--seed S] [--variant V] --out DIR`
struct SampleGenerate: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a panel: panel.yaml, data.txt, sheets.txt and planted.yaml in DIR.",
        discussion: """
            Deterministic: the same options and seed give byte-identical files on any machine. The panel has \
            latent applicant quality, reviewer severity and noise, and planted harsh/lenient reviewers, wild \
            scores, recusals and ineligible applicants, recorded in planted.yaml. `--preset ID` regenerates a \
            bundled sample (mic-2026, demo-2026, tc-2026).
            """)
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Rubric id.") var rubric: String?
    @Option(name: .long, help: "Number of applicants (1–20000).") var applicants: String?
    @Option(name: .long, help: "Number of reviewers (1–50).") var reviewers: String?
    @Option(name: .long, help: "Random seed, a whole number (default 1).") var seed: String?
    @Option(name: .long, help: "Eligibility variant of the rubric (default: its first).") var variant: String?
    @Option(name: .long, help: "Output folder (created when missing).") var out: String?
    @Option(name: .long, help: "Panel id (default: sample).") var panel: String?
    @Option(name: .long, help: "Panel title (default: the rubric's name and the seed).") var title: String?
    @Option(name: .long, help: "Round (default: 初评).") var round: String?
    @Option(name: .long, help: "Planted harsh reviewers (default 1).") var harsh: String?
    @Option(name: .long, help: "Planted lenient reviewers (default 0).") var lenient: String?
    @Option(name: .long, help: "Points a biased reviewer moves totals by (default 10).") var bias: String?
    @Option(name: .customLong("wild-rate"), help: "Share of sheets with one wild score (default 0.01).") var wildRate: String?
    @Option(name: .customLong("recusal-rate"), help: "Share of applicants with one recused reviewer (default 0.03).")
    var recusalRate: String?
    @Option(name: .customLong("ineligible-rate"), help: "Share of applicants failing one gate (default 0.05).")
    var ineligibleRate: String?
    @Option(name: .long, help: "Regenerate a bundled sample: mic-2026, demo-2026 or tc-2026.") var preset: String?
    @Flag(name: .long, help: "Overwrite the four files when they exist.") var force = false

    static let files = ["panel.yaml", "data.txt", "sheets.txt", "planted.yaml"]

    func execute(_ env: Env) throws {
        var problems: [PingshenError] = []
        func integer(_ text: String?, _ name: String) -> Int? {
            guard let text else { return nil }
            guard let v = parseDecimal(text) else {
                problems.append(PingshenError("sample.not_number", [name, text]))
                return nil
            }
            guard v.rounded() == v, abs(v) < 1e9 else {
                problems.append(PingshenError("sample.not_integer", [name, text]))
                return nil
            }
            return Int(v)
        }
        func decimal(_ text: String?, _ name: String) -> Double? {
            guard let text else { return nil }
            guard let v = parseDecimal(text) else {
                problems.append(PingshenError("sample.not_number", [name, text]))
                return nil
            }
            return v
        }
        var seedValue: UInt64?
        if let seed {
            let folded = foldFullWidth(seed).trimmingCharacters(in: .whitespaces)
            if let s = UInt64(folded) { seedValue = s } else { problems.append(PingshenError("sample.bad_seed", [seed])) }
        }
        let n = integer(applicants, "--applicants")
        let k = integer(reviewers, "--reviewers")
        let harshCount = integer(harsh, "--harsh")
        let lenientCount = integer(lenient, "--lenient")
        let biasPoints = decimal(bias, "--bias")
        let wild = decimal(wildRate, "--wild-rate")
        let recusal = decimal(recusalRate, "--recusal-rate")
        let ineligible = decimal(ineligibleRate, "--ineligible-rate")
        if out == nil { problems.append(PingshenError("sample.missing_option", ["--out"])) }

        var options: SampleOptions
        let rubricId: String
        if let presetId = preset {
            guard let p = SamplePreset.named(presetId) else {
                let known = SamplePreset.all.map(\.id).joined(separator: ", ")
                throw PingshenErrors(problems + [PingshenError("sample.unknown_preset", [presetId, known])])
            }
            options = p.options
            rubricId = p.rubric
            func same(_ name: String, _ given: String?, _ expected: String) {
                if let given, given != expected { problems.append(PingshenError("sample.preset_mismatch", [name, given, expected])) }
            }
            same("--rubric", rubric, p.rubric)
            same("--applicants", n.map(String.init), String(p.plan.applicants.count))
            same("--reviewers", k.map(String.init), String(p.plan.reviewerNames.count))
            same("--seed", seedValue.map { String($0) }, String(p.seed))
            same("--variant", variant, p.variant ?? "")
            same("--panel", panel, p.id)
        } else {
            if rubric == nil { problems.append(PingshenError("sample.missing_option", ["--rubric"])) }
            if applicants == nil { problems.append(PingshenError("sample.missing_option", ["--applicants"])) }
            if reviewers == nil { problems.append(PingshenError("sample.missing_option", ["--reviewers"])) }
            rubricId = rubric ?? ""
            options = SampleOptions(panel: panel ?? "sample", round: round ?? "初评", variant: variant,
                                    applicants: n ?? 0, reviewers: k ?? 0, seed: seedValue ?? 1)
            // A panel of one or two reviewers has no majority to be harsh against.
            if let harshCount { options.harsh = harshCount } else if (k ?? 0) < 3 { options.harsh = 0 }
            if let lenientCount { options.lenient = lenientCount }
            if let biasPoints { options.bias = biasPoints }
            if let wild { options.wildRate = wild }
            if let recusal { options.recusalRate = recusal }
            if let ineligible { options.ineligibleRate = ineligible }
        }
        if !problems.isEmpty { throw PingshenErrors(problems) }

        let loaded = try env.rubric(rubricId).rubric
        if preset == nil {
            options.title = title ?? Catalog.text("sample.default_title", [loaded.name, String(options.seed)], .zh)
        }
        let generated = try SampleGenerator.generate(rubric: loaded, options: options)

        guard let out else { return }
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw PingshenError("sample.write_failed", [out, error.localizedDescription])
        }
        let existing = Self.files.filter { fm.fileExists(atPath: "\(out)/\($0)") }
        if !existing.isEmpty && !force {
            throw PingshenError("sample.exists", [existing.joined(separator: ", ")])
        }
        let texts = [generated.manifestYAML(), generated.dataText(), generated.sheetsText(),
                     generated.plantedYAML(rubric: loaded)]
        for (name, text) in zip(Self.files, texts) {
            let path = "\(out)/\(name)"
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw PingshenError("sample.write_failed", [path, error.localizedDescription])
            }
        }

        let m = generated.manifest
        Console.out(env.t("sample.done", m.panel, String(m.applicants.count), String(m.reviewers.count),
                          String(generated.sheets.count), out))
        Console.out(env.t("sample.files"))
        let p = generated.planted
        for b in p.harsh {
            Console.out(env.t("sample.planted_harsh", b.reviewer, formatNumber(b.shift), formatNumber(b.measured)))
        }
        for b in p.lenient {
            Console.out(env.t("sample.planted_lenient", b.reviewer, formatNumber(b.shift), formatNumber(b.measured)))
        }
        Console.out(env.t("sample.planted_wild", String(p.wild.count)))
        Console.out(env.t("sample.planted_ineligible", String(p.ineligible.count)))
        Console.out(env.t("sample.planted_recused", String(p.recusals.count)))
        if generated.sheetOrder.isEmpty { Console.out(env.t("sample.no_points_leaves", loaded.id)) }
    }
}
