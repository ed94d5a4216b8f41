import Foundation
import PingshenCore
import Testing

/// Checks every promise of an assignment; returns the per-reviewer loads.
@discardableResult
private func checkAssignment(_ p: AssignmentProblem, _ r: AssignmentResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String: Int] {
    var perApplicant: [String: Int] = [:]
    var loads: [String: Int] = [:]
    for pair in r.pairs {
        perApplicant[pair.applicant, default: 0] += 1
        loads[pair.reviewer, default: 0] += 1
        #expect(!p.forbidden.contains(AssignmentProblem.key(pair.reviewer, pair.applicant)), "forbidden pair assigned",
                sourceLocation: sourceLocation)
    }
    #expect(Set(r.pairs).count == r.pairs.count, "a pair twice", sourceLocation: sourceLocation)
    #expect(p.applicants.allSatisfy { perApplicant[$0] == p.perApplicant }, "not K per applicant", sourceLocation: sourceLocation)
    for f in p.fixed {
        #expect(r.pairs.contains(AssignedPair(reviewer: f.reviewer, applicant: f.applicant)), "fixed pair lost", sourceLocation: sourceLocation)
    }
    if let cap = p.maxLoad { #expect(loads.values.allSatisfy { $0 <= cap }, sourceLocation: sourceLocation) }
    #expect(r.components == assignmentComponents(r.pairs), sourceLocation: sourceLocation)
    return loads
}

/// Exhaustive optimum of a tiny instance: (sum of balance penalties, pair cost) minimised lexicographically.
private func bruteForce(_ p: AssignmentProblem) -> (penalty: Int, cost: Int)? {
    let nR = p.reviewers.count, nA = p.applicants.count, K = p.perApplicant
    let total = nA * K, low = total / nR
    func subsets(_ items: [Int], _ k: Int) -> [[Int]] {
        if k == 0 { return [[]] }
        guard let first = items.first else { return [] }
        let rest = Array(items.dropFirst())
        return subsets(rest, k - 1).map { [first] + $0 } + subsets(rest, k)
    }
    let choices = (0..<nA).map { a in
        subsets((0..<nR).filter { !p.forbidden.contains(AssignmentProblem.key(p.reviewers[$0], p.applicants[a])) }, K)
    }
    var best: (Int, Int)?
    func walk(_ a: Int, _ loads: [Int], _ cost: Int) {
        if a == nA {
            if let cap = p.maxLoad, loads.contains(where: { $0 > cap }) { return }
            // Unit k of a reviewer costs max(0, k − low): the sum is Σ d(d+1)/2 over the excess d.
            let pen = loads.reduce(0) { s, l in let d = max(0, l - low); return s + d * (d + 1) / 2 }
            if best == nil || (pen, cost) < best! { best = (pen, cost) }
            return
        }
        for c in choices[a] {
            var l = loads
            var add = 0
            for r in c {
                l[r] += 1
                add += assignmentPairCost(fieldMismatch: false, seed: p.seed, reviewer: r, applicant: a)
            }
            walk(a + 1, l, cost + add)
        }
    }
    walk(0, Array(repeating: 0, count: nR), 0)
    return best.map { (penalty: $0.0, cost: $0.1) }
}

