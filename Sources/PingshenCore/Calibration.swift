import Foundation

/// Reviewer calibration (issue 12): a crossed model of the reviewers' totals that separates each
/// applicant's level from each reviewer's severity, fitted on any design (every reviewer need not score
/// every applicant). docs/statistics.md §6 explains it in words, with the formulas.
///
///     y_ij = α_j + b_i + e_ij,   b_i ~ N(0, σ_b²),   e_ij ~ N(0, σ²)
///
/// α_j is the applicant's level (a fixed effect: a thinly reviewed applicant is not pulled towards the
/// mean), b_i the reviewer's severity (a random effect), e_ij what is left. The variance ratio
/// γ = σ_b²/σ² is estimated by REML (restricted maximum likelihood, the estimator of statsmodels'
/// MixedLM, lme4 and ASReml), the severities are the BLUPs, the adjusted scores the GLS estimates of α_j.
///
/// Numerics: the applicant effects are absorbed exactly (their block is diagonal), which leaves a
/// reviewers × reviewers system S + I/γ, where S = D_r − Bᵀ D_a⁻¹ B depends only on the design (who scored
/// whom), never on the scores. S is decomposed once (Householder + implicit QL); after that the REML
/// criterion, the severities, every standard error and each parametric-bootstrap refit cost O(R) to O(R²)
/// per evaluation. The sheets are kept as sparse lists (CSR by applicant); nothing of size
/// applicants × reviewers is ever formed.
///
/// Entry points: `calibrate(_:settings:)` on plain sheets, `calibrate(results:settings:)` on a panel's
/// results.

// MARK: - Input and settings

/// One counted sheet: the reviewer's total for the applicant (indices into the input's id lists).
public struct CalibrationSheet: Sendable, Equatable {
    public var applicant: Int
    public var reviewer: Int
    public var score: Double
    public init(applicant: Int, reviewer: Int, score: Double) {
        self.applicant = applicant
        self.reviewer = reviewer
        self.score = score
    }
}

/// What the calibration fits and grades.
public struct CalibrationInput: Sendable {
    public var applicants: [String]
    public var reviewers: [String]
    public var sheets: [CalibrationSheet]
    /// Per applicant: the official (raw) score and whether it is graded; nil = take the plain mean of its
    /// sheets and grade it.
    public var raw: [Double?]?
    public var graded: [Bool]?
    /// Per applicant: the method its raw score combines with (for the raw replicates of grade stability).
    public var methods: [AggregationMethod]?
    /// Grade bands, highest first (the rubric's).
    public var grades: [GradeBand]

    public init(applicants: [String], reviewers: [String], sheets: [CalibrationSheet], grades: [GradeBand] = [],
                raw: [Double?]? = nil, graded: [Bool]? = nil, methods: [AggregationMethod]? = nil) {
        self.applicants = applicants
        self.reviewers = reviewers
        self.sheets = sheets
        self.grades = grades
        self.raw = raw
        self.graded = graded
        self.methods = methods
    }
}

public struct CalibrationSettings: Sendable, Equatable {
    /// Decimals of the official (rounded half-up) scores and grades.
    public var decimals: Int
    /// A grade whose chance of changing under another draw of reviewers is above this is flagged.
    public var stabilityThreshold: Double
    /// Parametric-bootstrap replicates (grade stability and the reliability intervals).
    public var replicates: Int
    public var seed: UInt64
    /// Below this many applicants in the fit, the reliability figures carry a caveat (Koo & Li 2016 ask for 30).
    public var minApplicantsForReliability: Int
    /// Below this many reviewers in the fit, the reviewer variance rests on too few reviewers: caveat.
    public var minReviewersForReliability: Int

    public init(decimals: Int = 2, stabilityThreshold: Double = 0.2, replicates: Int = 400, seed: UInt64 = 12,
                minApplicantsForReliability: Int = 30, minReviewersForReliability: Int = 5) {
        self.decimals = decimals
        self.stabilityThreshold = stabilityThreshold
        self.replicates = replicates
        self.seed = seed
        self.minApplicantsForReliability = minApplicantsForReliability
        self.minReviewersForReliability = minReviewersForReliability
    }
}

// MARK: - Output

/// A connected part of the reviewer–applicant graph (reviewers linked through the applicants they share).
public struct CalibrationComponent: Codable, Sendable, Equatable {
    public var reviewers: [String]
    public var applicants: [String]
}

public struct ReviewerCalibration: Codable, Sendable, Equatable {
    public var id: String
    /// Points this reviewer adds to a total compared with the average reviewer of their component
    /// (negative: severe, 偏严); 0 without sheets.
    public var severity: Double
    /// Standard error of the severity (prediction error of the BLUP); nil without sheets.
    public var se: Double?
    public var sheets: Int
    /// Mean square of the reviewer's standardized residuals (about 1 when the reviewer is as erratic as the
    /// panel; above 1.5 erratic, below 0.5 too predictable); nil when undefined.
    public var fit: Double?
    /// Index into `components`; nil without sheets.
    public var component: Int?
}

