// Messages of one area of the catalog. Keys are "area.what"; {0}, {1}… are the arguments.
// swiftlint:disable line_length
extension Catalog {
    static let serverEntries: [String: (zh: String, en: String)] = [:]
}
