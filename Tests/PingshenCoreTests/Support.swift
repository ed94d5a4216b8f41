import Foundation
import PingshenCore
import PingshenRubricFormat

/// The repository root, found from this file's path.
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The repository's Config/pingshen.yaml.
let repoConfig: PingshenConfig = {
    let path = repoRoot + "/Config/pingshen.yaml"
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return (try? ConfigLoader.parse(text, file: path).get()) ?? PingshenConfig()
}()

enum TestFailure: Error { case message(String) }

/// Loads one of the bundled rubrics, failing the test with the loader's messages if it does not load.
func bundledRubric(_ id: String) throws -> Rubric {
    let path = "\(repoRoot)/Rubrics/\(id).yaml"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    switch RubricLoader.parse(text, file: path, config: repoConfig) {
    case .success(let r): return r.rubric
    case .failure(let e): throw TestFailure.message(e.text(.en))
    }
}

/// Parses rubric text and returns its problems (empty when it loads).
func problems(_ yaml: String) -> [PingshenError] {
    switch RubricLoader.parse(yaml, file: "test.yaml", config: repoConfig) {
    case .success: return []
    case .failure(let e): return e.errors
    }
}