@Suite("Reviewer assignment")
struct AssignmentTests {
    @Test("500 random instances: K per applicant, no forbidden pair, loads within one of the mean, connected when possible")
    func randomInstances() {
        var g = TestWords(state: 2026)
        var solved = 0
        for trial in 0..<500 {
            let nR = 3 + g.uniform(below: 25), nA = 2 + g.uniform(below: 60)
            let K = 1 + g.uniform(below: min(nR, 5))
            var forbidden = Set<String>()
            let density = g.uniform(below: 4)   // 0: no forbidden pairs
            if density > 0 {
                for r in 0..<nR { for a in 0..<nA where g.uniform(below: 12) < density { forbidden.insert(AssignmentProblem.key("r\(r)", "a\(a)")) } }
            }
            let p = AssignmentProblem(reviewers: (0..<nR).map { "r\($0)" }, applicants: (0..<nA).map { "a\($0)" }, perApplicant: K,
                                      forbidden: forbidden, seed: UInt64(trial))
            switch assignReviewers(p) {
            case .failure(.applicant(let a, let allowed, let needed)):
                // Refused only when it is really impossible.
                let free = (0..<nR).filter { !forbidden.contains(AssignmentProblem.key("r\($0)", a)) }.count
                #expect(free == allowed && allowed < needed)
            case .failure(let f):
                Issue.record("trial \(trial): refused \(f)")
            case .success(let r):
                solved += 1
                let loads = checkAssignment(p, r)
                if forbidden.isEmpty {
                    #expect(p.reviewers.allSatisfy { (loads[$0] ?? 0) >= r.low && (loads[$0] ?? 0) <= r.high },
                            "trial \(trial): loads \(loads) outside \(r.low)…\(r.high)")
                    #expect(r.offBalance.isEmpty)
                }
                // Connected whenever the design has enough pairs for it and every reviewer has work.
                if K >= 2 && nA * K >= nA + nR - 1 && forbidden.isEmpty && r.low >= 1 {
                    #expect(r.connected, "trial \(trial): \(r.components) components (nR \(nR), nA \(nA), K \(K))")
                }
            }
        }
        #expect(solved > 400)
    }

    @Test("the flow is exact: on 150 tiny instances it matches exhaustive search")
    func exactOnTinyInstances() throws {
        var g = TestWords(state: 11)
        var compared = 0
        for trial in 0..<150 {
            let nR = 2 + g.uniform(below: 3), nA = 1 + g.uniform(below: 4)
            let K = 1 + g.uniform(below: min(nR, 2))
            var forbidden = Set<String>()
            for r in 0..<nR { for a in 0..<nA where g.uniform(below: 6) == 0 { forbidden.insert(AssignmentProblem.key("r\(r)", "a\(a)")) } }
            let p = AssignmentProblem(reviewers: (0..<nR).map { "r\($0)" }, applicants: (0..<nA).map { "a\($0)" }, perApplicant: K,
                                      forbidden: forbidden, seed: UInt64(trial) &* 977)
            guard case .success(let r) = assignReviewers(p) else { continue }
            checkAssignment(p, r)
            if r.swaps > 0 { continue }   // the repair may trade cost for connectivity
            let best = try #require(bruteForce(p))
            var loads = Array(repeating: 0, count: nR)
            for pair in r.pairs { loads[Int(pair.reviewer.dropFirst()) ?? 0] += 1 }
            let pen = loads.reduce(0) { s, l in let d = max(0, l - r.low); return s + d * (d + 1) / 2 }
            #expect(pen == best.penalty && r.cost == best.cost, "trial \(trial): flow (\(pen), \(r.cost)) vs best \(best)")
            compared += 1
        }
        #expect(compared > 100)
    }

    @Test("fields: reviewers are matched to applicants of their field when the balance allows")
    func fieldMatching() throws {
        let reviewers = (0..<12).map { "r\($0)" }
        let applicants = (0..<24).map { "a\($0)" }
        let p = AssignmentProblem(reviewers: reviewers, applicants: applicants, perApplicant: 3,
                                  reviewerFields: (0..<12).map { [$0 < 6 ? "新材料" : "智能制造"] },
                                  applicantFields: (0..<24).map { $0 < 12 ? "新材料" : "智能制造" }, seed: 5)
        let r = try assignReviewers(p).get()
        checkAssignment(p, r)
        let matched = r.pairs.filter { (Int($0.reviewer.dropFirst()) ?? 0 < 6) == (Int($0.applicant.dropFirst()) ?? 0 < 12) }.count
        // Every pair but the few swapped for connectivity matches.
        #expect(matched >= r.pairs.count - 2 * r.swaps)
        #expect(r.connected)
    }

    @Test("pairs already scored are kept; --max-load caps the loads; impossible caps are refused")
    func fixedAndCap() throws {
        let reviewers = (0..<6).map { "r\($0)" }, applicants = (0..<10).map { "a\($0)" }
        let fixed: [(reviewer: String, applicant: String)] = [("r0", "a0"), ("r0", "a1"), ("r5", "a9")]
        let p = AssignmentProblem(reviewers: reviewers, applicants: applicants, perApplicant: 3, maxLoad: 5, fixed: fixed, seed: 9)
        let r = try assignReviewers(p).get()
        checkAssignment(p, r)
        #expect(r.loads.values.allSatisfy { $0 == 5 })
        let tight = AssignmentProblem(reviewers: reviewers, applicants: applicants, perApplicant: 3, maxLoad: 4)
        #expect(assignReviewers(tight) == .failure(.capacity(pairs: 30, capacity: 24)))
    }

    @Test("forbidden pairs that make balance impossible are placed anyway and reported as off balance")
    func offBalance() throws {
        // r0 may review only a0: its load is 1 where the mean is 4.
        var forbidden = Set<String>()
        for a in 1..<8 { forbidden.insert(AssignmentProblem.key("r0", "a\(a)")) }
        let p = AssignmentProblem(reviewers: (0..<4).map { "r\($0)" }, applicants: (0..<8).map { "a\($0)" }, perApplicant: 2,
                                  forbidden: forbidden, seed: 3)
        let r = try assignReviewers(p).get()
        checkAssignment(p, r)
        #expect(r.offBalance.contains("r0"))
        #expect(r.loads["r0"] == 1)
    }

    @Test("a disconnected design is repaired by swaps that keep every load")
    func repair() throws {
        // Two reviewers per applicant among 4 reviewers; fields split them in two blocks that the flow alone keeps apart.
        let p = AssignmentProblem(reviewers: ["r0", "r1", "r2", "r3"], applicants: ["a0", "a1", "a2", "a3"], perApplicant: 2,
                                  reviewerFields: [["甲"], ["甲"], ["乙"], ["乙"]], applicantFields: ["甲", "甲", "乙", "乙"], seed: 1)
        let r = try assignReviewers(p).get()
        checkAssignment(p, r)
        #expect(r.connected)
        #expect(r.swaps >= 1)
        #expect(r.loads.values.allSatisfy { $0 == 2 })
    }

    @Test("2 000 applicants × K = 5 among 300 reviewers: balanced, connected, well under 2 s in a release build")
    func large() throws {
        let nR = 300, nA = 2000
        let p = AssignmentProblem(reviewers: (0..<nR).map { "r\($0)" }, applicants: (0..<nA).map { "a\($0)" }, perApplicant: 5,
                                  reviewerFields: (0..<nR).map { ["f\($0 % 7)", "f\(($0 + 3) % 7)"] },
                                  applicantFields: (0..<nA).map { "f\($0 % 7)" }, seed: 7)
        let r = try assignReviewers(p).get()
        checkAssignment(p, r)
        #expect(r.offBalance.isEmpty)
        #expect(r.connected)
    }
}

