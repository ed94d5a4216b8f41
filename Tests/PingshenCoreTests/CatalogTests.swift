import Testing
@testable import PingshenCore

@Suite("The message catalog")
struct CatalogTests {
    @Test("Every key is defined once and has both a Chinese and an English text")
    func complete() {
        #expect(Catalog.definedCount == Catalog.keys.count)
        for key in Catalog.keys {
            #expect(!Catalog.text(key, [], .zh).isEmpty, "\(key) lacks Chinese")
            #expect(!Catalog.text(key, [], .en).isEmpty, "\(key) lacks English")
        }
    }

    @Test("Arguments fill the placeholders; a location prefixes FILE:LINE")
    func render() {
        let e = PingshenError("points.range", ["goals", "31", "30"], at: SourceLocation(file: "a.txt", line: 7, field: "goals"))
        #expect(e.text(.en) == "a.txt:7: 31 is out of range for “goals”: allowed 0–30 points [field goals]")
        #expect(e.text(.zh).hasPrefix("a.txt:7: “goals”的分值 31 超出范围"))
    }
}