public struct ApplicantCalibration: Codable, Sendable, Equatable {
    public var id: String
    public var component: Int?
    public var sheets: Int
    /// The official score without calibration (the panel's method), rounded.
    public var raw: Double?
    /// The calibrated score α̂_j (severities removed), rounded half-up like the official score.
    public var adjusted: Double?
    /// α̂_j unrounded (for comparisons with other software).
    public var adjustedExact: Double?
    /// Standard error of the adjusted score.
    public var se: Double?
    /// Grades of the raw and the adjusted score; nil when not graded.
    public var gradeRaw: String?
    public var gradeRawEn: String?
    public var gradeAdjusted: String?
    public var gradeAdjustedEn: String?
    /// Chance (0…1) that another draw of reviewers of the same kind would give a different raw grade.
    public var gradeStability: Double?
    /// The same for the adjusted grade.
    public var gradeStabilityAdjusted: Double?
    /// The raw grade's chance of changing is above the threshold.
    public var unstable: Bool
}

/// A figure with its 95 % interval (parametric bootstrap percentiles).
public struct Estimate: Codable, Sendable, Equatable {
    public var value: Double
    public var low: Double?
    public var high: Double?
}

public struct VarianceComponents: Codable, Sendable, Equatable {
    /// σ_b²: variance of the reviewers' severities.
    public var reviewer: Double
    /// σ²: variance of what is left (a reviewer's erratic part on one applicant).
    public var residual: Double
    /// σ_a²: variance of the applicants' true levels (method of moments on the adjusted scores).
    public var applicant: Double?
}

/// Why a reliability figure is missing or comes with a caveat.
public enum ReliabilityNote: String, Codable, Sendable {
    /// No applicant was scored by two reviewers: nothing tells reviewers apart from applicants.
    case noReplication = "no_replication"
    /// Every reviewer gave every applicant they scored the same total as the others.
    case identical
    /// Fewer applicants than the minimum: wide intervals.
    case fewApplicants = "few_applicants"
    /// Fewer reviewers than the minimum: the reviewer variance rests on too few reviewers.
    case fewReviewers = "few_reviewers"
    /// The applicants' scores do not vary beyond their standard errors.
    case noApplicantVariance = "no_applicant_variance"
}

/// Variance-component reliability, valid on any design.
public struct CalibrationReliability: Codable, Sendable, Equatable {
    /// σ_a² / (σ_a² + σ_b² + σ²): how well one reviewer's total (absolute agreement) reflects the applicant.
    public var singleRater: Estimate?
    /// The same for the mean of k reviewers, k = the harmonic mean of the reviewers per applicant.
    public var kRater: Estimate?
    public var k: Double?
    /// σ_a² / (σ_a² + mean SE²): reliability of the adjusted scores.
    public var adjusted: Estimate?
    public var applicants: Int
    public var reviewers: Int
    public var notes: [ReliabilityNote]
}

public struct CalibrationResult: Codable, Sendable, Equatable {
    public var estimator: String
    public var components: [CalibrationComponent]
    public var reviewers: [ReviewerCalibration]
    public var applicants: [ApplicantCalibration]
    public var variance: VarianceComponents?
    public var reliability: CalibrationReliability
    /// Sheets fitted.
    public var sheets: Int
    public var replicates: Int
    public var stabilityThreshold: Double
    /// The REML criterion at the estimate (restricted log-likelihood up to a constant).
    public var logLikelihood: Double?
    /// Graded applicants whose grade changes when adjusted, and whose rank changes.
    public var gradesChanged: Int
    public var ranksChanged: Int

    public func applicant(_ id: String) -> ApplicantCalibration? { applicants.first { $0.id == id } }
    public func reviewer(_ id: String) -> ReviewerCalibration? { reviewers.first { $0.id == id } }
}

// MARK: - Design connectivity

/// Connected components of the reviewer–applicant graph: `reviewerComponent[r]` and
/// `applicantComponent[a]` (nil for those without sheets), components numbered by first appearance in
/// applicant order.
public func designComponents(applicants A: Int, reviewers R: Int, sheets: [CalibrationSheet])
    -> (applicant: [Int?], reviewer: [Int?], count: Int) {
    var parent = Array(0..<(A + R))
    func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }
    var has = [Bool](repeating: false, count: A + R)
    for s in sheets where s.applicant >= 0 && s.applicant < A && s.reviewer >= 0 && s.reviewer < R {
        let a = find(s.applicant), r = find(A + s.reviewer)
        if a != r { parent[r] = a }
        has[s.applicant] = true
        has[A + s.reviewer] = true
    }
    var label = [Int: Int]()
    var ac = [Int?](repeating: nil, count: A)
    var rc = [Int?](repeating: nil, count: R)
    for a in 0..<A where has[a] {
        let root = find(a)
        let c = label[root] ?? label.count
        label[root] = c
        ac[a] = c
    }
    for r in 0..<R where has[A + r] {
        rc[r] = label[find(A + r)]
    }
    return (ac, rc, label.count)
}

// MARK: - Official rounding

