import Foundation
import PingshenAudit

/// Tokens and enrolment codes. Both are random secrets that the server stores only as SHA-256 hashes.
public enum Secrets {
    /// Crockford base32 (no I, L, O, U): what a person reads aloud or types.
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    static func randomBytes(_ n: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    /// A one-time enrolment code: 20 base32 characters (100 bits) in groups of 4, e.g. 7K2Q-M9XA-….
    public static func enrolmentCode() -> String {
        var g = SystemRandomNumberGenerator()
        let chars = (0..<20).map { _ in alphabet[Int.random(in: 0..<32, using: &g)] }
        return stride(from: 0, to: 20, by: 4).map { String(chars[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// The code as typed, normalized: case, spaces and dashes do not matter; O/I/L read as 0/1/1.
    public static func normalizeCode(_ code: String) -> String {
        String(code.uppercased().compactMap { ch -> Character? in
            switch ch {
            case "-", " ", "\t": return nil
            case "O": return "0"
            case "I", "L": return "1"
            default: return ch
            }
        })
    }

    public static func codeHash(_ code: String) -> String { sha256Hex("code:" + normalizeCode(code)) }

    /// A bearer token: "psk_" and 32 random bytes in base64url.
    public static func token() -> String {
        let b64 = Data(randomBytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "psk_" + b64
    }

    public static func tokenHash(_ token: String) -> String { sha256Hex(token) }
}
