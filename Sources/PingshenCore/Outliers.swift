import Foundation

/// Outlier checks on one round of a panel (docs/statistics.md gives the formulas and why each matters):
/// single scores far from the rest (robust, leave-one-out), panel disagreement on an applicant, a
/// reviewer's severity or leniency and inconsistency, and the panel's overall agreement.

public enum FlagKind: String, Codable, Sendable, CaseIterable {
    /// One reviewer's points on one indicator far from the other reviewers' on that indicator.
    case wildScore = "wild_score"
    /// One reviewer's total far from the other reviewers' totals on that applicant.
    case wildTotal = "wild_total"
    /// The panel's totals on an applicant spread over more than the allowed range.
    case disagreement
    /// A reviewer systematically below the rest of the panel (偏严).
    case severe
    /// A reviewer systematically above the rest of the panel (偏宽).
    case lenient
    /// A reviewer's order of the applicants unlike the rest of the panel's.
    case inconsistent
}

/// One outlier flag: what, who, by how much, and why it matters (in both languages).
///
/// Field meanings by kind:
/// - wildScore / wildTotal: `value` the score, `reference` the others' median, `deviation` value − reference,
///   `statistic` the robust z (nil when the others agree exactly, MAD = 0), `threshold` the floor in points,
///   `count` the number of other reviewers.
/// - disagreement: `value` the range of the totals, `statistic` their standard deviation, `threshold` the
///   allowed range in points, `count` the reviewers.
/// - severe / lenient: `value` the mean signed deviation, `standardError` its SE, `statistic` t (nil when
///   SE = 0), `threshold` the bias in points, `count` the applicants compared.
/// - inconsistent: `value` the Spearman correlation, `threshold` the lowest accepted, `count` the applicants.
public struct OutlierFlag: Codable, Sendable, Equatable {
    public var kind: FlagKind
    public var applicant: String?
    public var reviewer: String?
    public var indicator: String?
    public var value: Double
    public var reference: Double?
    public var deviation: Double?
    public var statistic: Double?
    public var standardError: Double?
    public var threshold: Double
    public var count: Int
    public var explanationZh: String
    public var explanationEn: String

    public func explanation(_ lang: Lang) -> String { lang == .en ? explanationEn : explanationZh }
}

/// A reviewer's severity and consistency statistics (before flagging).
struct ReviewerStats {
    var compared = 0
    var meanDeviation: Double?
    var standardError: Double?
    var t: Double?
    var rankCorrelation: Double?
}

struct OutlierDetection {
    var flags: [OutlierFlag]
    var reviewerStats: [ReviewerStats]
    var agreement: AgreementSummary
}

/// Fewest other reviewers for a leave-one-out single-score check.
let minOthersForScoreCheck = 3
/// Fewest other reviewers on an applicant for it to count in a reviewer's deviation statistics.
let minOthersForReviewerStats = 2

/// `formatNumber(v, decimals: 2)` without Foundation formatting (thousands of flags are rendered at once).
func f2(_ v: Double) -> String {
    guard v.isFinite, abs(v) < 1e12 else { return formatNumber(v, decimals: 2) }
    var n = Int64((v * 100).rounded())
    if n == 0 { return "0" }
    let negative = n < 0
    if negative { n = -n }
    var s = negative ? "-" : ""
    s += String(n / 100)
    let frac = n % 100
    if frac != 0 {
        s += frac < 10 ? ".0\(frac)" : frac % 10 == 0 ? ".\(frac / 10)" : ".\(frac)"
    }
    return s
}

/// Renders a catalog message in one pass over its template: `{i}` becomes `args[i]`. Same result as
/// `Catalog.text` (which replaces one placeholder at a time and is too slow for thousands of flags),
/// except that text inside an argument is never taken for a placeholder.
func renderMessage(_ key: String, _ args: [String], _ lang: Lang) -> String {
    guard let entry = Catalog.entries[key] else { return Catalog.text(key, args, lang) }
    let template = Array((lang == .en ? entry.en : entry.zh).utf8)
    var out: [UInt8] = []
    out.reserveCapacity(template.count + args.reduce(0) { $0 + $1.utf8.count })
    var i = 0
    while i < template.count {
        if template[i] == UInt8(ascii: "{") {
            var j = i + 1
            var index = 0
            while j < template.count, template[j] >= UInt8(ascii: "0"), template[j] <= UInt8(ascii: "9") {
                index = index * 10 + Int(template[j] - UInt8(ascii: "0"))
                j += 1
            }
            if j > i + 1, j < template.count, template[j] == UInt8(ascii: "}"), index < args.count {
                out.append(contentsOf: args[index].utf8)
                i = j + 1
                continue
            }
        }
        out.append(template[i])
        i += 1
    }
    return String(decoding: out, as: UTF8.self)
}

