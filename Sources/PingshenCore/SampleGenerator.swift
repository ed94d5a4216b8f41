import Foundation

// The deterministic generator of sample panels (issue 6): latent true quality per applicant, reviewer
// severity and noise, planted harsh/lenient reviewers, wild scores, recusals and ineligible applicants.
// Pure and deterministic: all randomness comes from the seeded generator below and only IEEE additions,
// multiplications, divisions and rounding are used on random numbers (no libm), and no dictionary or set
// is iterated where order matters, so the same seed gives byte-identical output on any machine.

// MARK: - Random numbers

/// SplitMix64 (Steele, Lea and Flood 2014): seeds xoshiro and derives independent streams.
public struct SplitMix64: Sendable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** 1.0 (Blackman and Vigna 2018), seeded through SplitMix64.
public struct Xoshiro256StarStar: Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
    }

    /// An independent stream for one purpose (`tag`) and one index (an applicant, a reviewer, a sheet), so
    /// that, for example, an applicant's data does not change when the number of reviewers does.
    public init(seed: UInt64, stream tag: UInt64, index: UInt64) {
        var a = SplitMix64(seed: seed ^ (tag &* 0xD1B5_4A32_D192_ED03))
        var b = SplitMix64(seed: a.next() ^ (index &* 0x9E37_79B9_7F4A_7C15))
        self.init(seed: b.next())
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1), 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [a, b).
    public mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * uniform() }

    /// Uniform integer in 0..<n without modulo bias; 0 when n ≤ 1.
    public mutating func int(below n: Int) -> Int {
        guard n > 1 else { return 0 }
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let r = next()
            if r >= threshold { return Int(r % bound) }
        }
    }

    /// Approximately standard normal: twelve uniforms minus six (Irwin–Hall), range ±6. Additions only,
    /// so every machine computes the same bits.
    public mutating func normal() -> Double {
        var sum = 0.0
        for _ in 0..<12 { sum += uniform() }
        return sum - 6
    }

    public mutating func chance(_ p: Double) -> Bool { uniform() < p }

    /// `k` distinct values of 0..<n in random order (partial Fisher–Yates).
    public mutating func choose(_ k: Int, from n: Int) -> [Int] {
        var pool = Array(0..<n)
        let k = min(max(k, 0), n)
        for i in 0..<k {
            let j = i + int(below: n - i)
            pool.swapAt(i, j)
        }
        return Array(pool.prefix(k))
    }

    /// An index drawn with probability proportional to `weights` (all ≥ 0, not all 0).
    public mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        guard total > 0 else { return int(below: weights.count) }
        var x = uniform() * total
        for (i, w) in weights.enumerated() {
            if x < w { return i }
            x -= w
        }
        return weights.count - 1
    }
}

// MARK: - Options, plan and results

/// Fixed choices for a generated panel (the bundled samples): names, and exactly what to plant.
public struct SamplePlan: Sendable, Equatable {
    public struct Applicant: Sendable, Equatable {
        public var name: String
        public var industry: String?
        public init(name: String, industry: String? = nil) {
            self.name = name
            self.industry = industry
        }
    }
    /// A reviewer whose totals are shifted by `shift` points (negative: harsh, positive: lenient).
    public struct Bias: Sendable, Equatable {
        public var reviewer: String
        public var shift: Double
        public init(reviewer: String, shift: Double) {
            self.reviewer = reviewer
            self.shift = shift
        }
    }
    /// One wild score: on `leaf`, or on the whole sheet when `leaf` is nil. `high` forces the direction
    /// (nil: away from where the panel is).
    public struct Wild: Sendable, Equatable {
        public var reviewer: String
        public var applicant: String
        public var leaf: String?
        public var high: Bool?
        public init(reviewer: String, applicant: String, leaf: String?, high: Bool? = nil) {
            self.reviewer = reviewer
            self.applicant = applicant
            self.leaf = leaf
            self.high = high
        }
    }
    public struct Ineligible: Sendable, Equatable {
        public var applicant: String
        public var gate: String
        public init(applicant: String, gate: String) {
            self.applicant = applicant
            self.gate = gate
        }
    }

    /// Reviewers get ids r1, r2, … in this order; applicants a1, a2, ….
    public var reviewerNames: [String]
    public var applicants: [Applicant]
    public var biases: [Bias]
    public var wild: [Wild]
    public var ineligible: [Ineligible]
    public var recusals: [Recusal]

    public init(reviewerNames: [String], applicants: [Applicant], biases: [Bias] = [], wild: [Wild] = [],
                ineligible: [Ineligible] = [], recusals: [Recusal] = []) {
        self.reviewerNames = reviewerNames
        self.applicants = applicants
        self.biases = biases
        self.wild = wild
        self.ineligible = ineligible
        self.recusals = recusals
    }
}

/// What to generate. Without a plan, names are drawn from pools and the plants are chosen at random in
/// the numbers the rates say; with a plan, its names and plants are used exactly.
public struct SampleOptions: Sendable, Equatable {
    public var panel: String
    public var title: String
    public var round: String
    /// Eligibility variant (nil: the rubric's first).
    public var variant: String?
    public var applicants: Int
    public var reviewers: Int
    public var seed: UInt64
    /// Numbers of planted harsh and lenient reviewers, and how many points they move their totals.
    public var harsh: Int
    public var lenient: Int
    public var bias: Double
    /// Share of sheets that carry one wild score.
    public var wildRate: Double
    /// Share of applicants with one recused reviewer.
    public var recusalRate: Double
    /// Share of applicants that fail one eligibility gate.
    public var ineligibleRate: Double
    public var plan: SamplePlan?

    public static let maxApplicants = 20_000
    public static let maxReviewers = 50

