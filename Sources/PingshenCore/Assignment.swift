import Foundation

// Assignment of reviewers to applicants (issue 11; docs/statistics.md §9): exactly K reviewers per
// applicant, never a forbidden (tied or recused) pair, loads as even as possible, and a connected
// reviewer–applicant graph.
//
// The flow part is exact: a min-cost flow, source → applicant (capacity K minus the pairs kept), applicant →
// reviewer (capacity 1, the pair cost), reviewer → sink with a convex cost per unit of load (0 up to the
// floor of the mean load, then B, 2B, … per unit above it; B larger than any sum of pair costs, so the most
// even loads come first and the pair costs decide among them). Solved by the primal-dual method: Dijkstra
// with potentials, then a blocking flow (Dinic) on the zero-reduced-cost edges, repeated.
// Connectivity is then repaired by swaps that keep every load and every applicant's count: two pairs
// (a1, r1), (a2, r2) in different components become (a1, r2), (a2, r1) when both are allowed.

public struct AssignmentProblem: Sendable {
    public var reviewers: [String]
    public var applicants: [String]
    public var perApplicant: Int
    /// A hard cap on every reviewer's load (nil: no cap beyond the balance cost).
    public var maxLoad: Int?
    /// Pairs that may not be assigned (tied or recused), as "reviewer\u{1F}applicant".
    public var forbidden: Set<String>
    /// Pairs that stay assigned (already scored), as (reviewer, applicant).
    public var fixed: [(reviewer: String, applicant: String)]
    /// Each reviewer's fields (专业领域), by reviewer index.
    public var reviewerFields: [[String]]
    /// Each applicant's field, by applicant index.
    public var applicantFields: [String?]
    /// Seeds the pair costs' random part (spreads co-reviewer pairs).
    public var seed: UInt64

    public init(reviewers: [String], applicants: [String], perApplicant: Int, maxLoad: Int? = nil,
                forbidden: Set<String> = [], fixed: [(reviewer: String, applicant: String)] = [],
                reviewerFields: [[String]]? = nil, applicantFields: [String?]? = nil, seed: UInt64 = 1) {
        self.reviewers = reviewers
        self.applicants = applicants
        self.perApplicant = perApplicant
        self.maxLoad = maxLoad
        self.forbidden = forbidden
        self.fixed = fixed
        self.reviewerFields = reviewerFields ?? Array(repeating: [], count: reviewers.count)
        self.applicantFields = applicantFields ?? Array(repeating: nil, count: applicants.count)
        self.seed = seed
    }

    public static func key(_ reviewer: String, _ applicant: String) -> String { reviewer + "\u{1F}" + applicant }
}

public struct AssignmentResult: Sendable, Equatable {
    /// (reviewer, applicant) pairs, by applicant order then reviewer order.
    public var pairs: [AssignedPair]
    public var loads: [String: Int]
    /// The mean load and its floor and ceiling.
    public var mean: Double
    public var low: Int
    public var high: Int
    /// Reviewers whose load is outside low…high (forbidden pairs or --max-load made it impossible).
    public var offBalance: [String]
    /// Components of the reviewer–applicant graph (reviewers with no load left out); 1 = connected.
    public var components: Int
    public var connected: Bool { components <= 1 }
    /// Swaps made by the connectivity repair.
    public var swaps: Int
    /// Sum of the pair costs.
    public var cost: Int
}

public struct AssignedPair: Sendable, Equatable, Codable, Hashable {
    public var reviewer: String
    public var applicant: String
    public init(reviewer: String, applicant: String) {
        self.reviewer = reviewer
        self.applicant = applicant
    }
}

public enum AssignmentRefusal: Error, Sendable, Equatable {
    /// K must be at least 1.
    case badK(Int)
    /// An applicant has fewer allowed reviewers than it needs.
    case applicant(applicant: String, allowed: Int, needed: Int)
    /// The loads cannot hold all pairs under --max-load.
    case capacity(pairs: Int, capacity: Int)
    /// The flow could not place every pair (forbidden pairs and the cap together).
    case short(placed: Int, needed: Int)
}