private func explain(_ key: String, _ zh: [String], _ en: [String]) -> (String, String) {
    (renderMessage(key, zh, .zh), renderMessage(key, en, .en))
}

func detectOutliers(matrix: ScoreMatrix, rubric cr: CompiledRubric, snapshot: PanelSnapshot,
                    settings s: OutlierSettings) -> OutlierDetection {
    let A = snapshot.applicants.count
    let R = snapshot.reviewers.count
    let L = matrix.leafCount
    var reviewerFlags: [OutlierFlag] = []
    var applicantFlags: [OutlierFlag] = []
    let maxM = (0..<A).reduce(0) { Swift.max($0, matrix.start[$1 + 1] - matrix.start[$1]) }
    var values = [Double](repeating: 0, count: Swift.max(maxM, 1))
    var sorted = [Double](repeating: 0, count: Swift.max(maxM, 1))
    var work = [Double](repeating: 0, count: Swift.max(maxM, 1))
    var owner = [Int](repeating: 0, count: Swift.max(maxM, 1))
    let zhNames = cr.nodes.map { $0.name }
    let enNames = cr.nodes.map { $0.nameEn ?? $0.name }
    let total = cr.total

    /// Leave-one-out checks of the first `c` entries of `values` (reviewer rows in `owner`).
    func singleScoreChecks(_ c: Int, weight: Double, step: Double?, applicant a: Int, leaf li: Int?) {
        guard c >= minOthersForScoreCheck + 1, weight > 0 else { return }
        let floor = s.scoreFloorShare * weight
        // The spread of the others is never taken as smaller than the score step or a share of the weight,
        // so that a unanimous panel (MAD = 0) does not make a one-step difference look extreme.
        let minScale = Swift.max(step ?? 0, s.scoreScaleFloorShare * weight)
        for k in 0..<c { sorted[k] = values[k] }
        sorted.withUnsafeMutableBufferPointer { insertionSort($0, count: c) }
        let n = c - 1
        for k in 0..<c {
            let x = values[k]
            // Position of one copy of x in the sorted values; the others are the sorted values without it.
            var p = 0
            while p < c - 1 && sorted[p] != x { p += 1 }
            @inline(__always) func other(_ j: Int) -> Double { sorted[j < p ? j : j + 1] }
            let med = n % 2 == 1 ? other(n / 2) : (other(n / 2 - 1) + other(n / 2)) / 2
            let dev = x - med
            guard abs(dev) > 1e-9, abs(dev) + 1e-9 >= floor else { continue }
            for j in 0..<n { work[j] = abs(other(j) - med) }
            let mad = work.withUnsafeMutableBufferPointer { w -> Double in
                insertionSort(w, count: n)
                return sortedMedian(w, count: n)
            }
            // minScale > 0 because weight > 0, so z is always defined.
            let z = dev / Swift.max(Statistics.madScale * mad, minScale)
            guard abs(z) > s.scoreZ else { continue }
            let r = matrix.reviewer[owner[k]]
            let rev = snapshot.reviewers[r]
            let app = snapshot.applicants[a]
            let zZh = f2(z)
            let zEn = zZh
            let text: (String, String)
            if let li {
                let node = cr.leafNode[li]
                text = explain("report.flag.wild_score",
                               [rev.name, app.name, zhNames[node], f2(weight), f2(x), String(n), f2(med), f2(abs(dev)), zZh, f2(s.scoreZ), f2(floor)],
                               [rev.name, app.name, enNames[node], f2(weight), f2(x), String(n), f2(med), f2(abs(dev)), zEn, f2(s.scoreZ), f2(floor)])
            } else {
                text = explain("report.flag.wild_total",
                               [rev.name, app.name, f2(x), String(n), f2(med), f2(abs(dev)), zZh, f2(s.scoreZ), f2(floor)],
                               [rev.name, app.name, f2(x), String(n), f2(med), f2(abs(dev)), zEn, f2(s.scoreZ), f2(floor)])
            }
            applicantFlags.append(OutlierFlag(
                kind: li == nil ? .wildTotal : .wildScore, applicant: app.id, reviewer: rev.id,
                indicator: li.map { cr.leafIds[$0] }, value: x, reference: med, deviation: dev, statistic: z,
                standardError: nil, threshold: floor, count: n, explanationZh: text.0, explanationEn: text.1))
        }
    }

    // Per reviewer: (own total, mean of the others' totals) on each applicant with enough others.
    var pairsOwn = [[Double]](repeating: [], count: R)
    var pairsOthers = [[Double]](repeating: [], count: R)

    for a in 0..<A {
        let r0 = matrix.start[a], r1 = matrix.start[a + 1]
        let m = r1 - r0
        guard m > 0 else { continue }
        let app = snapshot.applicants[a]

        // (b) Disagreement on the applicant.
        if m >= 2 {
            var lo = Double.infinity, hi = -Double.infinity
            for row in r0..<r1 {
                lo = Swift.min(lo, matrix.total[row])
                hi = Swift.max(hi, matrix.total[row])
            }
            let limit = s.disagreementRangeShare * total
            let range = hi - lo
            if range > limit + 1e-9 {
                let sd = Statistics.standardDeviation(Array(matrix.total[r0..<r1])) ?? 0
                let share = formatNumber(s.disagreementRangeShare * 100, decimals: 1) + "%"
                let text = explain("report.flag.disagreement",
                                   [app.name, f2(hi), f2(lo), f2(range), f2(limit), share, f2(sd), String(m)],
                                   [app.name, f2(hi), f2(lo), f2(range), f2(limit), share, f2(sd), String(m)])
                applicantFlags.append(OutlierFlag(
                    kind: .disagreement, applicant: app.id, reviewer: nil, indicator: nil, value: range,
                    reference: nil, deviation: nil, statistic: sd, standardError: nil, threshold: limit, count: m,
                    explanationZh: text.0, explanationEn: text.1))
            }
        }

        // (a) Single scores: the total, then each points leaf.
        for k in 0..<m {
            values[k] = matrix.total[r0 + k]
            owner[k] = r0 + k
        }
        singleScoreChecks(m, weight: total, step: nil, applicant: a, leaf: nil)
        for li in cr.pointsLeaves {
            var c = 0
            for row in r0..<r1 {
                let p = matrix.leaf[row * L + li]
                if !p.isNaN {
                    values[c] = p
                    owner[c] = row
                    c += 1
                }
            }
            singleScoreChecks(c, weight: cr.leafWeight[li], step: cr.leafStep[li], applicant: a, leaf: li)
        }

        // Pairs for the reviewer statistics.
        // The reference is the median of the other reviewers' totals, so that one harsh or wild reviewer
        // does not make everybody else look lenient.
        if m >= minOthersForReviewerStats + 1 {
            for k in 0..<m { sorted[k] = matrix.total[r0 + k] }
            sorted.withUnsafeMutableBufferPointer { insertionSort($0, count: m) }
            let n = m - 1
            for row in r0..<r1 {
                let r = matrix.reviewer[row]
                let t = matrix.total[row]
                var p = 0
                while p < m - 1 && sorted[p] != t { p += 1 }
                @inline(__always) func other(_ j: Int) -> Double { sorted[j < p ? j : j + 1] }
                let med = n % 2 == 1 ? other(n / 2) : (other(n / 2 - 1) + other(n / 2)) / 2
                pairsOwn[r].append(t)
                pairsOthers[r].append(med)
            }
        }
    }

    // (c) Severity / leniency and (d) inconsistency per reviewer.
    var stats = [ReviewerStats](repeating: ReviewerStats(), count: R)
    for r in 0..<R {
        let own = pairsOwn[r], others = pairsOthers[r]
        let n = own.count
        guard n > 0 else { continue }
        let d = zip(own, others).map { $0 - $1 }
        var st = ReviewerStats()
        st.compared = n
        st.meanDeviation = Statistics.mean(d)
        if let sd = Statistics.standardDeviation(d) {
            st.standardError = sd / Double(n).squareRoot()
        }
        if let m = st.meanDeviation, let se = st.standardError, se > 1e-12 { st.t = m / se }
        st.rankCorrelation = Statistics.spearman(own, others)
        stats[r] = st
        let rev = snapshot.reviewers[r]
        guard n >= s.minApplicantsForReviewerFlags else { continue }
        if let m = st.meanDeviation, let se = st.standardError, abs(m) + 1e-9 >= s.biasPoints,
           se <= 1e-12 || abs(m) / se >= s.biasT {
            let kind: FlagKind = m < 0 ? .severe : .lenient
            let key = kind == .severe ? "report.flag.severe" : "report.flag.lenient"
            let tZh = st.t.map(f2) ?? Catalog.text("report.flag.t_exact", [], .zh)
            let tEn = st.t.map(f2) ?? Catalog.text("report.flag.t_exact", [], .en)
            let text = explain(key, [rev.name, String(n), f2(abs(m)), f2(se), tZh, f2(s.biasPoints), f2(s.biasT)],
                               [rev.name, String(n), f2(abs(m)), f2(se), tEn, f2(s.biasPoints), f2(s.biasT)])
            reviewerFlags.append(OutlierFlag(
                kind: kind, applicant: nil, reviewer: rev.id, indicator: nil, value: m, reference: nil,
                deviation: nil, statistic: st.t, standardError: se, threshold: s.biasPoints, count: n,
                explanationZh: text.0, explanationEn: text.1))
        }
        if let rho = st.rankCorrelation, rho < s.minRankCorrelation {
            let text = explain("report.flag.inconsistent", [rev.name, String(n), f2(rho), f2(s.minRankCorrelation)],
                               [rev.name, String(n), f2(rho), f2(s.minRankCorrelation)])
            reviewerFlags.append(OutlierFlag(
                kind: .inconsistent, applicant: nil, reviewer: rev.id, indicator: nil, value: rho, reference: nil,
                deviation: nil, statistic: rho, standardError: nil, threshold: s.minRankCorrelation, count: n,
                explanationZh: text.0, explanationEn: text.1))
        }
    }

    // (e) Agreement over the complete rows: every reviewer who scored anything this round, on the
    // applicants all of them scored.
    var active = [Bool](repeating: false, count: R)
    for r in matrix.reviewer { active[r] = true }
    let columns = (0..<R).filter { active[$0] }
    var column = [Int](repeating: -1, count: R)
    for (j, r) in columns.enumerated() { column[r] = j }
    var complete: [[Double]] = []
    if columns.count >= 2 {
        for a in 0..<A {
            let r0 = matrix.start[a], r1 = matrix.start[a + 1]
            guard r1 - r0 == columns.count else { continue }
            var row = [Double](repeating: 0, count: columns.count)
            for k in r0..<r1 { row[column[matrix.reviewer[k]]] = matrix.total[k] }
            complete.append(row)
        }
    }
    let pointsScored = !cr.pointsLeaves.isEmpty
    var icc: Double?, w: Double?
    var iccGap: AgreementGap?, wGap: AgreementGap?
    var iccCI: (Double, Double)?, wCI: (Double, Double)?
    if !pointsScored {
        iccGap = .noPoints
    } else if columns.count < 2 {
        iccGap = .fewReviewers
    } else if complete.count < agreementMinApplicants {
        iccGap = .fewComplete
    } else {
        icc = Statistics.icc21(complete)
        w = Statistics.kendallW(complete)
        if icc == nil {
            // Nothing varies at all (every total equal) or only the columns vary.
            let first = complete[0][0]
            iccGap = complete.allSatisfy({ $0.allSatisfy { $0 == first } }) ? .identical : .noOrder
        }
        if w == nil { wGap = complete.allSatisfy({ row in row.allSatisfy { $0 == row[0] } }) ? .identical : .noOrder }
        iccCI = Statistics.bootstrapInterval(complete, Statistics.icc21)
        wCI = Statistics.bootstrapInterval(complete, Statistics.kendallW)
    }
    if iccGap != nil && wGap == nil && w == nil { wGap = iccGap }
    var sets = Set<[Int]>()
    var mostReviewers = 0
    for a in 0..<A {
        let r0 = matrix.start[a], r1 = matrix.start[a + 1]
        guard r1 > r0 else { continue }
        mostReviewers = Swift.max(mostReviewers, r1 - r0)
        sets.insert(Array(matrix.reviewer[r0..<r1]).sorted())
    }
    var sheetsForComponents: [CalibrationSheet] = []
    sheetsForComponents.reserveCapacity(matrix.reviewer.count)
    for a in 0..<A {
        for row in matrix.start[a]..<matrix.start[a + 1] {
            sheetsForComponents.append(CalibrationSheet(applicant: a, reviewer: matrix.reviewer[row], score: 0))
        }
    }
    let componentCount = designComponents(applicants: A, reviewers: R, sheets: sheetsForComponents).count
    let agreement = AgreementSummary(reviewers: columns.count, applicants: complete.count, icc: icc,
                                     iccLevel: icc.map(AgreementLevel.forICC), kendallW: w,
                                     kendallWLevel: w.map(AgreementLevel.forKendallW),
                                     iccLow: iccCI?.0, iccHigh: iccCI?.1, kendallWLow: wCI?.0, kendallWHigh: wCI?.1,
                                     iccGap: iccGap, kendallWGap: wGap,
                                     fewApplicants: icc != nil && complete.count < agreementCaveatApplicants,
                                     maxReviewersPerApplicant: mostReviewers, reviewerSetsDiffer: sets.count > 1,
                                     components: componentCount)
    return OutlierDetection(flags: reviewerFlags + applicantFlags, reviewerStats: stats, agreement: agreement)
}