/// The official score: `v` rounded half-up (四舍五入, halves away from zero) in decimal to `decimals`
/// places, after snapping away binary noise below 10⁻⁹ (72.33500000000001 and 72.335 are the same score).
/// `key` is the rounded score as an integer count of 10^-decimals, exact for ranking.
public func officialRound(_ v: Double, decimals: Int = 2) -> (value: Double, key: Int64) {
    let d = Swift.max(0, Swift.min(decimals, 6))
    guard v.isFinite, abs(v) < 1e8 else { return (v, v.isFinite ? Int64(clamping: Int64((v * 100).rounded())) : 0) }
    var unit: Int64 = 1
    for _ in 0..<(9 - d) { unit *= 10 }
    let snapped = Int64((v * 1e9).rounded())           // exact to 10⁻⁹
    let negative = snapped < 0
    let mag = negative ? -snapped : snapped
    var q = mag / unit
    if (mag % unit) * 2 >= unit { q += 1 }
    let key = negative ? -q : q
    var scale = 1.0
    for _ in 0..<d { scale *= 10 }
    let value = Double(key) / scale
    return (value == 0 ? 0 : value, key)
}

/// Index of the grade band a score earns (the highest band whose lower bound it reaches), nil below all.
func bandIndex(_ score: Double, _ grades: [GradeBand]) -> Int? {
    grades.firstIndex { score + 1e-9 >= $0.min }
}

// MARK: - The fit

/// What one REML fit at a given design returns (internal; the bootstrap reuses the decomposition).
struct CrossedFit {
    var gamma: Double
    var sigma2: Double
    var logLik: Double
    /// Per fitted reviewer (compact index): BLUP of the severity.
    var b: [Double]
}

/// The design part of the model: everything that depends on who scored whom, not on the scores.
struct CrossedDesign {
    /// Applicants with at least one sheet (compact index → input index) and their sheets (CSR).
    var apps: [Int]
    var start: [Int]
    var rev: [Int]        // compact reviewer index per sheet
    var revs: [Int]       // compact → input reviewer index
    var n: [Double]       // sheets per fitted applicant
    var nr: [Double]      // sheets per fitted reviewer
    /// Eigenvalues of S (≥ 0) and eigenvectors, row-major: U[i * q + k] = component i of vector k.
    var lambda: [Double]
    var U: [Double]
    var q: Int { revs.count }
    var p: Int { apps.count }
    var N: Int { rev.count }

    init(input: CalibrationInput) {
        let A = input.applicants.count
        let R = input.reviewers.count
        var byApp = [[(Int, Double)]](repeating: [], count: A)
        var seen = Set<Int>()
        for s in input.sheets where s.applicant >= 0 && s.applicant < A && s.reviewer >= 0 && s.reviewer < R
            && s.score.isFinite {
            guard seen.insert(s.applicant * R + s.reviewer).inserted else { continue }
            byApp[s.applicant].append((s.reviewer, s.score))
        }
        var compactRev = [Int](repeating: -1, count: R)
        var revs: [Int] = []
        var apps: [Int] = []
        var start = [0]
        var rev: [Int] = []
        for a in 0..<A where !byApp[a].isEmpty {
            apps.append(a)
            for (r, _) in byApp[a] {
                if compactRev[r] < 0 {
                    compactRev[r] = revs.count
                    revs.append(r)
                }
                rev.append(compactRev[r])
            }
            start.append(rev.count)
        }
        let q = revs.count
        var n = [Double](repeating: 0, count: apps.count)
        var nr = [Double](repeating: 0, count: q)
        for j in 0..<apps.count {
            n[j] = Double(start[j + 1] - start[j])
            for t in start[j]..<start[j + 1] { nr[rev[t]] += 1 }
        }
        // S = D_r − Bᵀ D_a⁻¹ B (q × q; reviewers only).
        var S = [Double](repeating: 0, count: q * q)
        for i in 0..<q { S[i * q + i] = nr[i] }
        for j in 0..<apps.count {
            let w = 1 / n[j]
            for t in start[j]..<start[j + 1] {
                let i = rev[t]
                for u in start[j]..<start[j + 1] { S[i * q + rev[u]] -= w }
            }
        }
        let (lam, vecs) = symmetricEigen(S, q)
        var U = [Double](repeating: 0, count: q * q)
        for k in 0..<q { for i in 0..<q { U[i * q + k] = vecs[k * q + i] } }
        let top = lam.max() ?? 0
        self.lambda = lam.map { $0 < 1e-10 * Swift.max(top, 1) ? 0 : $0 }
        self.U = U
        self.apps = apps
        self.start = start
        self.rev = rev
        self.revs = revs
        self.n = n
        self.nr = nr
    }

    /// Within-applicant residual sum of squares and the reviewers' summed deviations from the applicant
    /// means, r_i = Σ_j (y_ij − ȳ_j), projected on the eigenvectors: c = Uᵀ r.
    func sufficient(_ y: UnsafeBufferPointer<Double>, c: inout [Double], r: inout [Double]) -> Double {
        var rss = 0.0
        for i in 0..<q { r[i] = 0 }
        for j in 0..<p {
            var s = 0.0
            for t in start[j]..<start[j + 1] { s += y[t] }
            let mean = s / n[j]
            for t in start[j]..<start[j + 1] {
                let d = y[t] - mean
                rss += d * d
                r[rev[t]] += d
            }
        }
        for k in 0..<q { c[k] = 0 }
        U.withUnsafeBufferPointer { u in
            c.withUnsafeMutableBufferPointer { cb in
                for i in 0..<q where r[i] != 0 {
                    let ri = r[i]
                    let row = i * q
                    for k in 0..<q { cb[k] += u[row + k] * ri }
                }
            }
        }
        for k in 0..<q where lambda[k] == 0 { c[k] = 0 }
        return rss
    }