    public init(panel: String = "sample", title: String = "", round: String = "初评", variant: String? = nil,
                applicants: Int = 8, reviewers: Int = 7, seed: UInt64 = 1, harsh: Int = 1, lenient: Int = 0,
                bias: Double = 10, wildRate: Double = 0.01, recusalRate: Double = 0.03, ineligibleRate: Double = 0.05,
                plan: SamplePlan? = nil) {
        self.panel = panel
        self.title = title
        self.round = round
        self.variant = variant
        self.applicants = applicants
        self.reviewers = reviewers
        self.seed = seed
        self.harsh = harsh
        self.lenient = lenient
        self.bias = bias
        self.wildRate = wildRate
        self.recusalRate = recusalRate
        self.ineligibleRate = ineligibleRate
        self.plan = plan
    }
}

/// What the generator planted, so that outlier detection can be measured against it (precision and
/// recall). Written as `planted.yaml`.
public struct PlantedTruth: Sendable, Equatable {
    public struct Bias: Sendable, Equatable {
        public var reviewer: String
        /// The planted shift of the reviewer's totals, in points (negative: harsh).
        public var shift: Double
        /// Realised: mean over the applicants the reviewer scored of (their total − the mean total of the
        /// other unbiased reviewers), sheets with a wild score left out.
        public var measured: Double
        public init(reviewer: String, shift: Double, measured: Double) {
            self.reviewer = reviewer
            self.shift = shift
            self.measured = measured
        }
    }
    public struct Wild: Sendable, Equatable {
        public var reviewer: String
        public var applicant: String
        /// The indicator, or nil for the sheet's total.
        public var leaf: String?
        /// What the reviewer gave (points of the leaf, or the sheet's total).
        public var value: Double
        /// Median of the other reviewers on the same leaf (or total) of the same applicant.
        public var panel: Double
        public init(reviewer: String, applicant: String, leaf: String?, value: Double, panel: Double) {
            self.reviewer = reviewer
            self.applicant = applicant
            self.leaf = leaf
            self.value = value
            self.panel = panel
        }
    }
    public struct Ineligible: Sendable, Equatable {
        public var applicant: String
        public var gate: String
        public var field: String
        public var value: Double
        public init(applicant: String, gate: String, field: String, value: Double) {
            self.applicant = applicant
            self.gate = gate
            self.field = field
            self.value = value
        }
    }

    public var panel: String
    public var rubric: String
    public var seed: UInt64
    public var harsh: [Bias]
    public var lenient: [Bias]
    public var wild: [Wild]
    public var ineligible: [Ineligible]
    public var recusals: [Recusal]

    public init(panel: String, rubric: String, seed: UInt64, harsh: [Bias] = [], lenient: [Bias] = [],
                wild: [Wild] = [], ineligible: [Ineligible] = [], recusals: [Recusal] = []) {
        self.panel = panel
        self.rubric = rubric
        self.seed = seed
        self.harsh = harsh
        self.lenient = lenient
        self.wild = wild
        self.ineligible = ineligible
        self.recusals = recusals
    }

