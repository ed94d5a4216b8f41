import Foundation

/// Descriptive and agreement statistics used by the chair's computations (docs/statistics.md gives the
/// formulas). Pure functions on plain arrays; every function returns nil where the statistic is undefined
/// (too few values, zero variance) instead of NaN or infinity, so results always encode as JSON.
public enum Statistics {
    /// Scale factor that makes the median absolute deviation a consistent estimate of the standard
    /// deviation for normally distributed data (1 / Φ⁻¹(3/4)).
    public static let madScale = 1.4826

    public static func mean(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty else { return nil }
        return xs.reduce(0, +) / Double(xs.count)
    }

    public static func median(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty else { return nil }
        return medianOfSorted(xs.sorted())
    }

    /// 去掉一个最高分和一个最低分: the mean of the values without one highest and one lowest.
    /// Needs at least three values.
    public static func trimmedMean(_ xs: [Double]) -> Double? {
        guard xs.count >= 3 else { return nil }
        let s = xs.sorted()
        return s[1..<(s.count - 1)].reduce(0, +) / Double(s.count - 2)
    }

    /// Sample standard deviation (divisor n − 1). Needs at least two values.
    public static func standardDeviation(_ xs: [Double]) -> Double? {
        guard xs.count >= 2, let m = mean(xs) else { return nil }
        let ss = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (ss / Double(xs.count - 1)).squareRoot()
    }

    /// Median absolute deviation from the median (unscaled).
    public static func mad(_ xs: [Double]) -> Double? {
        guard let m = median(xs) else { return nil }
        return median(xs.map { abs($0 - m) })
    }

    /// Median of an already sorted array.
    public static func medianOfSorted(_ s: [Double]) -> Double {
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// Ranks 1…n, ties sharing the average of the ranks they span (mid-ranks).
    public static func ranks(_ xs: [Double]) -> [Double] {
        let order = xs.indices.sorted { xs[$0] < xs[$1] }
        var r = [Double](repeating: 0, count: xs.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && xs[order[j + 1]] == xs[order[i]] { j += 1 }
            let avg = Double(i + j) / 2 + 1
            for k in i...j { r[order[k]] = avg }
            i = j + 1
        }
        return r
    }

    /// Σ (t³ − t) over the groups of tied values (Kendall's tie correction term).
    public static func tieTerm(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        var total = 0.0
        var i = 0
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[i] { j += 1 }
            let t = Double(j - i + 1)
            total += t * t * t - t
            i = j + 1
        }
        return total
    }

    /// Pearson correlation; nil when either variable has no variance or fewer than two pairs.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2, let mx = mean(x), let my = mean(y) else { return nil }
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices {
            let dx = x[i] - mx, dy = y[i] - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// Spearman rank correlation: Pearson correlation of the mid-ranks (correct with ties).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 2 else { return nil }
        return pearson(ranks(x), ranks(y))
    }

    /// ICC(2,1) — two-way random effects, absolute agreement, single rater (Shrout & Fleiss 1979;
    /// McGraw & Wong 1996 ICC(A,1)). `rows` are the applicants (subjects), each with one score per
    /// reviewer (rater) in the same column order; every row must be complete.
    ///
    ///     ICC = (MSR − MSE) / (MSR + (k − 1)·MSE + k·(MSC − MSE)/n)
    public static func icc21(_ rows: [[Double]]) -> Double? {
        let n = rows.count
        guard n >= 2, let k = rows.first?.count, k >= 2, rows.allSatisfy({ $0.count == k }) else { return nil }
        var grand = 0.0
        var rowMeans = [Double](repeating: 0, count: n)
        var colMeans = [Double](repeating: 0, count: k)
        for (i, row) in rows.enumerated() {
            for (j, x) in row.enumerated() {
                grand += x
                rowMeans[i] += x
                colMeans[j] += x
            }
        }
        grand /= Double(n * k)
        for i in 0..<n { rowMeans[i] /= Double(k) }
        for j in 0..<k { colMeans[j] /= Double(n) }
        var sst = 0.0
        for row in rows { for x in row { sst += (x - grand) * (x - grand) } }
        let ssr = Double(k) * rowMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let ssc = Double(n) * colMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let sse = max(0, sst - ssr - ssc)
        let msr = ssr / Double(n - 1)
        let msc = ssc / Double(k - 1)
        let mse = sse / Double((n - 1) * (k - 1))
        let denominator = msr + Double(k - 1) * mse + Double(k) * (msc - mse) / Double(n)
        guard denominator > 1e-12 else { return nil }
        return (msr - mse) / denominator
    }