@Suite("Grouped assignment")
struct GroupedAssignmentTests {
    @Test("groups by field: K per applicant, reviewers of the group's field, groups linked into one connected design, loads unchanged by the links")
    func groups() throws {
        var g = TestWords(state: 8)
        for trial in 0..<40 {
            let fields = ["新材料", "智能制造", "生物医药"]
            let nR = 15 + g.uniform(below: 15), nA = 20 + g.uniform(below: 40)
            let rf = (0..<nR).map { [fields[$0 % 3]] }
            let af: [String?] = (0..<nA).map { _ in fields[g.uniform(below: 3)] }
            let p = AssignmentProblem(reviewers: (0..<nR).map { "r\($0)" }, applicants: (0..<nA).map { "a\($0)" }, perApplicant: 3,
                                      reviewerFields: rf, applicantFields: af, seed: UInt64(trial))
            let (r, groups) = try assignInGroups(p).get()
            var per: [String: Int] = [:]
            for x in r.pairs { per[x.applicant, default: 0] += 1 }
            #expect(p.applicants.allSatisfy { per[$0] == 3 })
            #expect(Set(r.pairs).count == r.pairs.count)
            #expect(r.connected, "trial \(trial): \(r.components) components")
            #expect(Set(groups.map(\.field)) == Set(af.compactMap { $0 }))
            #expect(groups.allSatisfy { gr in gr.leader.map { gr.reviewers.contains($0) } == true })
            // Apart from the linking swaps (two pairs per link), every pair is within its group.
            let groupOf = Dictionary(uniqueKeysWithValues: groups.flatMap { gr in gr.reviewers.map { ($0, gr.field) } })
            let across = r.pairs.filter { groupOf[$0.reviewer] != af[Int($0.applicant.dropFirst()) ?? 0] }.count
            #expect(across == 2 * r.swaps)
            #expect(r.swaps == groups.count - 1)
        }
    }
}
