import Crypto
import Foundation
import PingshenCore

/// The draw's generator (docs/statistics.md §8): SHA-256 in counter mode keyed by the seed.
/// Block i (i = 0, 1, 2, …) is SHA-256 of the bytes `pingshen-draw-v1` 0x00, the seed's UTF-8, 0x00, and i as
/// 8 bytes big-endian; each block gives four 64-bit words, read big-endian, in order. The same seed always
/// gives the same words, on any machine; `scripts/draw_check.py` recomputes them with hashlib.
public struct DrawGenerator: DrawRandomSource, Sendable {
    public let seed: String
    private var counter: UInt64 = 0
    private var words: [UInt64] = []
    private var used = 0

    public init(seed: String) { self.seed = seed }

    public mutating func next64() -> UInt64 {
        if used == words.count { refill() }
        used += 1
        return words[used - 1]
    }

    private mutating func refill() {
        var input = Data("pingshen-draw-v1".utf8)
        input.append(0)
        input.append(contentsOf: Array(seed.utf8))
        input.append(0)
        for s in stride(from: 56, through: 0, by: -8) { input.append(UInt8((counter >> UInt64(s)) & 0xFF)) }
        counter += 1
        let digest = Array(SHA256.hash(data: input))
        words = (0..<4).map { w in
            var v: UInt64 = 0
            for b in 0..<8 { v = (v << 8) | UInt64(digest[w * 8 + b]) }
            return v
        }
        used = 0
    }
}

/// A fresh seed from the system's secure random source (getrandom / SecRandom through the standard
/// library's SystemRandomNumberGenerator): 128 bits, as 32 lower-case hex digits.
public func secureDrawSeed() -> String {
    var g = SystemRandomNumberGenerator()
    return (0..<2).map { _ in
        let v = g.next() as UInt64
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }.joined()
}

/// SHA-256 (hex) of the snapshot's canonical text: the candidates digest.
public func candidatesDigest(_ candidates: [DrawCandidate]) -> String {
    sha256Hex(canonicalCandidateText(candidates))
}
