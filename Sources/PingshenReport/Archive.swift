import Foundation
import PingshenCore
import ZIPFoundation

/// The zip files of an archive (归档): written deterministically (fixed dates, names in the given order) and read
/// back whole. The CLI decides what goes in (see `pingshen archive`).
public enum ArchiveBundle {
    /// A zip of the given files (name → bytes).
    public static func zip(_ files: [(name: String, data: Data)]) throws -> Data {
        let archive: Archive
        do {
            archive = try Archive(accessMode: .create)
            for (name, data) in files {
                try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count),
                                     modificationDate: Date(timeIntervalSince1970: 1_700_000_000),
                                     compressionMethod: .deflate) { position, size in
                    let start = Int(position)
                    return data.subdata(in: start..<(start + size))
                }
            }
        } catch {
            throw PingshenError("archive.zip_failed", [String(describing: error)])
        }
        guard let bytes = archive.data else { throw PingshenError("archive.zip_failed", ["no archive data"]) }
        return bytes
    }

    /// Every file of a zip (name → bytes); a file that is not a zip is refused.
    public static func unzip(_ path: String) throws -> [String: Data] {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw PingshenError("archive.not_zip", [path])
        }
        var out: [String: Data] = [:]
        do {
            for entry in archive where entry.type == .file {
                var data = Data()
                _ = try archive.extract(entry, skipCRC32: false) { data.append($0) }
                out[entry.path] = data
            }
        } catch {
            throw PingshenError("archive.not_zip", [path])
        }
        return out
    }
}
