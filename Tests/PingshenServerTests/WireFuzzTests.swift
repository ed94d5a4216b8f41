import Foundation
import PingshenCore
import PingshenSync
import PingshenWire
import Testing

/// A small deterministic generator (SplitMix64) so that a failing input can be replayed from its seed.
private struct FuzzRNG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}

/// Fragments that make JSON interesting: numbers at the edges, wrong types, deep nesting, odd text.
private let nasty: [String] = [
    "1e309", "-0", "NaN", "Infinity", "-1e-400", "99999999999999999999999", "0.1e1", "\"\"", "null", "true", "[]", "{}",
    "\"\\u0000\"", "\"\\ud800\"", "\"'; DROP TABLE audit; --\"", "\"评审\"", String(repeating: "[", count: 600),
    "\"" + String(repeating: "x", count: 5000) + "\"", "{\"a\":", "\"\\\"", ",", "\u{0}", "\u{FEFF}",
]

/// Mutates valid JSON bytes: byte flips, truncation, splices of nasty fragments, duplicated spans.
private func mutate(_ base: [UInt8], _ r: inout FuzzRNG) -> [UInt8] {
    var b = base
    for _ in 0..<(1 + r.below(4)) {
        switch r.below(5) {
        case 0 where !b.isEmpty:
            b[r.below(b.count)] = UInt8(truncatingIfNeeded: r.next())
        case 1 where !b.isEmpty:
            b = Array(b.prefix(r.below(b.count)))
        case 2:
            let at = r.below(b.count + 1)
            b.insert(contentsOf: Array(nasty[r.below(nasty.count)].utf8), at: at)
        case 3 where b.count > 2:
            let i = r.below(b.count), j = min(b.count, i + 1 + r.below(40))
            b.insert(contentsOf: b[i..<j], at: r.below(b.count))
        default:
            // Replace a value after a colon with a nasty fragment.
            if let colon = b.indices.filter({ b[$0] == UInt8(ascii: ":") }).randomElement(using: &r) {
                let end = b[(colon + 1)...].firstIndex { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "}") } ?? b.count
                b.replaceSubrange((colon + 1)..<end, with: Array(nasty[r.below(nasty.count)].utf8))
            }
        }
    }
    return b
}

extension FuzzRNG: RandomNumberGenerator {}

@Suite("Fuzzing the server's JSON decoding")
struct WireFuzzTests {
    static let seed: UInt64 = ProcessInfo.processInfo.environment["PINGSHEN_TEST_SEED"].flatMap(UInt64.init) ?? 20261127

    @Test("40 000 mutated request bodies decode or are refused with a DecodingError: no crash, no hang")
    func decodeMutations() throws {
        let panel = try demoPanel()
        let change = Change(device: "d", kind: .setPoints, reviewer: "r1", applicant: "a1", round: "初评", leaf: "rd-intensity",
                            value: 3.5, note: "注", reason: nil)
        let bases: [[UInt8]] = [
            Array(try WireCoding.encoder().encode(PushRequest(changes: [change, change]))),
            Array(try WireCoding.encoder().encode(panel)),
            Array(try WireCoding.encoder().encode(ExchangeRequest(code: "ABCD-EFGH", device: "laptop"))),
        ]
        var r = FuzzRNG(state: Self.seed)
        var decoded = 0, refused = 0
        let started = Date()
        let decoder = WireCoding.decoder()
        for i in 0..<40_000 {
            let which = i % bases.count
            let data = Data(mutate(bases[which], &r))
            let t0 = Date()
            do {
                switch which {
                case 0: _ = try decoder.decode(PushRequest.self, from: data)
                case 1: _ = try decoder.decode(PanelUpload.self, from: data)
                default: _ = try decoder.decode(ExchangeRequest.self, from: data)
                }
                decoded += 1
            } catch is DecodingError {
                refused += 1
            }
            #expect(Date().timeIntervalSince(t0) < 2, "input \(i) (seed \(Self.seed)) took too long")
        }
        print("wire-fuzz: inputs=40000 decoded=\(decoded) refused=\(refused) seconds=\(String(format: "%.1f", Date().timeIntervalSince(started))) seed=\(Self.seed)")
        #expect(decoded + refused == 40_000)
        #expect(refused > 0 && decoded > 0)
    }

    @Test("A live server fed mutated pushes and uploads answers 4xx (never 5xx), stays up, and its audit log verifies",
          arguments: Backend.enabled)
    func liveServer(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let chair = try await s.admin()
            _ = try await chair.putPanel("P1", try demoPanel())
            let device = try await enrolDevice(s, chair: chair, reviewer: "r1", device: "fuzz")
            let base = Array(try WireCoding.encoder().encode(PushRequest(changes: [
                device.change(.setPoints, "a1", leaf: "rd-intensity", value: 3.5),
                device.change(.setNote, "a2", leaf: "rd-intensity", note: "说明"),
            ])))
            let upload = Array(try WireCoding.encoder().encode(try demoPanel()))
            var r = FuzzRNG(state: Self.seed ^ 0xABCD)
            var statuses: [Int: Int] = [:]
            for i in 0..<300 {
                let push = i % 3 != 0
                let body = Data(mutate(push ? base : upload, &r))
                let (code, _) = push
                    ? try await device.client.raw("POST", "/v1/panels/P1/changes", body: body)
                    : try await chair.raw("PUT", "/v1/panels/P2", body: body)
                statuses[code, default: 0] += 1
                #expect(code < 500, "request \(i) (seed \(Self.seed)) got \(code)")
            }
            print("wire-fuzz live (\(backend)): requests=300 statuses=\(statuses.sorted { $0.key < $1.key })")
            #expect(try await s.client().health().status == "ok")
            let audit = try await chair.verifyAudit()
            #expect(audit.ok)
        }
    }
}
