import Foundation

/// A generated partial design with planted severities (issue 12): what the calibration tests, the
/// statsmodels comparison and `pingshen-bench detection` fit. Deterministic for a seed.
public struct PartialDesignSample: Sendable {
    public var input: CalibrationInput
    /// The planted truth: each applicant's level and each reviewer's severity (points).
    public var level: [Double]
    public var severity: [Double]
}

/// Generates `applicants` applicants, each scored by `perApplicant` of `reviewers` reviewers (chosen at
/// random, each reviewer kept near an equal load), with levels spread evenly from `low` to `high`, reviewer
/// severities ~ N(0, severitySD²) plus the planted `shifts` (reviewer index → points), and noise ~ N(0,
/// noise²). Totals are clamped to 0…100 and kept to 2 decimals, like reviewers' totals.
public func generatePartialDesign(applicants: Int, reviewers: Int, perApplicant: Int, severitySD: Double = 3,
                                  noise: Double = 4, shifts: [Int: Double] = [:], low: Double = 55,
                                  high: Double = 95, seed: UInt64 = 1,
                                  grades: [GradeBand] = defaultCalibrationBands) -> PartialDesignSample {
    var rng = Xoshiro256StarStar(seed: seed)
    let A = Swift.max(applicants, 0), R = Swift.max(reviewers, 1)
    let m = Swift.max(1, Swift.min(perApplicant, R))
    var severity = (0..<R).map { _ in severitySD * rng.normal() }
    for (r, s) in shifts where r >= 0 && r < R { severity[r] += s }
    var level = [Double](repeating: 0, count: A)
    var load = [Int](repeating: 0, count: R)
    var sheets: [CalibrationSheet] = []
    sheets.reserveCapacity(A * m)
    for a in 0..<A {
        level[a] = A > 1 ? low + (high - low) * Double(a) / Double(A - 1) : (low + high) / 2
        // The m least-loaded reviewers after a random shuffle: random panels, balanced loads.
        let order = rng.choose(R, from: R)
        let chosen = order.sorted { load[$0] < load[$1] }.prefix(m)
        for r in chosen {
            load[r] += 1
            let y = level[a] + severity[r] + noise * rng.normal()
            sheets.append(CalibrationSheet(applicant: a, reviewer: r, score: (Swift.min(100, Swift.max(0, y)) * 100).rounded() / 100))
        }
    }
    let input = CalibrationInput(applicants: (0..<A).map { String(format: "A%04d", $0 + 1) },
                                 reviewers: (0..<R).map { String(format: "R%03d", $0 + 1) },
                                 sheets: sheets, grades: grades)
    return PartialDesignSample(input: input, level: level, severity: severity)
}

/// 优秀 ≥ 90, 良好 ≥ 75, 合格 ≥ 60, 不合格 below (the bands of the tests and the bench).
public let defaultCalibrationBands = [
    GradeBand(name: "优秀", nameEn: "Excellent", min: 90), GradeBand(name: "良好", nameEn: "Good", min: 75),
    GradeBand(name: "合格", nameEn: "Qualified", min: 60), GradeBand(name: "不合格", nameEn: "Not qualified", min: 0),
]
