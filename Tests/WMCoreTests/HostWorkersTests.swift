import CLAPACK
import Foundation
import XCTest
@testable import WMCore

/// Independent LAPACK problems solved side by side: same answers, same order, errors and the
/// OpenBLAS thread count handled.
final class HostWorkersTests: XCTestCase {
    struct Failure: Error, Equatable { let index: Int }

    /// An n × n matrix of uniform entries in [−1, 1) (Philox).
    func matrix(_ n: Int, seed: UInt64) -> [Double] {
        let p = Philox4x32(seed: seed)
        return (0..<n * n).map { i in
            let b = p.block(UInt32(i), 0, 0, 0)
            return 2 * RandomBits.unitDouble(b.0, b.1) - 1
        }
    }

    func testEigenvaluesSideBySideEqualTheOneAtATimeAnswersInOrder() throws {
        let n = 37, count = 11
        let matrices = (0..<count).map { matrix(n, seed: UInt64(100 + $0)) }
        let alone = try matrices.map { try GeneralEigen.eigenvalues($0, n: n) }
        for workers in [2, 3, 4] {
            let together = try HostWorkers.map(count, workers: workers) { try GeneralEigen.eigenvalues(matrices[$0], n: n) }
            XCTAssertEqual(together.count, count)
            for (a, b) in zip(alone, together) {
                for (x, y) in zip(a, b) {
                    XCTAssertEqual(x.re, y.re, accuracy: 1e-10)
                    XCTAssertEqual(x.im, y.im, accuracy: 1e-10)
                }
            }
        }
        // Inside, OpenBLAS runs on one thread; the row-major A (not Aᵀ) is solved.
        let solved = try HostWorkers.map(count, workers: 3) { k -> [Double] in
            XCTAssertEqual(openblas_get_num_threads(), 1)
            return try LinearSolve.solve(matrices[k], n: n, [Double](repeating: 1, count: n))
        }
        for (k, x) in solved.enumerated() {
            let residual = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + matrices[k][i * n + $1] * x[$1] } - 1 }
            XCTAssertLessThan(residual.map(abs).max()!, 1e-9)
        }
    }

    /// A singular or non-finite system is refused with what is wrong, not LAPACK's info code.
    func testSingularAndNonFiniteSystemsAreRefused() {
        XCTAssertThrowsError(try LinearSolve.solve([1, 2, 2, 4], n: 2, [1, 1])) { XCTAssertTrue("\($0)".contains("singular matrix"), "\($0)") }
        XCTAssertThrowsError(try LinearSolve.solve([1, .nan, 0, 1], n: 2, [1, 1])) { XCTAssertTrue("\($0)".contains("finite"), "\($0)") }
        XCTAssertThrowsError(try LinearSolve.solve([1, 0, 0, 1], n: 2, [1, .infinity])) { XCTAssertTrue("\($0)".contains("finite"), "\($0)") }
        XCTAssertThrowsError(try GeneralEigen.eigenvalues([1, .nan, 0, 1], n: 2)) { XCTAssertTrue("\($0)".contains("finite"), "\($0)") }
        // A non-symmetric system whose transpose has another answer: A = [[2, 1], [0, 1]], b = (3, 1) → x = (1, 1).
        let x = (try? LinearSolve.solve([2, 1, 0, 1], n: 2, [3, 1])) ?? []
        XCTAssertEqual(x.count, 2)
        for v in x { XCTAssertEqual(v, 1, accuracy: 1e-12, "\(x)") }
    }

    func testTheFirstErrorByIndexIsThrownAndTheBLASThreadsAreRestored() {
        let before = openblas_get_num_threads()
        for workers in [1, 2, 4] {
            XCTAssertThrowsError(try HostWorkers.map(50, workers: workers) { i -> Int in
                if i == 7 || i == 31 { throw Failure(index: i) }
                return i
            }) { XCTAssertEqual($0 as? Failure, Failure(index: 7), "workers \(workers)") }
            XCTAssertEqual(openblas_get_num_threads(), before)
        }
        XCTAssertEqual(try HostWorkers.map(0, workers: 4) { $0 }, [])
        XCTAssertEqual(try HostWorkers.map(13, workers: 4) { $0 * $0 }, (0..<13).map { $0 * $0 })
        XCTAssertEqual(openblas_get_num_threads(), before)
    }

    /// Dense ops' parts: in part order, each on its own single-threaded ops with OpenBLAS on one
    /// thread, all of them at once; the first error by part; the thread count restored.
    func testDenseOpsPartsRunSideBySideInOrder() throws {
        let before = openblas_get_num_threads()
        let ops = CPUDenseOps()
        let m = try ops.upload((0..<12).map(Float.init), rows: 4, cols: 3)
        // As many parts as cores (what sideBySideParts asks for) run at once: each waits (up to
        // 10 s) until all have started.
        let atOnce = Swift.min(4, ProcessInfo.processInfo.activeProcessorCount)
        let started = Seen()
        let sums = try ops.sideBySide(4) { p, pops -> Float in
            XCTAssertFalse(pops === ops)
            XCTAssertEqual(openblas_get_num_threads(), 1)
            started.add(1)
            if p < atOnce {
                let deadline = Date().addingTimeInterval(10)
                while started.values.count < atOnce && Date() < deadline { usleep(100) }
                XCTAssertGreaterThanOrEqual(started.values.count, atOnce, "part \(p) ran alone")
            }
            return try pops.download(m)[(3 * p)..<(3 * p + 3)].reduce(0, +)
        }
        XCTAssertEqual(sums, [3, 12, 21, 30])
        XCTAssertThrowsError(try ops.sideBySide(5) { p, _ -> Int in
            if p == 2 || p == 4 { throw Failure(index: p) }
            return p
        }) { XCTAssertEqual($0 as? Failure, Failure(index: 2)) }
        XCTAssertEqual(openblas_get_num_threads(), before)
        // One part, or a single-threaded worker's ops: on the ops itself.
        XCTAssertEqual(try ops.sideBySide(1) { _, pops in pops === ops }, [true])
        let worker = CPUDenseOps(singleThreaded: true)
        XCTAssertEqual(try worker.sideBySide(2) { _, pops in pops === worker }, [true, true])
    }

    /// Regions that overlap (two threads, each running workers) leave the thread count at one
    /// until the last ends, then restore it.
    func testOverlappingRegionsRestoreTheThreadCountOnlyAtTheEnd() {
        let before = openblas_get_num_threads()
        let inner = DispatchSemaphore(value: 0), outerMayEnd = DispatchSemaphore(value: 0)
        let seen = Seen()
        let t = Thread {
            SingleThreadedBLAS.run {
                inner.signal()
                outerMayEnd.wait()
            }
        }
        t.start()
        inner.wait()
        SingleThreadedBLAS.run { seen.add(openblas_get_num_threads()) }
        // The other region is still open: the count stays at one.
        seen.add(openblas_get_num_threads())
        outerMayEnd.signal()
        while t.isExecuting || !t.isFinished { usleep(1000) }
        XCTAssertEqual(seen.values, [1, 1])
        XCTAssertEqual(openblas_get_num_threads(), before)
    }

    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Int32] = []
        func add(_ v: Int32) { lock.withLock { items.append(v) } }
        var values: [Int32] { lock.withLock { items } }
    }

    func testTheWorkerCountFollowsCoresAndMemory() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let slurm = ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init) ?? cores
        XCTAssertEqual(HostWorkers.count(bytesPerWorker: 1), Swift.min(cores, slurm, 8))
        XCTAssertEqual(HostWorkers.count(bytesPerWorker: MemoryEstimate.hostAvailable), 1, "one worker even when one does not fit a quarter")
        XCTAssertEqual(HostWorkers.count(bytesPerWorker: MemoryEstimate.hostAvailable / 8), Swift.min(cores, slurm, 2))
    }
}