/// The pair cost: 8 when the applicant has a field that is not among the reviewer's fields, plus a seeded
/// random 0…3 (so that the same reviewers do not always meet; it spreads co-reviewer pairs).
public func assignmentPairCost(fieldMismatch: Bool, seed: UInt64, reviewer r: Int, applicant a: Int) -> Int {
    (fieldMismatch ? 8 : 0) + Int(splitMix64(seed &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(a) &* 0xBF58_476D_1CE4_E5B9) % 4)
}

/// SplitMix64's output function.
public func splitMix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

public func assignReviewers(_ p: AssignmentProblem) -> Result<AssignmentResult, AssignmentRefusal> {
    let nR = p.reviewers.count, nA = p.applicants.count, K = p.perApplicant
    if K < 1 { return .failure(.badK(K)) }
    let rIndex = Dictionary(p.reviewers.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    let aIndex = Dictionary(p.applicants.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    var fixedSet = Set<Int>()   // r * nA + a
    var fixedLoad = Array(repeating: 0, count: nR)
    var fixedCount = Array(repeating: 0, count: nA)
    for f in p.fixed {
        guard let r = rIndex[f.reviewer], let a = aIndex[f.applicant] else { continue }
        if fixedSet.insert(r * nA + a).inserted {
            fixedLoad[r] += 1
            fixedCount[a] += 1
        }
    }
    let total = nA * K
    let low = nR == 0 ? 0 : total / nR
    let high = nR == 0 ? 0 : low + (total % nR == 0 ? 0 : 1)
    let hardCap = min(p.maxLoad ?? nA, nA)
    if nR * hardCap < total { return .failure(.capacity(pairs: total, capacity: nR * hardCap)) }

    // Allowed pairs and their costs.
    let rFields = p.reviewerFields.map { Set($0.map(poolKey)) }
    var allowed = Array(repeating: [(r: Int, cost: Int)](), count: nA)
    for a in 0..<nA {
        let need = max(0, K - fixedCount[a])
        let field = p.applicantFields.indices.contains(a) ? p.applicantFields[a].map(poolKey) : nil
        for r in 0..<nR {
            if fixedSet.contains(r * nA + a) { continue }
            if p.forbidden.contains(AssignmentProblem.key(p.reviewers[r], p.applicants[a])) { continue }
            let mismatch = field.map { !(rFields.indices.contains(r) && rFields[r].contains($0)) } ?? false
            allowed[a].append((r, assignmentPairCost(fieldMismatch: mismatch, seed: p.seed, reviewer: r, applicant: a)))
        }
        if allowed[a].count < need {
            return .failure(.applicant(applicant: p.applicants[a], allowed: allowed[a].count + fixedCount[a], needed: K))
        }
    }

    // The network.
    var g = FlowGraph(nodes: 2 + nA + nR)
    let S = 0, T = 1
    var demand = 0
    for a in 0..<nA {
        let need = max(0, K - fixedCount[a])
        demand += need
        if need > 0 { g.add(S, 2 + a, cap: need, cost: 0) }
    }
    var pairEdges: [(edge: Int, r: Int, a: Int)] = []
    for a in 0..<nA {
        for (r, c) in allowed[a] {
            pairEdges.append((g.add(2 + a, 2 + nA + r, cap: 1, cost: c), r, a))
        }
    }
    let B = 12 * max(total, 1) + 1
    for r in 0..<nR {
        // Units fixedLoad+1 … hardCap; unit k costs B·max(0, k − low).
        let node = 2 + nA + r
        var k = fixedLoad[r] + 1
        if k <= low {
            let n = min(low, hardCap) - k + 1
            if n > 0 { g.add(node, T, cap: n, cost: 0) }
            k = low + 1
        }
        var steps = 0
        while k <= hardCap && steps < 64 {
            g.add(node, T, cap: 1, cost: B * (k - low))
            k += 1
            steps += 1
        }
        if k <= hardCap { g.add(node, T, cap: hardCap - k + 1, cost: B * (k - low)) }
    }
    let flow = g.minCostFlow(S, T, limit: demand)
    if flow < demand { return .failure(.short(placed: flow + p.fixed.count, needed: total)) }

    // The assignment: fixed pairs and the flow's pairs.
    var assigned = Array(repeating: [Int](), count: nA)   // reviewers of each applicant
    for key in fixedSet { assigned[key % nA].append(key / nA) }
    var cost = 0
    for pe in pairEdges where g.cap[pe.edge] == 0 {
        assigned[pe.a].append(pe.r)
        cost += g.cost[pe.edge]
    }

    // Connectivity repair.
    let isForbidden = { (r: Int, a: Int) -> Bool in
        p.forbidden.contains(AssignmentProblem.key(p.reviewers[r], p.applicants[a]))
    }
    var comps = componentLabels(assigned, nR: nR)
    var swaps = 0
    var attempts = 0
    repair: while comps.count > 1 && attempts < 20_000 {
        // The smallest component against every other.
        let labels = comps.labels
        var sizes: [Int: Int] = [:]
        for a in 0..<nA { sizes[labels[nR + a], default: 0] += 1 }
        guard let small = sizes.min(by: { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) })?.key else { break }
        for a1 in 0..<nA where labels[nR + a1] == small {
            for r1 in assigned[a1] where !fixedSet.contains(r1 * nA + a1) {
                for a2 in 0..<nA where labels[nR + a2] != small {
                    for r2 in assigned[a2] where !fixedSet.contains(r2 * nA + a2) {
                        attempts += 1
                        if attempts >= 20_000 { break repair }
                        if isForbidden(r2, a1) || isForbidden(r1, a2) { continue }
                        if assigned[a1].contains(r2) || assigned[a2].contains(r1) { continue }
                        // Swap, keep it if it joins components.
                        var trial = assigned
                        trial[a1][trial[a1].firstIndex(of: r1) ?? 0] = r2
                        trial[a2][trial[a2].firstIndex(of: r2) ?? 0] = r1
                        let c = componentLabels(trial, nR: nR)
                        if c.count < comps.count {
                            assigned = trial
                            comps = c
                            swaps += 1
                            continue repair
                        }
                    }
                }
            }
        }
        break
    }
    if swaps > 0 {
        cost = 0
        for a in 0..<nA {
            let field = p.applicantFields.indices.contains(a) ? p.applicantFields[a].map(poolKey) : nil
            for r in assigned[a] where !fixedSet.contains(r * nA + a) {
                let mismatch = field.map { !(rFields.indices.contains(r) && rFields[r].contains($0)) } ?? false
                cost += assignmentPairCost(fieldMismatch: mismatch, seed: p.seed, reviewer: r, applicant: a)
            }
        }
    }

    var loads: [String: Int] = [:]
    for r in p.reviewers { loads[r] = 0 }
    var pairs: [AssignedPair] = []
    for a in 0..<nA {
        for r in assigned[a].sorted() {
            pairs.append(AssignedPair(reviewer: p.reviewers[r], applicant: p.applicants[a]))
            loads[p.reviewers[r], default: 0] += 1
        }
    }
    let off = p.reviewers.filter { (loads[$0] ?? 0) < low || (loads[$0] ?? 0) > high }
    return .success(AssignmentResult(pairs: pairs, loads: loads, mean: nR == 0 ? 0 : Double(total) / Double(nR), low: low,
                                     high: high, offBalance: off, components: comps.count, swaps: swaps, cost: cost))
}

/// Components of the bipartite graph: reviewers 0..<nR, applicants nR..<nR+nA; reviewers with no pair are
/// left out of the count.
public func componentLabels(_ assigned: [[Int]], nR: Int) -> (labels: [Int], count: Int) {
    let nA = assigned.count
    var parent = Array(0..<(nR + nA))
    func find(_ x: Int) -> Int {
        var x = x
        while parent[x] != x {
            parent[x] = parent[parent[x]]
            x = parent[x]
        }
        return x
    }
    var used = Array(repeating: false, count: nR)
    for a in 0..<nA {
        for r in assigned[a] {
            used[r] = true
            let x = find(r), y = find(nR + a)
            if x != y { parent[x] = y }
        }
    }
    var labels = Array(repeating: 0, count: nR + nA)
    var roots = Set<Int>()
    for v in 0..<(nR + nA) {
        labels[v] = find(v)
        if v >= nR || used[v] { roots.insert(labels[v]) }
    }
    return (labels, roots.count)
}

/// Components of an assignment given as pairs (for checks and reports).
public func assignmentComponents(_ pairs: [AssignedPair]) -> Int {
    let rs = Array(Set(pairs.map(\.reviewer))).sorted()
    let as_ = Array(Set(pairs.map(\.applicant))).sorted()
    let ri = Dictionary(uniqueKeysWithValues: rs.enumerated().map { ($1, $0) })
    let ai = Dictionary(uniqueKeysWithValues: as_.enumerated().map { ($1, $0) })
    var assigned = Array(repeating: [Int](), count: as_.count)
    for p in pairs {
        if let a = ai[p.applicant], let r = ri[p.reviewer] { assigned[a].append(r) }
    }
    return componentLabels(assigned, nR: rs.count).count
}

// MARK: - Min-cost flow (primal-dual: Dijkstra with potentials, then Dinic on tight edges)

struct FlowGraph {
    var head: [Int]
    var next: [Int] = []
    var to: [Int] = []
    var cap: [Int] = []
    var cost: [Int] = []

    init(nodes: Int) { head = Array(repeating: -1, count: nodes) }

    @discardableResult
    mutating func add(_ u: Int, _ v: Int, cap c: Int, cost w: Int) -> Int {
        let e = to.count
        to.append(v); cap.append(c); cost.append(w); next.append(head[u]); head[u] = e
        to.append(u); cap.append(0); cost.append(-w); next.append(head[v]); head[v] = e + 1
        return e
    }

    /// Sends up to `limit` units from s to t at least cost; returns the units sent. Costs must be ≥ 0 on
    /// edges with capacity (true here), so the potentials start at 0.
    mutating func minCostFlow(_ s: Int, _ t: Int, limit: Int) -> Int {
        let n = head.count
        let inf = Int.max / 4
        var h = Array(repeating: 0, count: n)
        var dist = Array(repeating: inf, count: n)
        var flow = 0
        var level = Array(repeating: -1, count: n)
        var iter = Array(repeating: -1, count: n)
        var queue = Array(repeating: 0, count: n)
        while flow < limit {
            // Dijkstra on reduced costs.
            for i in 0..<n { dist[i] = inf }
            dist[s] = 0
            var heap = MinHeap()
            heap.push(0, s)
            while let (d, u) = heap.pop() {
                if d > dist[u] { continue }
                var e = head[u]
                while e >= 0 {
                    if cap[e] > 0 {
                        let v = to[e]
                        let nd = d + cost[e] + h[u] - h[v]
                        if nd < dist[v] {
                            dist[v] = nd
                            heap.push(nd, v)
                        }
                    }
                    e = next[e]
                }
            }
            let dt = dist[t]
            if dt >= inf { break }
            for i in 0..<n { h[i] += min(dist[i], dt) }
            // Blocking flows on the tight residual edges.
            while flow < limit {
                for i in 0..<n { level[i] = -1 }
                level[s] = 0
                var qh = 0, qt = 0
                queue[qt] = s; qt += 1
                while qh < qt {
                    let u = queue[qh]; qh += 1
                    var e = head[u]
                    while e >= 0 {
                        let v = to[e]
                        if cap[e] > 0 && level[v] < 0 && cost[e] + h[u] - h[v] == 0 {
                            level[v] = level[u] + 1
                            queue[qt] = v; qt += 1
                        }
                        e = next[e]
                    }
                }
                if level[t] < 0 { break }
                for i in 0..<n { iter[i] = head[i] }
                while flow < limit {
                    let f = augment(s, t, limit - flow, &level, &iter, h)
                    if f == 0 { break }
                    flow += f
                }
            }
        }
        return flow
    }

    mutating func augment(_ u: Int, _ t: Int, _ f: Int, _ level: inout [Int], _ iter: inout [Int], _ h: [Int]) -> Int {
        if u == t { return f }
        while iter[u] >= 0 {
            let e = iter[u]
            let v = to[e]
            if cap[e] > 0 && level[v] == level[u] + 1 && cost[e] + h[u] - h[v] == 0 {
                let d = augment(v, t, min(f, cap[e]), &level, &iter, h)
                if d > 0 {
                    cap[e] -= d
                    cap[e ^ 1] += d
                    return d
                }
            }
            iter[u] = next[e]
        }
        return 0
    }
}

/// A binary min-heap of (key, node).
struct MinHeap {
    var keys: [Int] = []
    var vals: [Int] = []

    mutating func push(_ k: Int, _ v: Int) {
        keys.append(k); vals.append(v)
        var i = keys.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if keys[p] <= keys[i] { break }
            keys.swapAt(p, i); vals.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> (Int, Int)? {
        guard let k0 = keys.first, let v0 = vals.first else { return nil }
        let lastK = keys.removeLast(), lastV = vals.removeLast()
        if !keys.isEmpty {
            keys[0] = lastK; vals[0] = lastV
            var i = 0
            let n = keys.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n && keys[l] < keys[m] { m = l }
                if r < n && keys[r] < keys[m] { m = r }
                if m == i { break }
                keys.swapAt(m, i); vals.swapAt(m, i)
                i = m
            }
        }
        return (k0, v0)
    }
}

// MARK: - Groups (分组评审)

/// One group of a grouped assignment.
public struct AssignmentGroup: Sendable, Equatable {
    /// The applicants' field ("" for applicants without a field).
    public var field: String
    public var reviewers: [String]
    public var applicants: [String]
    /// The suggested group leader (组长): the group's reviewer with the most pairs, the first by id on a tie.
    public var leader: String?
}

/// `assign --groups field`: applicants are grouped by field; each reviewer joins one group (one of its own
/// fields when it has one, the group that most lacks reviewers otherwise, so that every group gets reviewers in
/// proportion to its pairs); each group is assigned on its own (`assignReviewers`); then consecutive groups are
/// linked by one swap each — (a1, r1) of one group and (a2, r2) of the next become (a1, r2) and (a2, r1) — so
/// that r1 and r2 each review in two groups and the whole design is connected, with every load unchanged.
public func assignInGroups(_ p: AssignmentProblem) -> Result<(AssignmentResult, [AssignmentGroup]), AssignmentRefusal> {
    let nA = p.applicants.count, nR = p.reviewers.count
    var fieldOf: [String] = []
    for a in 0..<nA { fieldOf.append((p.applicantFields.indices.contains(a) ? p.applicantFields[a] : nil).map(poolKey) ?? "") }
    var fields: [String] = []
    for f in fieldOf where !fields.contains(f) { fields.append(f) }
    let demand = fields.map { f in fieldOf.filter { $0 == f }.count * p.perApplicant }
    let total = max(1, demand.reduce(0, +))
    let target = demand.map { Double($0) * Double(nR) / Double(total) }
    var members = Array(repeating: [Int](), count: fields.count)
    // Reviewers with fewer matching groups choose first; each joins the matching group that lacks most.
    let rFields = (0..<nR).map { r in Set((p.reviewerFields.indices.contains(r) ? p.reviewerFields[r] : []).map(poolKey)) }
    let order = (0..<nR).sorted { a, b in
        let ma = fields.filter { rFields[a].contains($0) }.count, mb = fields.filter { rFields[b].contains($0) }.count
        return ma != mb ? (ma == 0 ? false : (mb == 0 ? true : ma < mb)) : a < b
    }
    for r in order {
        let matching = fields.indices.filter { rFields[r].contains(fields[$0]) }
        let choices = matching.isEmpty ? Array(fields.indices) : matching
        guard let g = choices.max(by: { (target[$0] - Double(members[$0].count), -$0) < (target[$1] - Double(members[$1].count), -$1) })
        else { continue }
        members[g].append(r)
    }
    // Every group needs K reviewers: take from the group with the most reviewers per pair.
    for g in fields.indices where members[g].count < p.perApplicant {
        while members[g].count < p.perApplicant {
            guard let donor = fields.indices.filter({ $0 != g && members[$0].count > p.perApplicant })
                .max(by: { Double(members[$0].count) / Double(max(demand[$0], 1)) < Double(members[$1].count) / Double(max(demand[$1], 1)) }),
                  let r = members[donor].popLast() else {
                return .failure(.applicant(applicant: p.applicants[fieldOf.firstIndex(of: fields[g]) ?? 0], allowed: members[g].count,
                                           needed: p.perApplicant))
            }
            members[g].append(r)
        }
    }
    var pairs: [AssignedPair] = []
    var cost = 0
    var groups: [AssignmentGroup] = []
    var groupPairs: [[AssignedPair]] = []
    for (g, f) in fields.enumerated() {
        let apps = (0..<nA).filter { fieldOf[$0] == f }
        let revs = members[g].sorted()
        let sub = AssignmentProblem(reviewers: revs.map { p.reviewers[$0] }, applicants: apps.map { p.applicants[$0] },
                                    perApplicant: p.perApplicant, maxLoad: p.maxLoad, forbidden: p.forbidden,
                                    fixed: p.fixed.filter { fx in apps.contains { p.applicants[$0] == fx.applicant } && revs.contains { p.reviewers[$0] == fx.reviewer } },
                                    reviewerFields: revs.map { p.reviewerFields.indices.contains($0) ? p.reviewerFields[$0] : [] },
                                    applicantFields: apps.map { p.applicantFields.indices.contains($0) ? p.applicantFields[$0] : nil },
                                    seed: p.seed &+ UInt64(g))
        switch assignReviewers(sub) {
        case .failure(let e): return .failure(e)
        case .success(let r):
            groupPairs.append(r.pairs)
            cost += r.cost
            groups.append(AssignmentGroup(field: f, reviewers: sub.reviewers, applicants: sub.applicants, leader: nil))
        }
    }
    // Link consecutive groups by one load-keeping swap each, kept only when the two groups end up connected
    // as one (so a swap never cuts a group in two).
    let fixedKeys = Set(p.fixed.map { AssignmentProblem.key($0.reviewer, $0.applicant) })
    var swaps = 0
    var linked = Set<AssignedPair>()   // pairs made by a link: never undone by the next one
    if groupPairs.count > 1 {
        for g in 0..<(groupPairs.count - 1) {
            var tries = 0
            search: for i in groupPairs[g].indices {
                let x = groupPairs[g][i]
                if fixedKeys.contains(AssignmentProblem.key(x.reviewer, x.applicant)) || linked.contains(x) { continue }
                for j in groupPairs[g + 1].indices {
                    let y = groupPairs[g + 1][j]
                    if fixedKeys.contains(AssignmentProblem.key(y.reviewer, y.applicant)) { continue }
                    let n1 = AssignedPair(reviewer: y.reviewer, applicant: x.applicant)
                    let n2 = AssignedPair(reviewer: x.reviewer, applicant: y.applicant)
                    if p.forbidden.contains(AssignmentProblem.key(n1.reviewer, n1.applicant))
                        || p.forbidden.contains(AssignmentProblem.key(n2.reviewer, n2.applicant)) { continue }
                    tries += 1
                    if tries > 2_000 { break search }
                    var a = groupPairs[g], b = groupPairs[g + 1]
                    a[i] = n1
                    b[j] = n2
                    let before = assignmentComponents(groupPairs[g]) + assignmentComponents(groupPairs[g + 1])
                    if assignmentComponents(a + b) < before || assignmentComponents(a + b) == 1 {
                        linked.insert(n1)
                        linked.insert(n2)
                        groupPairs[g] = a
                        groupPairs[g + 1] = b
                        swaps += 1
                        break search
                    }
                }
            }
        }
    }
    for gp in groupPairs { pairs += gp }
    var loads: [String: Int] = [:]
    for r in p.reviewers { loads[r] = 0 }
    for x in pairs { loads[x.reviewer, default: 0] += 1 }
    for g in groups.indices {
        groups[g].leader = groups[g].reviewers.max { (loads[$0] ?? 0, $1) < (loads[$1] ?? 0, $0) }
    }
    let totalPairs = nA * p.perApplicant
    let low = nR == 0 ? 0 : totalPairs / nR
    let high = nR == 0 ? 0 : low + (totalPairs % nR == 0 ? 0 : 1)
    let off = p.reviewers.filter { (loads[$0] ?? 0) < low || (loads[$0] ?? 0) > high }
    let result = AssignmentResult(pairs: pairs, loads: loads, mean: nR == 0 ? 0 : Double(totalPairs) / Double(nR), low: low, high: high,
                                  offBalance: off, components: assignmentComponents(pairs), swaps: swaps, cost: cost)
    return .success((result, groups))
}