    /// The REML criterion profiled over σ², as a function of γ = σ_b²/σ²:
    ///     ℓ(γ) = −½ [ (N − p) log Q(γ) + Σ_k log(1 + γ λ_k) ],  Q(γ) = RSS_w − Σ_k c_k² γ / (1 + γ λ_k)
    func criterion(_ gamma: Double, rss: Double, c: [Double]) -> (ll: Double, Q: Double) {
        var logdet = 0.0
        var explained = 0.0
        for k in 0..<q {
            let d = 1 + gamma * lambda[k]
            logdet += log(d)
            explained += c[k] * c[k] * gamma / d
        }
        let Q = Swift.max(rss - explained, rss * 1e-14 + 1e-300)
        let dof = Double(N - p)
        return (-0.5 * (dof * log(Q) + logdet), Q)
    }

    /// Maximizes the REML criterion over γ ≥ 0: a grid on log γ, then golden-section search.
    func maximize(rss: Double, c: [Double]) -> (gamma: Double, Q: Double, ll: Double) {
        let zero = criterion(0, rss: rss, c: c)
        var best = (gamma: 0.0, Q: zero.Q, ll: zero.ll)
        let lo = log(1e-6), hi = log(1e5)
        let steps = 44
        var bestIndex = -1
        var values: [Double] = []
        for s in 0...steps {
            let tau = lo + (hi - lo) * Double(s) / Double(steps)
            let v = criterion(exp(tau), rss: rss, c: c)
            values.append(v.ll)
            if v.ll > best.ll {
                best = (exp(tau), v.Q, v.ll)
                bestIndex = s
            }
        }
        guard bestIndex >= 0 else { return best }
        var a = lo + (hi - lo) * Double(Swift.max(bestIndex - 1, 0)) / Double(steps)
        var b = lo + (hi - lo) * Double(Swift.min(bestIndex + 1, steps)) / Double(steps)
        let g = (5.0.squareRoot() - 1) / 2
        var x1 = b - g * (b - a), x2 = a + g * (b - a)
        var f1 = criterion(exp(x1), rss: rss, c: c).ll, f2 = criterion(exp(x2), rss: rss, c: c).ll
        for _ in 0..<80 where b - a > 1e-10 {
            if f1 > f2 {
                b = x2; x2 = x1; f2 = f1
                x1 = b - g * (b - a); f1 = criterion(exp(x1), rss: rss, c: c).ll
            } else {
                a = x1; x1 = x2; f1 = f2
                x2 = a + g * (b - a); f2 = criterion(exp(x2), rss: rss, c: c).ll
            }
        }
        let tau = (a + b) / 2
        let v = criterion(exp(tau), rss: rss, c: c)
        if v.ll >= best.ll { best = (exp(tau), v.Q, v.ll) }
        return best
    }

    /// BLUPs b = γ (I + γS)⁻¹ r = Σ_k u_k c_k γ / (1 + γ λ_k).
    func blup(gamma: Double, c: [Double], into b: inout [Double]) {
        var w = [Double](repeating: 0, count: q)
        for k in 0..<q { w[k] = c[k] * gamma / (1 + gamma * lambda[k]) }
        U.withUnsafeBufferPointer { u in
            for i in 0..<q {
                var s = 0.0
                let row = i * q
                for k in 0..<q { s += u[row + k] * w[k] }
                b[i] = s
            }
        }
    }

    /// Adjusted scores α̂_j = (Σ_i y_ij − Σ_i b_i) / n_j.
    func adjusted(_ y: UnsafeBufferPointer<Double>, b: [Double], into out: inout [Double]) {
        for j in 0..<p {
            var s = 0.0
            for t in start[j]..<start[j + 1] { s += y[t] - b[rev[t]] }
            out[j] = s / n[j]
        }
    }
}

/// Applies official rounding and finds the grade band.
private func gradeOf(_ v: Double, _ grades: [GradeBand], _ decimals: Int) -> Int? {
    bandIndex(officialRound(v, decimals: decimals).value, grades)
}

/// Calibrates a panel's round from its results: the counted reviewers' totals of every applicant (graded
/// or not: each sheet tells about its reviewer), the official scores as the raw ones.
public func calibrate(results: PanelResults, settings: CalibrationSettings = CalibrationSettings()) -> CalibrationResult {
    var rIndex: [String: Int] = [:]
    for (i, r) in results.reviewers.enumerated() where rIndex[r.id] == nil { rIndex[r.id] = i }
    var sheets: [CalibrationSheet] = []
    for (a, app) in results.applicants.enumerated() {
        for t in app.reviewerTotals {
            if let r = rIndex[t.reviewer] { sheets.append(CalibrationSheet(applicant: a, reviewer: r, score: t.total)) }
        }
    }
    let useTotals = results.settings.view == .totals
    let input = CalibrationInput(
        applicants: results.applicants.map(\.id), reviewers: results.reviewers.map(\.id), sheets: sheets,
        grades: results.rubric.grades,
        raw: results.applicants.map { $0.total ?? (useTotals ? $0.totalsView : $0.indicatorsView) },
        graded: results.applicants.map { $0.status == .graded },
        methods: results.applicants.map { $0.method ?? .mean })
    var s = settings
    s.decimals = results.settings.decimals
    return calibrate(input, settings: s)
}