    /// The planted truth as YAML (read back by `PlantedLoader`).
    public func yamlText(rubric r: Rubric? = nil, note: [String] = []) -> String {
        var lines = [
            "# What the generator planted in panel \(panel) (seed \(seed)); outlier detection is measured against it.",
            "# harsh / lenient: shift = the planted shift of the reviewer's totals (points); measured = mean of",
            "#   (the reviewer's total - the mean total of the other unbiased reviewers) over the applicants scored.",
            "# wild: leaf = the indicator, or total for the whole sheet; value = what the reviewer gave;",
            "#   panel = the median of the other reviewers. ineligible: the gate the applicant fails.",
        ]
        lines += note.map { "# \($0)" }
        lines.append("panel: \(YAMLText.scalar(panel))")
        lines.append("rubric: \(YAMLText.scalar(rubric))")
        lines.append("seed: \(seed)")
        func biasList(_ key: String, _ list: [Bias]) {
            lines.append(list.isEmpty ? "\(key): []" : "\(key):")
            for b in list {
                lines.append("  - {reviewer: \(YAMLText.scalar(b.reviewer)), shift: \(formatNumber(b.shift, decimals: 4)), "
                             + "measured: \(formatNumber(b.measured, decimals: 2))}")
            }
        }
        biasList("harsh", harsh)
        biasList("lenient", lenient)
        lines.append(wild.isEmpty ? "wild: []" : "wild:")
        for w in wild {
            lines.append("  - {reviewer: \(YAMLText.scalar(w.reviewer)), applicant: \(YAMLText.scalar(w.applicant)), "
                         + "leaf: \(YAMLText.scalar(w.leaf ?? "total")), value: \(formatNumber(w.value, decimals: 4)), "
                         + "panel: \(formatNumber(w.panel, decimals: 4))}")
        }
        lines.append(ineligible.isEmpty ? "ineligible: []" : "ineligible:")
        for e in ineligible {
            var text = "  - {applicant: \(YAMLText.scalar(e.applicant)), gate: \(YAMLText.scalar(e.gate)), "
                + "field: \(YAMLText.scalar(e.field)), value: \(formatNumber(e.value, decimals: 4))"
            if let gate = r?.eligibility.lazy.flatMap(\.gates).first(where: { $0.id == e.gate }) {
                text += ", condition: \(YAMLText.scalar(gate.conditionText))"
            }
            lines.append(text + "}")
        }
        lines.append(recusals.isEmpty ? "recused: []" : "recused:")
        for rc in recusals {
            lines.append("  - " + YAMLText.flow([("reviewer", rc.reviewer), ("applicant", rc.applicant), ("reason", rc.reason)]))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A generated panel: the manifest, verified data per applicant, the sheets, and what was planted.
public struct GeneratedPanel: Sendable, Equatable {
    public var manifest: PanelManifest
    /// Verified data by applicant id.
    public var data: [String: ApplicantData]
    /// Sheets, reviewer by reviewer, each reviewer's in applicant order.
    public var sheets: [SheetRecord]
    public var planted: PlantedTruth
    /// Data keys in the order data blocks list them: gate fields of the variant, then leaves in rubric order.
    public var dataOrder: [String]
    /// Points leaves in rubric order (the order of sheet lines).
    public var sheetOrder: [String]

    /// `panel.yaml`.
    public func manifestYAML() -> String {
        manifest.yamlText(header: [
            "Panel set-up (format: Samples/README.md). Generated by `pingshen sample generate` with seed \(planted.seed).",
        ])
    }

    /// `data.txt`: one applicant-data block per applicant, in the line format.
    public func dataText() -> String {
        let blocks = manifest.applicants.map { a in
            LineFormatWriter.dataBlock(panel: manifest.panel, applicant: a.id, data: data[a.id] ?? ApplicantData(),
                                       order: dataOrder)
        }
        return "# Verified applicant data (核定数据) of panel \(manifest.panel): value indicators, eligibility fields,\n"
            + "# and reference values shown to reviewers. Generated with seed \(planted.seed).\n"
            + LineFormatWriter.join(blocks)
    }

    /// `sheets.txt`: every sheet in the line format.
    public func sheetsText() -> String {
        let blocks = sheets.map { LineFormatWriter.sheetBlock(panel: manifest.panel, sheet: $0, order: sheetOrder) }
        return "# Score sheets of panel \(manifest.panel), round \(manifest.round): every reviewer x applicant pair\n"
            + "# except the recused ones. Generated with seed \(planted.seed).\n"
            + LineFormatWriter.join(blocks)
    }

    /// `planted.yaml`.
    public func plantedYAML(rubric: Rubric) -> String {
        var note: [String] = []
        if sheetOrder.isEmpty {
            note.append("The rubric has no points leaves: reviewers enter no points, so no harsh or lenient reviewer")
            note.append("and no wild score can be planted; sheets only record who reviewed whom.")
        }
        return planted.yamlText(rubric: rubric, note: note)
    }
}

// MARK: - The generator

public enum SampleGenerator {
    enum Stream: UInt64 {
        case names = 1, reviewer, applicant, sheet, plantBias, plantIneligible, plantRecusal, plantWild
    }

    /// Checks options against the rubric; every problem is returned, each a catalog error.
    public static func problems(rubric: Rubric, options o: SampleOptions) -> [PingshenError] {
        var out: [PingshenError] = []
        let n = o.plan?.applicants.count ?? o.applicants
        let k = o.plan?.reviewerNames.count ?? o.reviewers
        if !isValidNodeId(o.panel) { out.append(PingshenError("sample.bad_panel", [o.panel])) }
        if n < 1 || n > SampleOptions.maxApplicants {
            out.append(PingshenError("sample.bad_count", ["--applicants", String(n), "1", String(SampleOptions.maxApplicants)]))
        }
        if k < 1 || k > SampleOptions.maxReviewers {
            out.append(PingshenError("sample.bad_count", ["--reviewers", String(k), "1", String(SampleOptions.maxReviewers)]))
        }
        if let v = o.variant, rubric.variant(v) == nil {
            let known = rubric.eligibility.map(\.id).joined(separator: ", ")
            out.append(PingshenError("sample.unknown_variant", [v, rubric.id, known.isEmpty ? "—" : known]))
        }
        for (name, rate) in [("--wild-rate", o.wildRate), ("--recusal-rate", o.recusalRate),
                             ("--ineligible-rate", o.ineligibleRate)] where !(rate >= 0 && rate <= 1) {
            out.append(PingshenError("sample.bad_rate", [name, formatNumber(rate, decimals: 4)]))
        }
        if !(o.bias >= 0 && o.bias <= rubric.total / 2) {
            out.append(PingshenError("sample.bad_bias", [formatNumber(o.bias, decimals: 4), formatNumber(rubric.total / 2)]))
        }
        if o.plan == nil {
            if o.harsh < 0 || o.lenient < 0 || (o.harsh + o.lenient > 0 && o.harsh + o.lenient > (k - 1) / 2) {
                out.append(PingshenError("sample.too_many_biased", [String(o.harsh), String(o.lenient), String(k),
                                                                    String(max((k - 1) / 2, 0))]))
            }
        }
        if let plan = o.plan { out += planProblems(rubric: rubric, plan: plan, variant: rubric.variant(o.variant)) }
        return out
    }

    static func planProblems(rubric: Rubric, plan: SamplePlan, variant: EligibilityVariant?) -> [PingshenError] {
        var out: [PingshenError] = []
        let reviewers = Set((0..<plan.reviewerNames.count).map { "r\($0 + 1)" })
        let applicants = Set((0..<plan.applicants.count).map { "a\($0 + 1)" })
        let points = Set(rubric.leaves.filter { $0.input != .value }.map(\.id))
        func known(_ r: String, _ a: String) {
            if !reviewers.contains(r) { out.append(PingshenError("sample.plan_unknown", ["reviewer", r])) }
            if !applicants.contains(a) { out.append(PingshenError("sample.plan_unknown", ["applicant", a])) }
        }
        for b in plan.biases where !reviewers.contains(b.reviewer) {
            out.append(PingshenError("sample.plan_unknown", ["reviewer", b.reviewer]))
        }
        for w in plan.wild {
            known(w.reviewer, w.applicant)
            if let leaf = w.leaf, !points.contains(leaf) { out.append(PingshenError("sample.plan_unknown", ["leaf", leaf])) }
            if points.isEmpty { out.append(PingshenError("sample.plan_unknown", ["leaf", w.leaf ?? "total"])) }
            if plan.recusals.contains(where: { $0.reviewer == w.reviewer && $0.applicant == w.applicant }) {
                out.append(PingshenError("sample.plan_unknown", ["sheet", "\(w.reviewer)/\(w.applicant)"]))
            }
        }
        for e in plan.ineligible {
            if !applicants.contains(e.applicant) { out.append(PingshenError("sample.plan_unknown", ["applicant", e.applicant])) }
            if variant?.gates.contains(where: { $0.id == e.gate }) != true {
                out.append(PingshenError("sample.plan_unknown", ["gate", e.gate]))
            }
        }
        for rc in plan.recusals { known(rc.reviewer, rc.applicant) }
        if !points.isEmpty, plan.biases.isEmpty == false, plan.biases.count > (plan.reviewerNames.count - 1) / 2 {
            out.append(PingshenError("sample.too_many_biased", [String(plan.biases.count), "0", String(plan.reviewerNames.count),
                                                                String(max((plan.reviewerNames.count - 1) / 2, 0))]))
        }
        return out
    }

    /// Generates a panel. Throws the options' problems (catalog errors) when there are any.
    public static func generate(rubric: Rubric, options o: SampleOptions) throws -> GeneratedPanel {
        let found = problems(rubric: rubric, options: o)
        if found.count == 1, let only = found.first { throw only }
        if !found.isEmpty { throw PingshenErrors(found) }
        var g = Builder(rubric: rubric, options: o)
        return g.run()
    }

    /// One run of the generator.
    struct Builder {
        let rubric: Rubric
        let o: SampleOptions
        let leaves: [RubricNode]
        let leafIndex: [String: Int]
        let pointsIdx: [Int]
        let discWeight: Double
        /// Per leaf: whether reviewer severity (and a planted bias) moves it.
        let moves: [Bool]
        let variant: EligibilityVariant?
        let profile: SampleProfile
        let n: Int
        let k: Int

        init(rubric: Rubric, options: SampleOptions) {
            self.rubric = rubric
            o = options
            let all = rubric.leaves
            leaves = all
            var idx: [String: Int] = [:]
            for (i, l) in all.enumerated() { idx[l.id] = i }
            leafIndex = idx
            let pts = all.indices.filter { all[$0].input != .value }
            pointsIdx = pts
            let disc = pts.filter { if case .discretionary = all[$0].rule { return true } else { return false } }
            // Severity moves discretionary points; a rubric with none moves every points leaf instead.
            let moved = disc.isEmpty ? pts : disc
            discWeight = moved.reduce(0) { $0 + all[$1].weight }
            var m = [Bool](repeating: false, count: all.count)
            for li in moved { m[li] = true }
            moves = m
            variant = rubric.variant(options.variant)
            profile = SampleProfile.forRubric(rubric.id)
            n = options.plan?.applicants.count ?? options.applicants
            k = options.plan?.reviewerNames.count ?? options.reviewers
        }

        func rng(_ s: Stream, _ index: Int) -> Xoshiro256StarStar {
            Xoshiro256StarStar(seed: o.seed, stream: s.rawValue, index: UInt64(index))
        }


        struct ReviewerTraits {
            var severity: Double
            var noise: Double
            var factNoise: Double
            var shift: Double
        }

        mutating func run() -> GeneratedPanel {
            let round = o.round.trimmingCharacters(in: .whitespaces).isEmpty ? "初评" : o.round
            let reviewerIds = (0..<k).map { "r\($0 + 1)" }
            let applicantIds = (0..<n).map { "a\($0 + 1)" }

            // Names.
            var reviewerNameRng = rng(.names, 0)
            var applicantNameRng = rng(.names, 1)
            let reviewerNames = o.plan?.reviewerNames ?? SampleNames.people(k, &reviewerNameRng)
            let applicantsPlanned: [SamplePlan.Applicant] = o.plan?.applicants
                ?? SampleNames.organisations(n, rubric: rubric, &applicantNameRng)

            // Planted biases.
            var shifts = [Double](repeating: 0, count: k)
            if !pointsIdx.isEmpty {
                if let plan = o.plan {
                    for b in plan.biases { if let j = reviewerIds.firstIndex(of: b.reviewer) { shifts[j] = b.shift } }
                } else {
                    var r = rng(.plantBias, 0)
                    let chosen = r.choose(o.harsh + o.lenient, from: k)
                    for (c, j) in chosen.enumerated() { shifts[j] = c < o.harsh ? -o.bias : o.bias }
                }
            }
            let traits: [ReviewerTraits] = (0..<k).map { j in
                var r = rng(.reviewer, j)
                let sev = min(max(0.022 * r.normal(), -0.05), 0.05)
                return ReviewerTraits(severity: shifts[j] == 0 ? sev : 0, noise: r.uniform(0.035, 0.07),
                                      factNoise: r.uniform(0.015, 0.035), shift: shifts[j] / max(discWeight, 1e-9))
            }

            // Ineligible applicants and their failing gates.
            var failing: [Int: Gate] = [:]
            if let variant, !variant.gates.isEmpty {
                if let plan = o.plan {
                    for e in plan.ineligible {
                        if let i = applicantIds.firstIndex(of: e.applicant), let g = variant.gates.first(where: { $0.id == e.gate }) {
                            failing[i] = g
                        }
                    }
                } else {
                    var r = rng(.plantIneligible, 0)
                    let count = Int((Double(n) * o.ineligibleRate).rounded())
                    for i in r.choose(count, from: n).sorted() { failing[i] = variant.gates[r.int(below: variant.gates.count)] }
                }
            }

            // Recusals.
            var recusals: [Recusal] = []
            if let plan = o.plan {
                recusals = plan.recusals
            } else if k >= 2 {
                var r = rng(.plantRecusal, 0)
                let count = Int((Double(n) * o.recusalRate).rounded())
                for i in r.choose(count, from: n).sorted() {
                    let j = r.int(below: k)
                    recusals.append(Recusal(reviewer: reviewerIds[j], applicant: applicantIds[i],
                                            reason: SampleNames.recusalReasons[r.int(below: SampleNames.recusalReasons.count)]))
                }
            }
            var recused = Set<Int>()
            for rc in recusals {
                if let i = applicantIds.firstIndex(of: rc.applicant), let j = reviewerIds.firstIndex(of: rc.reviewer) {
                    recused.insert(i * k + j)
                }
            }

            // Applicants: latent quality, per-leaf standing, verified data.
            var data: [String: ApplicantData] = [:]
            var standing: [[Double]] = []
            var applicants: [ApplicantInfo] = []
            var ineligibleTruth: [PlantedTruth.Ineligible] = []
            for i in 0..<n {
                var r = rng(.applicant, i)
                let planned = applicantsPlanned[i]
                let industry = planned.industry
                let gen = DataGen(builder: self, industry: industry.flatMap { rubric.industries?.industry($0) })
                let (values, t) = gen.applicant(&r, failing: failing[i])
                let industryText = rubric.industries == nil ? nil : industry
                applicants.append(ApplicantInfo(id: applicantIds[i], name: planned.name, industry: industryText))
                data[applicantIds[i]] = ApplicantData(values: values, industry: industryText)
                standing.append(t)
                if let g = failing[i] {
                    ineligibleTruth.append(PlantedTruth.Ineligible(applicant: applicantIds[i], gate: g.id, field: g.field,
                                                                   value: values[g.field] ?? 0))
                }
            }

            // Wild scores: which sheet, which leaf (nil: the whole sheet), which direction.
            var wildPlan: [Int: (leaf: Int?, high: Bool?)] = [:]
            if !pointsIdx.isEmpty {
                if let plan = o.plan {
                    for w in plan.wild {
                        guard let i = applicantIds.firstIndex(of: w.applicant), let j = reviewerIds.firstIndex(of: w.reviewer) else { continue }
                        wildPlan[i * k + j] = (w.leaf.flatMap { leafIndex[$0] }, w.high)
                    }
                } else {
                    var r = rng(.plantWild, 0)
                    let sheetsTotal = n * k
                    let count = Int((Double(sheetsTotal - recused.count) * o.wildRate).rounded())
                    var chosen: [Int] = []
                    if count > 0 {
                        for s in r.choose(min(count + recused.count, sheetsTotal), from: sheetsTotal) where !recused.contains(s) {
                            if chosen.count < count { chosen.append(s) }
                        }
                    }
                    let weights = pointsIdx.map { leaves[$0].weight }
                    for s in chosen.sorted() {
                        let leaf: Int? = r.chance(0.75) ? pointsIdx[r.weighted(weights)] : nil
                        wildPlan[s] = (leaf, nil)
                    }
                }
            }

            // Sheets, reviewer by reviewer.
            // Points of value leaves, once per applicant (the same on every sheet).
            let valuePoints: [[Double]] = (0..<n).map { i in
                let d = data[applicantIds[i]] ?? ApplicantData()
                let industry = d.industry.flatMap { rubric.industries?.industry($0) }
                return leaves.map { $0.input == .value ? (pointsFromValue($0, value: d.values[$0.id], industry: industry) ?? 0) : 0 }
            }
            var sheets: [SheetRecord] = []
            var sheetAt: [Int: Int] = [:]
            var totals = [Double?](repeating: nil, count: n * k)
            sheets.reserveCapacity(n * k)
            for j in 0..<k {
                for i in 0..<n where !recused.contains(i * k + j) {
                    var r = rng(.sheet, i * k + j)
                    var leafPoints = valuePoints[i]
                    sheetPoints(standing[i], traits[j], wild: wildPlan[i * k + j], into: &leafPoints, &r)
                    var points: [String: Double] = [:]
                    for li in pointsIdx { points[leaves[li].id] = leafPoints[li] }
                    sheetAt[i * k + j] = sheets.count
                    totals[i * k + j] = total(leafPoints)
                    sheets.append(SheetRecord(reviewer: reviewerIds[j], applicant: applicantIds[i], round: round,
                                              points: points, submitted: true))
                }
            }

            // Realised biases, the panel's view of each wild score.
            var harsh: [PlantedTruth.Bias] = []
            var lenient: [PlantedTruth.Bias] = []
            for j in 0..<k where shifts[j] != 0 {
                var diffs: [Double] = []
                for i in 0..<n {
                    guard let mine = totals[i * k + j], wildPlan[i * k + j] == nil else { continue }
                    let others = (0..<k).compactMap { o -> Double? in
                        guard o != j, shifts[o] == 0, wildPlan[i * k + o] == nil else { return nil }
                        return totals[i * k + o]
                    }
                    guard !others.isEmpty else { continue }
                    diffs.append(mine - others.reduce(0, +) / Double(others.count))
                }
                let measured = diffs.isEmpty ? 0 : diffs.reduce(0, +) / Double(diffs.count)
                let b = PlantedTruth.Bias(reviewer: reviewerIds[j], shift: shifts[j], measured: roundTo(measured, 2))
                if shifts[j] < 0 { harsh.append(b) } else { lenient.append(b) }
            }
            var wildTruth: [PlantedTruth.Wild] = []
            for key in wildPlan.keys.sorted() {
                guard let s = sheetAt[key], let plan = wildPlan[key] else { continue }
                let i = key / k, j = key % k
                let value: Double
                var others: [Double] = []
                if let leaf = plan.leaf {
                    let id = leaves[leaf].id
                    value = sheets[s].points[id] ?? 0
                    for o in 0..<k where o != j { if let so = sheetAt[i * k + o], let p = sheets[so].points[id] { others.append(p) } }
                } else {
                    value = totals[key] ?? 0
                    for o in 0..<k where o != j { if let t = totals[i * k + o] { others.append(t) } }
                }
                wildTruth.append(PlantedTruth.Wild(reviewer: reviewerIds[j], applicant: applicantIds[i],
                                                   leaf: plan.leaf.map { leaves[$0].id }, value: roundTo(value, 4),
                                                   panel: roundTo(sampleMedian(others), 4)))
            }

            let title = o.title.trimmingCharacters(in: .whitespaces).isEmpty ? rubric.name : o.title
            let manifest = PanelManifest(panel: o.panel, rubric: rubric.id, title: title, round: round,
                                         variant: o.variant ?? variant?.id,
                                         reviewers: zip(reviewerIds, reviewerNames).map { ReviewerInfo(id: $0, name: $1) },
                                         applicants: applicants, recusals: recusals)
            let planted = PlantedTruth(panel: o.panel, rubric: rubric.id, seed: o.seed, harsh: harsh, lenient: lenient,
                                       wild: wildTruth, ineligible: ineligibleTruth, recusals: recusals)
            var order: [String] = []
            var seen = Set<String>()
            for key in (variant?.gates.map(\.field) ?? []) + leaves.map(\.id) where seen.insert(key).inserted {
                order.append(key)
            }
            return GeneratedPanel(manifest: manifest, data: data, sheets: sheets, planted: planted, dataOrder: order,
                                  sheetOrder: pointsIdx.map { leaves[$0].id })
        }

        /// One reviewer's points for one applicant.
        func sheetPoints(_ t: [Double], _ tr: ReviewerTraits, wild: (leaf: Int?, high: Bool?)?,
                         into points: inout [Double], _ r: inout Xoshiro256StarStar) {
            // A wild sheet moves every leaf far in one direction.
            var sheetShift = 0.0
            if let wild, wild.leaf == nil {
                let mean = pointsIdx.reduce(0) { $0 + t[$1] * leaves[$1].weight } / max(pointsIdx.reduce(0) { $0 + leaves[$1].weight }, 1e-9)
                let high = wild.high ?? (mean < 0.5)
                sheetShift = high ? 0.3 : -0.3
            }
            for li in pointsIdx {
                let leaf = leaves[li]
                let disc = moves[li]
                let noise = (disc ? max(tr.noise, 0.6 * stepOf(leaf) / max(leaf.weight, 1e-9)) : tr.factNoise) * r.normal()
                var x = t[li] + noise + sheetShift
                if disc { x += tr.severity + tr.shift }
                if let wild, wild.leaf == li {
                    let high = wild.high ?? (t[li] < 0.5)
                    x = high ? r.uniform(0.88, 1.0) : r.uniform(0.0, 0.18)
                }
                points[li] = snap(leaf, x)
            }
        }

        /// A sheet's total from points per leaf (in `leaves` order), as `scoreSheet` computes it: parents
        /// sum their children, capped at their weight, and the total at the rubric's.
        func total(_ leafPoints: [Double]) -> Double {
            var next = 0
            func walk(_ node: RubricNode) -> Double {
                if node.isLeaf {
                    defer { next += 1 }
                    return min(leafPoints[next], node.weight)
                }
                return min(node.children.reduce(0) { $0 + walk($1) }, node.weight)
            }
            return min(rubric.root.reduce(0) { $0 + walk($1) }, rubric.total)
        }

        func stepOf(_ leaf: RubricNode) -> Double {
            if case .discretionary(let step?) = leaf.rule { return step }
            return 0
        }

        /// The allowed points nearest to a standing `x` (share of the weight).
        func snap(_ leaf: RubricNode, _ x: Double) -> Double {
            let w = leaf.weight
            let target = min(max(x, 0), 1) * w
            switch leaf.rule {
            case .discretionary(let step):
                let s = step ?? 0.5
                let p = (target / s).rounded() * s
                return min(max(p, 0), w)
            case .award:
                return x >= 0.5 ? w : 0
            case .tiers(let tiers):
                var best = tiers.first?.points ?? 0
                for tier in tiers where abs(tier.points - target) < abs(best - target) { best = tier.points }
                return best
            default:
                return (target * 2).rounded() / 2
            }
        }
    }
}

private func sampleMedian(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

// MARK: - Verified data

/// Draws one applicant's verified data consistently with the rubric: value leaves from the applicant's
/// standing through the leaf's rule, reference values for points leaves with a basic requirement, gate
/// fields passing (or failing the planted gate), `of` leaves never above their parent, and the rubric's
/// known relations between fields (`SampleProfile`).
struct DataGen {
    let builder: SampleGenerator.Builder
    let industry: Industry?

    var leaves: [RubricNode] { builder.leaves }

    /// Returns the data values and the standing (share of the weight, 0…1.2) of every leaf.
    func applicant(_ r: inout Xoshiro256StarStar, failing: Gate?) -> ([String: Double], [Double]) {
        let quality = min(max(r.normal(), -2.5), 2.5)
        let base = min(max(0.70 + 0.11 * quality, 0.15), 0.97)
        var t = [Double](repeating: 0, count: leaves.count)
        var values: [String: Double] = [:]
        var references: [String: Double] = [:]
        for (li, leaf) in leaves.enumerated() {
            let spread: Double
            switch leaf.rule {
            case .award?, .tiers?: spread = 0.22
            case .discretionary?: spread = 0.08
            default: spread = 0.15
            }
            let z = r.normal()
            if leaf.input == .value {
                t[li] = min(max(base + spread * z, 0), 1.2)
                values[leaf.id] = valueFor(leaf, standing: t[li])
            } else {
                t[li] = min(max(base + spread * z, 0.02), 1.0)
                // Facts (awards, tiers): the applicant stands squarely on one allowed value, so reviewers agree
                // unless one of them is planted wild.
                if let tiers = allowedShares(leaf) {
                    var best = tiers[0]
                    for x in tiers where abs(x - t[li]) < abs(best - t[li]) { best = x }
                    t[li] = min(max(best + r.uniform(-0.03, 0.03), 0), 1)
                }
                if let v = referenceValue(leaf, standing: t[li]) {
                    values[leaf.id] = v
                    references[leaf.id] = v
                }
            }
        }
        let gates = builder.variant?.gates ?? []
        // Gate-only fields (not a leaf): drawn above (or below) the threshold.
        for g in gates where values[g.field] == nil {
            values[g.field] = gateOnlyValue(g, base: base, &r)
        }
        // Every gate passes except the planted one, which fails.
        for g in gates {
            let mustPass = failing?.id != g.id
            if let v = values[g.field], g.passes(v) != mustPass {
                values[g.field] = forced(g, pass: mustPass, &r)
            }
        }
        applyRelations(&values, &t, failing: failing, &r)
        // "Of which" leaves never exceed their parent.
        for leaf in leaves {
            guard let parent = leaf.of, let pv = values[parent], let cv = values[leaf.id], cv > pv else { continue }
            values[leaf.id] = roundValue(pv * r.uniform(0.35, 0.8), unit: leaf.unit, floor: true)
        }
        // A reference value changed by a gate or a relation (e.g. R&D intensity below the gate) also
        // changes how the reviewers see that leaf.
        for (li, leaf) in leaves.enumerated() where leaf.input != .value {
            if let v = values[leaf.id], v != references[leaf.id], let s = standingFromReference(leaf, v) { t[li] = s }
        }
        return (values, t)
    }

    /// The allowed points of an award or tiered leaf as shares of its weight.
    func allowedShares(_ leaf: RubricNode) -> [Double]? {
        guard leaf.weight > 0 else { return nil }
        switch leaf.rule {
        case .award?: return [0, 1]
        case .tiers(let tiers)? where !tiers.isEmpty: return tiers.map { $0.points / leaf.weight }
        default: return nil
        }
    }

    func unitOf(_ key: String) -> String? {
        if let li = builder.leafIndex[key] { return leaves[li].unit }
        return builder.variant?.gates.first { $0.field == key }?.unit
    }

    /// A value leaf's measured value for a standing `s`.
    func valueFor(_ leaf: RubricNode, standing s: Double) -> Double {
        switch leaf.rule {
        case .proportional(let zero, let full)?:
            let v = zero + s * (full - zero)
            return roundValue(capShare(v, leaf.unit), unit: leaf.unit)
        case .requirement(let basic, let full, _, let column)?:
            let lo = basic * 0.7
            var v = lo + s * (full - lo)
            if let column, let industry, case .multiply(let k)? = industry.coefficients[column], k > 0 { v /= k }
            return roundValue(capShare(v, leaf.unit), unit: leaf.unit)
        case .award?:
            return s >= 0.5 ? 1 : 0
        case .tiers(let tiers)?:
            let target = min(s, 1) * leaf.weight
            var best = tiers.first?.points ?? 0
            for tier in tiers where abs(tier.points - target) < abs(best - target) { best = tier.points }
            return best
        default:
            return roundValue(min(s, 1) * leaf.weight, unit: nil)
        }
    }

    /// The basic requirement of a leaf as a number (≥3, ＞2000, 暂定5 → 3, 2000, 5), when it has one.
    func basicNumber(_ leaf: RubricNode) -> Double? {
        guard let text = leaf.basicRequirement else { return nil }
        let folded = foldFullWidth(text)
        var digits = ""
        var started = false
        for c in folded {
            if c.isASCII, c.isNumber || (c == "." && started) {
                digits.append(c)
                started = true
            } else if started {
                break
            }
        }
        return parseDecimal(digits)
    }

    static let countUnits: Set<String> = ["人", "项", "个", "人月", "年", "家"]

    /// How far above its basic requirement a reference value goes: value = basic × (0.6 + slope × standing)
    /// for shares and amounts (counts start at half the basic requirement).
    func referenceScale(_ leaf: RubricNode) -> (start: Double, slope: Double) {
        if leaf.unit == "%" { return (0.6, 2.4) }
        if let u = leaf.unit, Self.countUnits.contains(u) { return (0.5, 2.5) }
        return (0.6, 1.2)
    }

    /// A reference value shown beside a points leaf, or nil when the leaf has nothing measurable.
    func referenceValue(_ leaf: RubricNode, standing s: Double) -> Double? {
        if let b = basicNumber(leaf) {
            if b == 0 { return roundValue(1.5 * s, unit: leaf.unit) }
            let (start, slope) = referenceScale(leaf)
            return roundValue(capShare(b * (start + slope * s), leaf.unit), unit: leaf.unit)
        }
        if leaf.unit == "%" { return roundValue(10 + 50 * s, unit: "%") }
        if let u = leaf.unit, Self.countUnits.contains(u) { return roundValue(3 * s * s, unit: u, floor: true) }
        return nil
    }

    /// The standing a reference value stands for (the inverse of `referenceValue`).
    func standingFromReference(_ leaf: RubricNode, _ v: Double) -> Double? {
        let s: Double
        if let b = basicNumber(leaf) {
            let (start, slope) = referenceScale(leaf)
            s = b == 0 ? v / 1.5 : (v / b - start) / slope
        } else if leaf.unit == "%" {
            s = (v - 10) / 50
        } else if let u = leaf.unit, Self.countUnits.contains(u) {
            s = (v / 3).squareRoot()
        } else {
            return nil
        }
        return min(max(s, 0.02), 1.0)
    }

    /// Shares stay believable: above 80% they are compressed towards (and never past) 95%.
    func capShare(_ v: Double, _ unit: String?) -> Double {
        guard unit == "%", v > 80 else { return v }
        return min(80 + (v - 80) * 0.1, 95)
    }

    /// A field read only by a gate: comfortably past the threshold, larger for better applicants.
    func gateOnlyValue(_ g: Gate, base: Double, _ r: inout Xoshiro256StarStar) -> Double {
        let th = g.threshold ?? 0
        switch g.op {
        case .yes:
            return 1
        case .eq:
            return th
        case .ge, .gt:
            if g.unit == "年" { return th + 1 + Double(r.int(below: 12)) }
            let u = r.uniform()
            let factor = 1.1 + 3 * u + 6 * u * u * base
            return roundValue(capShare(max(th, 1) * factor, g.unit), unit: g.unit)
        case .le, .lt:
            return roundValue(th * r.uniform(0.3, 0.9), unit: g.unit)
        }
    }

    /// A value that passes (or fails) a gate, near the threshold.
    func forced(_ g: Gate, pass: Bool, _ r: inout Xoshiro256StarStar) -> Double {
        let th = g.threshold ?? 0
        let unit = unitOf(g.field)
        var v: Double
        switch (g.op, pass) {
        case (.yes, _): return pass ? 1 : 0
        case (.eq, true): return th
        case (.eq, false): v = th + max(abs(th) * 0.1, 1)
        case (.ge, true), (.gt, true): v = capShare(max(th, 1) * r.uniform(1.05, 1.5), unit)
        case (.ge, false), (.gt, false): v = th * r.uniform(0.72, 0.95)
        case (.le, true), (.lt, true): v = th * r.uniform(0.4, 0.95)
        case (.le, false), (.lt, false): v = max(th, 1) * r.uniform(1.05, 1.4)
        }
        v = roundValue(v, unit: unit)
        // Rounding must not undo the intent.
        let stepUnit = roundingStep(v, unit: unit)
        var guardCount = 0
        while g.passes(v) != pass && guardCount < 1000 {
            switch g.op {
            case .ge, .gt, .eq: v += pass ? stepUnit : -stepUnit
            case .le, .lt: v += pass ? -stepUnit : stepUnit
            case .yes: break
            }
            guardCount += 1
        }
        return max(v, 0)
    }

    func applyRelations(_ values: inout [String: Double], _ t: inout [Double], failing: Gate?,
                                 _ r: inout Xoshiro256StarStar) {
        let gates = builder.variant?.gates ?? []
        for rel in builder.profile.relations {
            switch rel {
            case .product(let result, let a, let b):
                guard let av = values[a], let bv = values[b] else { continue }
                var aValue = av, bValue = bv
                var product = roundValue(aValue * bValue, unit: unitOf(result))
                if let g = gates.first(where: { $0.field == result }) {
                    let mustPass = failing?.id != g.id
                    if mustPass && !g.passes(product), aValue > 0 {
                        // Raise the count (the second factor) until the product passes.
                        let needed = (g.threshold ?? 0) * r.uniform(1.1, 1.6) / aValue
                        bValue = roundValue(max(bValue, needed), unit: unitOf(b), ceil: true)
                    } else if !mustPass && g.passes(product) {
                        // Fail: a smaller team close to its own gate, and spending per person to match.
                        let bGate = gates.first { $0.field == b }
                        let bMin = (bGate?.threshold ?? bValue * 0.5) * r.uniform(1.05, 1.6)
                        bValue = roundValue(min(bValue, bMin), unit: unitOf(b), ceil: true)
                        let target = (g.threshold ?? 0) * r.uniform(0.78, 0.94)
                        aValue = roundValue(target / max(bValue, 1), unit: unitOf(a))
                    }
                    product = roundValue(aValue * bValue, unit: unitOf(result))
                }
                values[a] = aValue
                values[b] = bValue
                values[result] = product
            case .atLeast(let key, let other, let low, let high):
                guard let kv = values[key], let ov = values[other] else { continue }
                if failing?.field == key {
                    let reduced = roundValue(kv / r.uniform(low, high), unit: unitOf(other))
                    if reduced < ov { values[other] = reduced }
                } else {
                    let needed = roundValue(ov * r.uniform(low, high), unit: unitOf(key), ceil: true)
                    if kv < needed { values[key] = needed }
                }
            case .follows(let leaf, let field, let atLeast, let raise):
                guard let li = builder.leafIndex[leaf], let v = values[field] else { continue }
                if v < atLeast {
                    t[li] = min(t[li], 0.1)
                } else if raise {
                    t[li] = max(t[li], 0.9)
                }
            }
        }
    }

    /// Rounds a value the way its unit is reported: shares to 0.1, money to whole 万元 (0.1 below 100),
    /// counts to whole numbers.
    func roundValue(_ v: Double, unit: String?, floor: Bool = false, ceil: Bool = false) -> Double {
        let step = roundingStep(v, unit: unit)
        var q = v / step
        q = floor ? q.rounded(.down) : ceil ? q.rounded(.up) : q.rounded()
        let out = q * step
        // Keep one decimal exact (0.1 steps) and never negative zero.
        let r = roundTo(out, step < 1 ? 2 : 0)
        return max(r, 0)
    }

    func roundingStep(_ v: Double, unit: String?) -> Double {
        switch unit {
        case "%"?, "百分点"?: return 0.1
        case "万元"?: return v >= 100 ? 1 : 0.1
        case let u? where Self.countUnits.contains(u): return 1
        default: return 0.01
        }
    }
}

/// Known relations between one rubric's data fields, so that generated data is coherent.
struct SampleProfile: Sendable {
    enum Relation: Sendable {
        /// `result` = `a` × `b` (e.g. R&D spending = spending per R&D person × R&D staff).
        case product(result: String, a: String, b: String)
        /// `key` ≥ `other` × a factor in low…high (e.g. total assets well above equipment value).
        case atLeast(key: String, other: String, low: Double, high: Double)
        /// A points leaf follows a data field: below `atLeast` the reviewers see little; at or above it,
        /// when `raise`, they see much (e.g. 成果扩散 follows the number of technologies transferred).
        case follows(leaf: String, field: String, atLeast: Double, raise: Bool)
    }
    var relations: [Relation]

    static func forRubric(_ id: String) -> SampleProfile {
        switch id {
        case "tech-center-evaluation":
            return SampleProfile(relations: [.product(result: "rd-spending", a: "rd-per-person", b: "rd-staff-count")])
        case "tech-innovation-demo-enterprise":
            return SampleProfile(relations: [.atLeast(key: "total-assets", other: "equipment-value", low: 2.5, high: 5),
                                             .atLeast(key: "annual-sales", other: "equipment-value", low: 2, high: 6)])
        case "manufacturing-innovation-center":
            return SampleProfile(relations: [.follows(leaf: "diffusion", field: "tech-transferred", atLeast: 1, raise: true),
                                             .follows(leaf: "market-share", field: "top10-shareholders", atLeast: 1, raise: false)])
        default:
            return SampleProfile(relations: [])
        }
    }
}
