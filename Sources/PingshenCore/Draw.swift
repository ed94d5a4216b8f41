import Foundation

// The verifiable random draw of experts (随机抽取, issue 11; docs/statistics.md §8).
//
// 1. Eligibility: the pool minus unavailable experts, experts outside `--field`, experts already in the
//    panel and (by default) experts tied to any applicant. The eligible candidates, sorted by id (UTF-8
//    byte order), are the snapshot; its digest is SHA-256 of `canonicalCandidateText`.
// 2. Order: a Fisher–Yates shuffle of the snapshot driven by a seeded generator (PingshenAudit's
//    `DrawGenerator`: SHA-256 in counter mode). The shuffled list is the draw's seeded order.
// 3. Selection: walk the seeded order and take each candidate whose kind still has room in its quota and,
//    with one-per-organization, whose organization is not yet taken, until N are drawn; then the next M
//    that would also be admissible form the reserve. A replacement (补抽) is the first candidate in the same
//    order never drawn before, of the replaced expert's kind (with quotas), admissible for the organization
//    rule against the panel as it stands.

/// A source of uniformly random 64-bit words (the draw's generator).
public protocol DrawRandomSource {
    mutating func next64() -> UInt64
}

extension DrawRandomSource {
    /// A uniform integer in 0..<n: words below 2^64 mod n are rejected, then the word mod n.
    public mutating func uniform(below n: Int) -> Int {
        precondition(n > 0)
        let m = UInt64(n)
        let threshold = (0 &- m) % m
        while true {
            let w = next64()
            if w >= threshold { return Int(w % m) }
        }
    }
}

/// A candidate as the snapshot keeps it: what the selection rules read.
public struct DrawCandidate: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var organization: String
    public var kind: String
    public init(id: String, name: String, organization: String, kind: String) {
        self.id = id
        self.name = name
        self.organization = organization
        self.kind = kind
    }
}

/// The rules of one draw.
public struct DrawRules: Sendable, Equatable, Codable {
    public var count: Int
    /// Quotas per kind in the order given (empty: any kind).
    public var kinds: [KindQuota]
    public var reserve: Int
    public var onePerOrganization: Bool
    public var field: String?
    /// "exclude" (default: tied experts are not candidates) or "pairs" (ties become recusals).
    public var ties: String

    public struct KindQuota: Sendable, Equatable, Codable {
        public var kind: String
        public var count: Int
        public init(kind: String, count: Int) {
            self.kind = kind
            self.count = count
        }
    }

    public init(count: Int, kinds: [KindQuota] = [], reserve: Int = 0, onePerOrganization: Bool = false,
                field: String? = nil, ties: String = "exclude") {
        self.count = count
        self.kinds = kinds
        self.reserve = reserve
        self.onePerOrganization = onePerOrganization
        self.field = field
        self.ties = ties
    }

    /// The rules as one line, as the audit log records them (and `draw verify` and the Python script read).
    /// `count=7;kinds=技术:5,管理:1,财务:1;reserve=2;one_per_org=1;field=;ties=exclude`
    public var canonical: String {
        "count=\(count);kinds=\(kinds.map { "\($0.kind):\($0.count)" }.joined(separator: ","));reserve=\(reserve);"
            + "one_per_org=\(onePerOrganization ? 1 : 0);field=\(field ?? "");ties=\(ties)"
    }

    public static func parse(canonical s: String) -> DrawRules? {
        var d: [String: String] = [:]
        for part in s.split(separator: ";", omittingEmptySubsequences: false) {
            guard let eq = part.firstIndex(of: "=") else { return nil }
            d[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        guard let c = d["count"].flatMap({ Int($0) }), let r = d["reserve"].flatMap({ Int($0) }),
              let o = d["one_per_org"], let k = d["kinds"], let t = d["ties"] else { return nil }
        var kinds: [KindQuota] = []
        for q in k.split(separator: ",") {
            guard let i = q.lastIndex(of: ":"), let n = Int(q[q.index(after: i)...]) else { return nil }
            kinds.append(KindQuota(kind: String(q[..<i]), count: n))
        }
        let f = d["field"] ?? ""
        return DrawRules(count: c, kinds: kinds, reserve: r, onePerOrganization: o == "1", field: f.isEmpty ? nil : f, ties: t)
    }

    /// Parses `技术=5,管理=1,财务=1` (also `:`, full-width `＝`, `，`).
    public static func parseKinds(_ s: String) -> [KindQuota]? {
        var out: [KindQuota] = []
        for part in foldFullWidth(s).split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" }) {
            let p = part.trimmingCharacters(in: .whitespaces)
            guard let i = p.firstIndex(where: { $0 == "=" || $0 == ":" }) else { return nil }
            let kind = p[..<i].trimmingCharacters(in: .whitespaces)
            guard !kind.isEmpty, let n = Int(p[p.index(after: i)...].trimmingCharacters(in: .whitespaces)), n >= 0,
                  !out.contains(where: { $0.kind == kind }) else { return nil }
            out.append(KindQuota(kind: kind, count: n))
        }
        return out.isEmpty ? nil : out
    }
}

/// The eligible candidates and why the others were left out.
public struct DrawEligibility: Sendable, Equatable {
    /// Sorted by id (UTF-8 byte order): the snapshot.
    public var candidates: [DrawCandidate]
    public var pool: Int
    public var unavailable: Int
    public var otherField: Int
    public var tied: Int
    public var inPanel: Int
    /// With ties as pairs: each candidate's tied applicants with the reason.
    public var tiedPairs: [String: [(applicant: String, reason: String)]]

