import Foundation
import PingshenCore
import PingshenRubricFormat
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Seeded randomness

/// SplitMix64: a small, fast, seedable generator. Every randomized test logs its seed; set
/// PINGSHEN_TEST_SEED to replay a run.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func int(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &self) }
    mutating func int(_ r: Range<Int>) -> Int { Int.random(in: r, using: &self) }
    mutating func pick<T>(_ a: [T]) -> T { a[Int.random(in: 0..<a.count, using: &self)] }
}

/// The seed of one randomized test: PINGSHEN_TEST_SEED when set, else a fresh one. Printed, so that a
/// failing CI run can be replayed exactly.
func testSeed(_ name: String) -> UInt64 {
    let seed: UInt64
    if let text = ProcessInfo.processInfo.environment["PINGSHEN_TEST_SEED"], let s = UInt64(text) {
        seed = s
    } else {
        seed = UInt64.random(in: 1...UInt64.max >> 1)
    }
    print("reliability: \(name) seed=\(seed) (replay with PINGSHEN_TEST_SEED=\(seed))")
    return seed
}

// MARK: - Time

/// Seconds since an arbitrary start (monotonic).
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

// MARK: - Repository, rubrics, binary

/// The repository root, found from this file's path.
let relRepoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

let relConfigText: String = (try? String(contentsOfFile: relRepoRoot + "/Config/pingshen.yaml", encoding: .utf8)) ?? ""
let relConfig: PingshenConfig = (try? ConfigLoader.parse(relConfigText, file: "pingshen.yaml").get()) ?? PingshenConfig()

let bundledRubricIds = ["manufacturing-innovation-center", "tech-innovation-demo-enterprise", "tech-center-evaluation"]

func rubricText(_ id: String) throws -> String {
    try String(contentsOfFile: "\(relRepoRoot)/Rubrics/\(id).yaml", encoding: .utf8)
}

func loadRubric(_ id: String) throws -> Rubric {
    try RubricLoader.parse(try rubricText(id), file: "\(id).yaml", config: relConfig).get().rubric
}

/// The `pingshen` executable built beside the test bundle.
let pingshenPath: String = {
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let beside = runner.deletingLastPathComponent().appendingPathComponent("pingshen")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside.path }
    return relRepoRoot + "/.build/debug/pingshen"
}()