/// Fits the crossed model on every sheet, finds the design's components, and computes severities,
/// adjusted scores, reliability and grade stability.
public func calibrate(_ input: CalibrationInput, settings: CalibrationSettings = CalibrationSettings()) -> CalibrationResult {
    let A = input.applicants.count
    let R = input.reviewers.count
    let comps = designComponents(applicants: A, reviewers: R, sheets: input.sheets)
    var components = [CalibrationComponent](repeating: CalibrationComponent(reviewers: [], applicants: []), count: comps.count)
    for a in 0..<A { if let c = comps.applicant[a] { components[c].applicants.append(input.applicants[a]) } }
    for r in 0..<R { if let c = comps.reviewer[r] { components[c].reviewers.append(input.reviewers[r]) } }

    let design = CrossedDesign(input: input)
    let q = design.q, p = design.p, N = design.N
    // Scores in the design's sheet order.
    var y = [Double](repeating: 0, count: N)
    do {
        var byKey: [Int: Double] = [:]
        for s in input.sheets where s.applicant >= 0 && s.applicant < A && s.reviewer >= 0 && s.reviewer < R
            && s.score.isFinite && byKey[s.applicant * R + s.reviewer] == nil {
            byKey[s.applicant * R + s.reviewer] = s.score
        }
        for j in 0..<p {
            for t in design.start[j]..<design.start[j + 1] {
                y[t] = byKey[design.apps[j] * R + design.revs[design.rev[t]]] ?? 0
            }
        }
    }
    let grades = input.grades
    let dec = settings.decimals
    var notes: [ReliabilityNote] = []

    // Raw scores: the official ones when given, else the plain mean of the sheets.
    var raw = [Double?](repeating: nil, count: A)
    var fitIndex = [Int](repeating: -1, count: A)
    for (j, a) in design.apps.enumerated() {
        fitIndex[a] = j
        var s = 0.0
        for t in design.start[j]..<design.start[j + 1] { s += y[t] }
        raw[a] = s / design.n[j]
    }
    if let given = input.raw, given.count == A { raw = given }
    let graded = (input.graded?.count == A ? input.graded : nil) ?? [Bool](repeating: true, count: A)
    let methods = (input.methods?.count == A ? input.methods : nil) ?? [AggregationMethod](repeating: .mean, count: A)

    var c = [Double](repeating: 0, count: q)
    var rvec = [Double](repeating: 0, count: q)
    let rss = y.withUnsafeBufferPointer { design.sufficient($0, c: &c, r: &rvec) }
    let dof = N - p
    var gamma = 0.0, sigma2 = 0.0, ll: Double?
    var b = [Double](repeating: 0, count: q)
    var alpha = [Double](repeating: 0, count: p)
    var fitted = false
    if dof <= 0 || q == 0 {
        notes.append(.noReplication)
    } else if rss <= 1e-12 * Swift.max(1, y.reduce(0) { $0 + $1 * $1 }) {
        notes.append(.identical)
    } else {
        let m = design.maximize(rss: rss, c: c)
        gamma = m.gamma
        sigma2 = m.Q / Double(dof)
        ll = m.ll
        design.blup(gamma: gamma, c: c, into: &b)
        fitted = true
    }
    y.withUnsafeBufferPointer { design.adjusted($0, b: b, into: &alpha) }

    // Standard errors: PEV(b_i) = σ² Σ_k u_ik² γ/(1+γλ_k);
    // Var(α̂_j) = σ² [1/n_j + (1/n_j²) Σ_k (Σ_{i∈j} u_ik)² γ/(1+γλ_k)].
    var weightK = [Double](repeating: 0, count: q)
    for k in 0..<q { weightK[k] = gamma / (1 + gamma * design.lambda[k]) }
    var seB = [Double](repeating: 0, count: q)
    var seA = [Double](repeating: 0, count: p)
    // meanSEk[k]: mean over applicants of (Σ_{i∈j} u_ik)²/n_j² (for the bootstrap's mean SE²).
    var meanSEk = [Double](repeating: 0, count: q)
    var meanInvN = 0.0
    design.U.withUnsafeBufferPointer { u in
        for i in 0..<q {
            var s = 0.0
            for k in 0..<q { s += u[i * q + k] * u[i * q + k] * weightK[k] }
            seB[i] = (sigma2 * s).squareRoot()
        }
        var acc = [Double](repeating: 0, count: q)
        for j in 0..<p {
            for k in 0..<q { acc[k] = 0 }
            for t in design.start[j]..<design.start[j + 1] {
                let row = design.rev[t] * q
                for k in 0..<q { acc[k] += u[row + k] }
            }
            let n2 = design.n[j] * design.n[j]
            var s = 0.0
            for k in 0..<q {
                let g = acc[k] * acc[k] / n2
                s += g * weightK[k]
                meanSEk[k] += g
            }
            seA[j] = (sigma2 * (1 / design.n[j] + s)).squareRoot()
            meanInvN += 1 / design.n[j]
        }
    }
    if p > 0 {
        for k in 0..<q { meanSEk[k] /= Double(p) }
        meanInvN /= Double(p)
    }

    // Fit: mean square of standardized residuals e_ij / (σ √(1 − 1/n_j)) over applicants with ≥ 2 sheets.
    var fitSum = [Double](repeating: 0, count: q)
    var fitCount = [Int](repeating: 0, count: q)
    if fitted && sigma2 > 0 {
        for j in 0..<p where design.n[j] >= 2 {
            let v = sigma2 * (1 - 1 / design.n[j])
            for t in design.start[j]..<design.start[j + 1] {
                let i = design.rev[t]
                let e = y[t] - alpha[j] - b[i]
                fitSum[i] += e * e / v
                fitCount[i] += 1
            }
        }
    }

    // Variance components and reliability.
    func reliabilityFigures(alpha: [Double], gamma: Double, sigma2: Double)
        -> (sa: Double, single: Double, kr: Double, adj: Double)? {
        guard p >= 2 else { return nil }
        let mean = alpha.reduce(0, +) / Double(p)
        let varAlpha = alpha.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(p - 1)
        var meanSE2 = sigma2 * meanInvN
        for k in 0..<q { meanSE2 += sigma2 * meanSEk[k] * gamma / (1 + gamma * design.lambda[k]) }
        let sa = Swift.max(0, varAlpha - meanSE2)
        let sb = gamma * sigma2
        let total = sa + sb + sigma2
        guard total > 0 else { return nil }
        let k = harmonicK
        return (sa, sa / total, sa / (sa + (sb + sigma2) / k), sa + meanSE2 > 0 ? sa / (sa + meanSE2) : 0)
    }
    var harmonicK = 1.0
    if p > 0 { harmonicK = Double(p) / design.n.reduce(0) { $0 + 1 / $1 } }
    let point = fitted ? reliabilityFigures(alpha: alpha, gamma: gamma, sigma2: sigma2) : nil
    if let pt = point, pt.sa <= 0 { notes.append(.noApplicantVariance) }
    if fitted && p < settings.minApplicantsForReliability { notes.append(.fewApplicants) }
    if fitted && q < settings.minReviewersForReliability { notes.append(.fewReviewers) }

    // Official rounding and grades.
    let adjustedRounded = (0..<p).map { officialRound(alpha[$0], decimals: dec) }
    var rawGrade = [Int?](repeating: nil, count: A)
    var adjGrade = [Int?](repeating: nil, count: A)
    for a in 0..<A where graded[a] {
        if let r = raw[a] { rawGrade[a] = gradeOf(r, grades, dec) }
        if fitIndex[a] >= 0 { adjGrade[a] = bandIndex(adjustedRounded[fitIndex[a]].value, grades) }
    }

    // Parametric bootstrap: new reviewers b* ~ N(0, σ_b²) and errors e* ~ N(0, σ²) on the same design,
    // around the adjusted scores; each replicate is refitted by REML (the decomposition of S is reused).
    let B = fitted ? Swift.max(0, settings.replicates) : 0
    var flipRaw = [Int](repeating: 0, count: p)
    var flipAdj = [Int](repeating: 0, count: p)
    var bootSingle: [Double] = [], bootK: [Double] = [], bootAdj: [Double] = []
    if B > 0 {
        var rng = Xoshiro256StarStar(seed: settings.seed)
        let sb = (gamma * sigma2).squareRoot(), se = sigma2.squareRoot()
        var ys = [Double](repeating: 0, count: N)
        var bs = [Double](repeating: 0, count: q)
        var cs = [Double](repeating: 0, count: q)
        var rs = [Double](repeating: 0, count: q)
        var bhat = [Double](repeating: 0, count: q)
        var ahat = [Double](repeating: 0, count: p)
        var scratch = [Double](repeating: 0, count: (0..<p).reduce(1) { Swift.max($0, design.start[$1 + 1] - design.start[$1]) })
        for _ in 0..<B {
            for i in 0..<q { bs[i] = sb * rng.normal() }
            for j in 0..<p {
                for t in design.start[j]..<design.start[j + 1] {
                    ys[t] = alpha[j] + bs[design.rev[t]] + se * rng.normal()
                }
            }
            let rssStar = ys.withUnsafeBufferPointer { design.sufficient($0, c: &cs, r: &rs) }
            let m = design.maximize(rss: rssStar, c: cs)
            design.blup(gamma: m.gamma, c: cs, into: &bhat)
            ys.withUnsafeBufferPointer { design.adjusted($0, b: bhat, into: &ahat) }
            for j in 0..<p {
                let a = design.apps[j]
                guard graded[a] else { continue }
                if bandIndex(officialRound(ahat[j], decimals: dec).value, grades) != adjGrade[a] { flipAdj[j] += 1 }
                let n = design.start[j + 1] - design.start[j]
                let combined = scratch.withUnsafeMutableBufferPointer { sp -> Double in
                    for t in 0..<n { sp[t] = ys[design.start[j] + t] }
                    return combineInPlace(sp, count: n, method: effectiveMethod(methods[a], count: n, trimMinReviewers: n))
                }
                if bandIndex(officialRound(combined, decimals: dec).value, grades) != rawGrade[a] { flipRaw[j] += 1 }
            }
            if let f = reliabilityFigures(alpha: ahat, gamma: m.gamma, sigma2: m.Q / Double(dof)) {
                bootSingle.append(f.single)
                bootK.append(f.kr)
                bootAdj.append(f.adj)
            }
        }
    }
    func estimate(_ v: Double?, _ boot: [Double]) -> Estimate? {
        guard let v else { return nil }
        guard boot.count >= 20 else { return Estimate(value: v, low: nil, high: nil) }
        let s = boot.sorted()
        let lo = s[Swift.max(0, Int((0.025 * Double(s.count)).rounded(.down)))]
        let hi = s[Swift.min(s.count - 1, Int((0.975 * Double(s.count)).rounded(.up)) - 1)]
        return Estimate(value: v, low: Swift.min(lo, v), high: Swift.max(hi, v))
    }

    // Assemble.
    var reviewers: [ReviewerCalibration] = []
    var compactOf = [Int](repeating: -1, count: R)
    for (i, r) in design.revs.enumerated() { compactOf[r] = i }
    for r in 0..<R {
        let i = compactOf[r]
        if i < 0 {
            reviewers.append(ReviewerCalibration(id: input.reviewers[r], severity: 0, se: nil, sheets: 0, fit: nil, component: nil))
        } else {
            let fit = fitCount[i] > 0 ? fitSum[i] / Double(fitCount[i]) : nil
            reviewers.append(ReviewerCalibration(
                id: input.reviewers[r], severity: b[i] == 0 ? 0 : b[i], se: fitted ? seB[i] : nil,
                sheets: Int(design.nr[i]), fit: fit, component: comps.reviewer[r]))
        }
    }
    var applicants: [ApplicantCalibration] = []
    var gradesChanged = 0
    for a in 0..<A {
        let j = fitIndex[a]
        let g1 = rawGrade[a].map { grades[$0] }, g2 = adjGrade[a].map { grades[$0] }
        let stab = j >= 0 && B > 0 && graded[a] ? Double(flipRaw[j]) / Double(B) : nil
        let stabAdj = j >= 0 && B > 0 && graded[a] ? Double(flipAdj[j]) / Double(B) : nil
        if graded[a] && j >= 0 && rawGrade[a] != adjGrade[a] { gradesChanged += 1 }
        applicants.append(ApplicantCalibration(
            id: input.applicants[a], component: comps.applicant[a], sheets: j >= 0 ? Int(design.n[j]) : 0,
            raw: raw[a].map { officialRound($0, decimals: dec).value },
            adjusted: j >= 0 ? adjustedRounded[j].value : nil, adjustedExact: j >= 0 ? alpha[j] : nil, se: j >= 0 && fitted ? seA[j] : nil,
            gradeRaw: g1?.name, gradeRawEn: g1?.nameEn ?? g1?.name, gradeAdjusted: g2?.name,
            gradeAdjustedEn: g2?.nameEn ?? g2?.name,
            gradeStability: stab, gradeStabilityAdjusted: stabAdj,
            unstable: (stab ?? 0) > settings.stabilityThreshold))
    }
    // Competition ranks of the graded applicants under both scores (integer keys: exact ties).
    func ranks(_ key: (Int) -> Int64?) -> [Int?] {
        let order = (0..<A).compactMap { a -> (Int, Int64)? in key(a).map { (a, $0) } }.sorted { $0.1 > $1.1 }
        var out = [Int?](repeating: nil, count: A)
        var pos = 0
        while pos < order.count {
            var end = pos
            while end + 1 < order.count && order[end + 1].1 == order[pos].1 { end += 1 }
            for k in pos...end { out[order[k].0] = pos + 1 }
            pos = end + 1
        }
        return out
    }
    let rawRank = ranks { a in graded[a] && fitIndex[a] >= 0 ? raw[a].map { officialRound($0, decimals: dec).key } : nil }
    let adjRank = ranks { a in graded[a] && fitIndex[a] >= 0 ? adjustedRounded[fitIndex[a]].key : nil }
    let ranksChanged = (0..<A).filter { rawRank[$0] != adjRank[$0] }.count

    let reliability = CalibrationReliability(
        singleRater: estimate(point?.single, bootSingle), kRater: estimate(point?.kr, bootK),
        k: fitted ? harmonicK : nil, adjusted: estimate(point?.adj, bootAdj),
        applicants: p, reviewers: q, notes: notes)
    return CalibrationResult(
        estimator: "REML", components: components, reviewers: reviewers, applicants: applicants,
        variance: fitted ? VarianceComponents(reviewer: gamma * sigma2, residual: sigma2, applicant: point?.sa) : nil,
        reliability: reliability, sheets: N, replicates: B, stabilityThreshold: settings.stabilityThreshold,
        logLikelihood: ll, gradesChanged: gradesChanged, ranksChanged: ranksChanged)
}