    public static func == (a: Self, b: Self) -> Bool {
        a.candidates == b.candidates && a.pool == b.pool && a.unavailable == b.unavailable && a.otherField == b.otherField
            && a.tied == b.tied && a.inPanel == b.inPanel
    }
}

/// Filters the pool for a draw (step 1).
public func drawEligibility(pool: [Expert], applicants: [ApplicantProfile], rules: DrawRules,
                            inPanel: Set<String>) -> DrawEligibility {
    var out = DrawEligibility(candidates: [], pool: pool.count, unavailable: 0, otherField: 0, tied: 0, inPanel: 0, tiedPairs: [:])
    let field = rules.field.map(poolKey)
    let index = TieIndex(applicants)
    for e in pool {
        if inPanel.contains(e.id) { out.inPanel += 1; continue }
        if !e.available { out.unavailable += 1; continue }
        if let field, !e.fields.map(poolKey).contains(field) { out.otherField += 1; continue }
        let pairs = index.ties(of: e)
        if !pairs.isEmpty {
            if rules.ties != "pairs" { out.tied += 1; continue }
            out.tiedPairs[e.id] = pairs
        }
        out.candidates.append(DrawCandidate(id: e.id, name: e.name, organization: poolKey(e.organization), kind: e.kind))
    }
    out.candidates.sort { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    return out
}

/// The snapshot's canonical text: one line per candidate in id order, `id TAB name TAB organization TAB
/// kind LF`. Its SHA-256 is the candidates digest.
public func canonicalCandidateText(_ candidates: [DrawCandidate]) -> String {
    var s = ""
    for c in candidates { s += "\(c.id)\t\(c.name)\t\(c.organization)\t\(c.kind)\n" }
    return s
}

/// The seeded order (step 2): Fisher–Yates from the last position down,
/// `for i in n-1 … 1 { j = uniform(i + 1); swap(a[i], a[j]) }`, on the candidates in snapshot order.
/// Returns the candidates' indexes in the shuffled order.
public func seededOrder<G: DrawRandomSource>(count n: Int, _ g: inout G) -> [Int] {
    var a = Array(0..<n)
    var i = n - 1
    while i > 0 {
        let j = g.uniform(below: i + 1)
        a.swapAt(i, j)
        i -= 1
    }
    return a
}

/// The outcome of a draw: drawn and reserve ids in order.
public struct DrawSelection: Sendable, Equatable {
    public var drawn: [String]
    public var reserve: [String]
}

/// Why a draw cannot be made.
public enum DrawRefusal: Error, Sendable, Equatable {
    /// Fewer candidates than the count.
    case tooFew(needed: Int, left: Int)
    /// Fewer candidates of a kind than its quota.
    case kind(kind: String, needed: Int, left: Int)
    /// Quotas do not add up to the count.
    case quotaSum(sum: Int, count: Int)
    /// One per organization: too few organizations (overall or for a kind's quota).
    case organizations(kind: String?, needed: Int, organizations: Int)
}

/// Selects the drawn experts and the reserve (step 3) from the candidates (snapshot order) and the seeded order.
public func selectDraw(_ candidates: [DrawCandidate], order: [Int], rules: DrawRules) -> Result<DrawSelection, DrawRefusal> {
    if !rules.kinds.isEmpty {
        let sum = rules.kinds.reduce(0) { $0 + $1.count }
        if sum != rules.count { return .failure(.quotaSum(sum: sum, count: rules.count)) }
    }
    if candidates.count < rules.count { return .failure(.tooFew(needed: rules.count, left: candidates.count)) }
    for q in rules.kinds {
        let left = candidates.filter { $0.kind == q.kind }.count
        if left < q.count { return .failure(.kind(kind: q.kind, needed: q.count, left: left)) }
    }
    var quota: [String: Int] = [:]
    for q in rules.kinds { quota[q.kind] = q.count }
    var orgs = Set<String>()
    var drawn: [String] = []
    var taken = Set<Int>()
    for i in order where drawn.count < rules.count {
        let c = candidates[i]
        if !rules.kinds.isEmpty {
            guard let left = quota[c.kind], left > 0 else { continue }
        }
        if rules.onePerOrganization && orgs.contains(c.organization) { continue }
        if !rules.kinds.isEmpty { quota[c.kind, default: 0] -= 1 }
        orgs.insert(c.organization)
        drawn.append(c.id)
        taken.insert(i)
    }
    if drawn.count < rules.count {
        // Only the organization rule can stop the walk short now.
        if let q = rules.kinds.first(where: { (quota[$0.kind] ?? 0) > 0 }) {
            let n = Set(candidates.filter { $0.kind == q.kind }.map(\.organization)).count
            return .failure(.organizations(kind: q.kind, needed: q.count, organizations: n))
        }
        return .failure(.organizations(kind: nil, needed: rules.count, organizations: Set(candidates.map(\.organization)).count))
    }
    var reserve: [String] = []
    let kinds = Set(rules.kinds.map(\.kind))
    for i in order where reserve.count < rules.reserve && !taken.contains(i) {
        let c = candidates[i]
        if !kinds.isEmpty && !kinds.contains(c.kind) { continue }
        if rules.onePerOrganization && orgs.contains(c.organization) { continue }
        orgs.insert(c.organization)
        reserve.append(c.id)
    }
    return .success(DrawSelection(drawn: drawn, reserve: reserve))
}

/// The replacement for `replaced` (补抽): the first candidate in the seeded order not in `used` (everyone
/// drawn or brought in by this draw so far), of the replaced expert's kind when the draw has quotas, and
/// (one per organization) of an organization none of `current` (the draw's experts still in the panel,
/// the replaced one excluded) belongs to. Nil when none is left.
public func nextReplacement(_ candidates: [DrawCandidate], order: [Int], rules: DrawRules, replaced: String,
                            used: Set<String>, current: [String]) -> DrawCandidate? {
    let byId = Dictionary(candidates.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    let kind = byId[replaced]?.kind
    let orgs = Set(current.filter { $0 != replaced }.compactMap { byId[$0]?.organization })
    for i in order {
        let c = candidates[i]
        if used.contains(c.id) { continue }
        if !rules.kinds.isEmpty && c.kind != kind { continue }
        if rules.onePerOrganization && orgs.contains(c.organization) { continue }
        return c
    }
    return nil
}

/// Replays a draw and its replacements from the snapshot: what the panel's drawn reviewers must be.
public struct DrawReplay: Sendable, Equatable {
    public var selection: DrawSelection
    /// (replaced, replacement) in order; replacement nil when the pool had none left.
    public var replacements: [(replaced: String, replacement: String?)]
    /// The draw's experts who should be in the panel now, in order.
    public var current: [String]

    public static func == (a: Self, b: Self) -> Bool {
        a.selection == b.selection && a.current == b.current
            && a.replacements.map(\.replaced) == b.replacements.map(\.replaced)
            && a.replacements.map(\.replacement) == b.replacements.map(\.replacement)
    }
}

public func replayDraw<G: DrawRandomSource>(_ candidates: [DrawCandidate], rules: DrawRules, generator: inout G,
                                            replaced: [String]) -> Result<DrawReplay, DrawRefusal> {
    let order = seededOrder(count: candidates.count, &generator)
    switch selectDraw(candidates, order: order, rules: rules) {
    case .failure(let e): return .failure(e)
    case .success(let sel):
        var current = sel.drawn
        var used = Set(sel.drawn)
        var reps: [(replaced: String, replacement: String?)] = []
        for r in replaced {
            let next = nextReplacement(candidates, order: order, rules: rules, replaced: r, used: used, current: current)
            if let i = current.firstIndex(of: r) { current.remove(at: i) }
            if let next {
                used.insert(next.id)
                current.append(next.id)
            }
            reps.append((r, next?.id))
        }
        return .success(DrawReplay(selection: sel, replacements: reps, current: current))
    }
}