/// A fresh temporary directory.
func tempDir(_ tag: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pingshen-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A valid points value for a points leaf, drawn at random.
func randomPoints(_ leaf: RubricNode, _ rng: inout SeededRandom) -> Double {
    switch leaf.rule {
    case .award?: return rng.chance(0.5) ? leaf.weight : 0
    case .tiers(let tiers)?: return rng.pick(tiers).points
    case .discretionary(let step)?:
        let s = step ?? 1
        let n = Int((leaf.weight / s).rounded(.down))
        return Double(rng.int(0...n)) * s
    default: return 0
    }
}

/// Lines of a text as the line parser and the YAML marks count them: line breaks plus one.
func lineCount(_ bytes: [UInt8]) -> Int {
    bytes.withUnsafeBufferPointer { buf -> Int in
        guard let base = buf.baseAddress else { return 1 }
        var n = 1
        var i = 0
        while i < buf.count, let hit = memchr(base + i, 0x0A, buf.count - i) {
            n += 1
            i = (UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base) + 1
        }
        return n
    }
}

// MARK: - Child processes

/// A child process with a pipe on its standard input, its standard error read incrementally, and its
/// standard output discarded or captured to a file. Spawned with posix_spawn so that the test can kill it at
/// any moment and read exactly what it wrote before it died.
final class Child {
    let pid: pid_t
    private var stdinFD: Int32
    private let stderrFD: Int32
    private(set) var stderr: [UInt8] = []
    private var reaped: Int32?

    init(_ path: String, _ args: [String], stdoutFile: String? = nil) throws {
        var inFDs: [Int32] = [0, 0], errFDs: [Int32] = [0, 0]
        guard systemPipe2(&inFDs, O_CLOEXEC) == 0, systemPipe2(&errFDs, O_CLOEXEC) == 0 else {
            throw ChildError.spawn("pipe: \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inFDs[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutFile ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, errFDs[1], 2)
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "PINGSHEN_DB")
        env.removeValue(forKey: "PINGSHEN_LANG")
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(inFDs[0])
        close(errFDs[1])
        guard rc == 0 else {
            close(inFDs[1])
            close(errFDs[0])
            throw ChildError.spawn("posix_spawn \(path): \(rc)")
        }
        self.pid = pid
        stdinFD = inFDs[1]
        stderrFD = errFDs[0]
        _ = fcntl(stderrFD, F_SETFL, fcntl(stderrFD, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        if stdinFD >= 0 { close(stdinFD) }
        close(stderrFD)
        if reaped == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    /// Writes to the child's standard input (false when the child is gone).
    @discardableResult
    func write(_ text: String) -> Bool {
        guard stdinFD >= 0 else { return false }
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            off += n
        }
        return true
    }

    func closeStdin() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    /// Reads what is available on standard error, waiting at most `timeout` seconds for something.
    /// Returns false at end of file.
    @discardableResult
    func pump(timeout: Double) -> Bool {
        var pfd = pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, Int32(max(0, timeout * 1000)))
        if r <= 0 { return true }
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, $0.count) }
            if n > 0 {
                stderr += buf[0..<n]
                continue
            }
            if n == 0 { return false }
            return true  // EAGAIN: nothing more for now
        }
    }

    /// Waits until standard error contains `marker` (true) or `timeout` seconds passed / the child
    /// closed it (false).
    func waitFor(_ marker: String, timeout: Double) -> Bool {
        let deadline = now() + timeout
        let m = Array(marker.utf8)
        var searched = 0
        while true {
            if stderr.count >= m.count {
                let from = max(0, searched - m.count)
                if contains(stderr, m, from: from) { return true }
                searched = stderr.count
            }
            let left = deadline - now()
            if left <= 0 { return false }
            if !pump(timeout: min(left, 0.05)) && !contains(stderr, m, from: 0) { return false }
        }
    }

    /// Reads standard error to its end (the child must be dead or about to exit).
    func drain(timeout: Double = 10) {
        let deadline = now() + timeout
        while now() < deadline, pump(timeout: 0.05) {}
    }

    func kill9() { kill(pid, SIGKILL) }

    /// Waits for the child and returns how it ended.
    func wait() -> Ending {
        if let s = reaped { return Ending(status: s) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = status
        return Ending(status: status)
    }

    var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    struct Ending {
        let status: Int32
        var signal: Int32? {
            let sig = status & 0x7f
            return sig != 0 && sig != 0x7f ? sig : nil
        }
        var exitCode: Int32? { status & 0x7f == 0 ? (status >> 8) & 0xff : nil }
        var killedBySIGKILL: Bool { signal == SIGKILL }
    }
}

enum ChildError: Error { case spawn(String) }

/// glibc's pipe2 (not exported by the Glibc module): pipes that are close-on-exec from the start, so
/// that no process spawned concurrently by another test inherits them.
@_silgen_name("pipe2")
private func systemPipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

private func contains(_ hay: [UInt8], _ needle: [UInt8], from: Int) -> Bool {
    guard !needle.isEmpty, hay.count >= needle.count else { return needle.isEmpty }
    var i = from
    let last = hay.count - needle.count
    while i <= last {
        if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return true }
        i += 1
    }
    return false
}

/// Runs `pingshen args…` to the end (stdin empty) and returns the exit code and standard error.
func runToEnd(_ args: [String], stdin: String = "", stdoutFile: String? = nil) throws -> (code: Int32?, err: String) {
    let c = try Child(pingshenPath, args, stdoutFile: stdoutFile)
    c.write(stdin)
    c.closeStdin()
    c.drain(timeout: 60)
    let end = c.wait()
    return (end.exitCode, c.stderrText)
}