// MARK: - Symmetric eigendecomposition

/// Eigenvalues and eigenvectors of a symmetric n × n matrix (row-major): Householder reduction to
/// tridiagonal form, then the implicit QL method (the EISPACK tred2/tql2 routines as in JAMA, public
/// domain). Returns the eigenvalues and the eigenvectors column by column (`vectors[k * n + i]` is
/// component i of vector k).
func symmetricEigen(_ matrix: [Double], _ n: Int) -> (values: [Double], vectors: [Double]) {
    guard n > 0 else { return ([], []) }
    // V column-major: V[row][col] at col * n + row (the symmetric input reads the same either way).
    var V = matrix
    var d = [Double](repeating: 0, count: n)
    var e = [Double](repeating: 0, count: n)
    V.withUnsafeMutableBufferPointer { v in
        @inline(__always) func at(_ r: Int, _ c: Int) -> Int { c * n + r }
        // tred2
        for j in 0..<n { d[j] = v[at(n - 1, j)] }
        var i = n - 1
        while i > 0 {
            var scale = 0.0, h = 0.0
            for k in 0..<i { scale += abs(d[k]) }
            if scale == 0 {
                e[i] = d[i - 1]
                for j in 0..<i {
                    d[j] = v[at(i - 1, j)]
                    v[at(i, j)] = 0
                    v[at(j, i)] = 0
                }
            } else {
                for k in 0..<i {
                    d[k] /= scale
                    h += d[k] * d[k]
                }
                var f = d[i - 1]
                var g = h.squareRoot()
                if f > 0 { g = -g }
                e[i] = scale * g
                h -= f * g
                d[i - 1] = f - g
                for j in 0..<i { e[j] = 0 }
                for j in 0..<i {
                    f = d[j]
                    v[at(j, i)] = f
                    g = e[j] + v[at(j, j)] * f
                    if j + 1 <= i - 1 {
                        for k in (j + 1)...(i - 1) {
                            g += v[at(k, j)] * d[k]
                            e[k] += v[at(k, j)] * f
                        }
                    }
                    e[j] = g
                }
                f = 0
                for j in 0..<i {
                    e[j] /= h
                    f += e[j] * d[j]
                }
                let hh = f / (h + h)
                for j in 0..<i { e[j] -= hh * d[j] }
                for j in 0..<i {
                    f = d[j]
                    g = e[j]
                    for k in j...(i - 1) { v[at(k, j)] -= (f * e[k] + g * d[k]) }
                    d[j] = v[at(i - 1, j)]
                    v[at(i, j)] = 0
                }
            }
            d[i] = h
            i -= 1
        }
        for i in 0..<(n - 1) {
            v[at(n - 1, i)] = v[at(i, i)]
            v[at(i, i)] = 1
            let h = d[i + 1]
            if h != 0 {
                for k in 0...i { d[k] = v[at(k, i + 1)] / h }
                for j in 0...i {
                    var g = 0.0
                    for k in 0...i { g += v[at(k, i + 1)] * v[at(k, j)] }
                    for k in 0...i { v[at(k, j)] -= g * d[k] }
                }
            }
            for k in 0...i { v[at(k, i + 1)] = 0 }
        }
        for j in 0..<n {
            d[j] = v[at(n - 1, j)]
            v[at(n - 1, j)] = 0
        }
        v[at(n - 1, n - 1)] = 1
        e[0] = 0

        // tql2
        for i in 1..<n { e[i - 1] = e[i] }
        e[n - 1] = 0
        var f = 0.0
        var tst1 = 0.0
        let eps = Double.ulpOfOne
        for l in 0..<n {
            tst1 = Swift.max(tst1, abs(d[l]) + abs(e[l]))
            var m = l
            while m < n - 1 {
                if abs(e[m]) <= eps * tst1 { break }
                m += 1
            }
            if m > l {
                var iter = 0
                repeat {
                    iter += 1
                    var g = d[l]
                    var p = (d[l + 1] - g) / (2 * e[l])
                    var r = (p * p + 1).squareRoot()
                    if p < 0 { r = -r }
                    d[l] = e[l] / (p + r)
                    d[l + 1] = e[l] * (p + r)
                    let dl1 = d[l + 1]
                    var h = g - d[l]
                    if l + 2 < n { for i in (l + 2)..<n { d[i] -= h } }
                    f += h
                    p = d[m]
                    var c = 1.0, c2 = 1.0, c3 = 1.0
                    let el1 = e[l + 1]
                    var s = 0.0, s2 = 0.0
                    var i = m - 1
                    while i >= l {
                        c3 = c2
                        c2 = c
                        s2 = s
                        g = c * e[i]
                        h = c * p
                        r = (p * p + e[i] * e[i]).squareRoot()
                        e[i + 1] = s * r
                        s = e[i] / r
                        c = p / r
                        p = c * d[i] - s * g
                        d[i + 1] = h + s * (c * g + s * d[i])
                        let ci = i * n, ci1 = (i + 1) * n
                        for k in 0..<n {
                            h = v[ci1 + k]
                            v[ci1 + k] = s * v[ci + k] + c * h
                            v[ci + k] = c * v[ci + k] - s * h
                        }
                        i -= 1
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1
                    e[l] = s * p
                    d[l] = c * p
                } while abs(e[l]) > eps * tst1 && iter < 100
            }
            d[l] += f
            e[l] = 0
        }
    }
    return (d, V)
}