    /// Kendall's coefficient of concordance W with the correction for ties. `rows` are the applicants,
    /// columns the reviewers; each reviewer's scores are ranked across the applicants (mid-ranks).
    ///
    ///     W = 12·S / (k²·(n³ − n) − k·Σⱼ Tⱼ),  S = Σᵢ (Rᵢ − k(n+1)/2)²,  Tⱼ = Σ (t³ − t)
    public static func kendallW(_ rows: [[Double]]) -> Double? {
        let n = rows.count
        guard n >= 2, let k = rows.first?.count, k >= 2, rows.allSatisfy({ $0.count == k }) else { return nil }
        var rankSums = [Double](repeating: 0, count: n)
        var ties = 0.0
        for j in 0..<k {
            let column = rows.map { $0[j] }
            let r = ranks(column)
            for i in 0..<n { rankSums[i] += r[i] }
            ties += tieTerm(column)
        }
        let expected = Double(k) * Double(n + 1) / 2
        let s = rankSums.reduce(0) { $0 + ($1 - expected) * ($1 - expected) }
        let nd = Double(n), kd = Double(k)
        let denominator = kd * kd * (nd * nd * nd - nd) - kd * ties
        guard denominator > 1e-12 else { return nil }
        return min(1, max(0, 12 * s / denominator))
    }
}

extension Statistics {
    /// 95 % percentile interval of a statistic of the rows (applicants), by resampling the rows with
    /// replacement (a fixed seed: the same panel always gives the same interval). The number of
    /// replicates shrinks on large panels (where the interval is narrow anyway) so that the work stays
    /// near 2 million cells: at most 400, at least 40. Nil when fewer than 20 replicates are defined.
    public static func bootstrapInterval(_ rows: [[Double]], _ statistic: ([[Double]]) -> Double?,
                                         seed: UInt64 = 0x1CC) -> (Double, Double)? {
        let n = rows.count
        guard n >= 2, let k = rows.first?.count, k > 0 else { return nil }
        let B = Swift.max(40, Swift.min(400, 2_000_000 / (n * k)))
        var rng = Xoshiro256StarStar(seed: seed)
        var values: [Double] = []
        values.reserveCapacity(B)
        var sample = rows
        for _ in 0..<B {
            for i in 0..<n { sample[i] = rows[rng.int(below: n)] }
            if let v = statistic(sample), v.isFinite { values.append(v) }
        }
        guard values.count >= 20 else { return nil }
        values.sort()
        let lo = values[Swift.max(0, Int((0.025 * Double(values.count)).rounded(.down)))]
        let hi = values[Swift.min(values.count - 1, Int((0.975 * Double(values.count)).rounded(.up)) - 1)]
        return (lo, hi)
    }
}

// MARK: - Small in-place helpers for the hot loops (no allocation)

/// Sorts a short buffer in place (insertion sort: panels have at most a few dozen reviewers).
@inline(__always)
func insertionSort(_ a: UnsafeMutableBufferPointer<Double>, count n: Int) {
    guard n > 1 else { return }
    for i in 1..<n {
        let x = a[i]
        var j = i - 1
        while j >= 0 && a[j] > x {
            a[j + 1] = a[j]
            j -= 1
        }
        a[j + 1] = x
    }
}

/// Median of the first `n` values of a sorted buffer.
@inline(__always)
func sortedMedian(_ a: UnsafeMutableBufferPointer<Double>, count n: Int) -> Double {
    n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2
}
