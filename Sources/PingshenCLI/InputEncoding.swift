import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PingshenCore

/// How input files (sheets, data, manifests, pools) are decoded. `auto`: a file that is valid UTF-8 is read as
/// UTF-8; one that is not, but decodes cleanly as GB18030 and holds Chinese text (what Excel and WPS save as
/// "ANSI" on a Chinese Windows), is read as GB18030 with a one-line notice; anything else is read as it is and
/// refused line by line, with a hint to save as UTF-8.
public enum InputEncoding: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto
    case utf8 = "utf-8"
    case gb18030
}

enum InputDecoder {
    /// The file's bytes as UTF-8, and the notice to show when they were converted.
    static func utf8Bytes(_ raw: [UInt8], encoding: InputEncoding) -> (bytes: [UInt8], convertedFrom: String?) {
        switch encoding {
        case .utf8:
            return (raw, nil)
        case .gb18030:
            return gb18030ToUTF8(raw).map { ($0, "GB18030") } ?? (raw, nil)
        case .auto:
            if String(validating: raw, as: UTF8.self) != nil { return (raw, nil) }
            guard let converted = gb18030ToUTF8(raw),
                  String(decoding: converted, as: UTF8.self).unicodeScalars.contains(where: isHan) else { return (raw, nil) }
            return (converted, "GB18030")
        }
    }

    static func isHan(_ u: Unicode.Scalar) -> Bool {
        (0x4E00...0x9FFF).contains(u.value) || (0x3400...0x4DBF).contains(u.value) || (0x20000...0x2A6DF).contains(u.value)
    }

    /// Converts GB18030 bytes to UTF-8 with the C library's iconv; nil when the bytes are not clean GB18030.
    static func gb18030ToUTF8(_ raw: [UInt8]) -> [UInt8]? {
        let cd = iconv_open("UTF-8", "GB18030")
        if cd == iconv_t(bitPattern: -1) { return nil }
        defer { iconv_close(cd) }
        var input = raw.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: raw.count * 2 + 16)
        var written = 0
        let ok: Bool = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = inBuf.baseAddress
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = outBuf.baseAddress
                var outLeft = outBuf.count
                let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                written = outBuf.count - outLeft
                return r != -1 && inLeft == 0
            }
        }
        return ok ? output.prefix(written).map { UInt8(bitPattern: $0) } : nil
    }
}
