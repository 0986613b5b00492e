import Foundation

/// Runs many independent host computations that call LAPACK (one eigenvalue problem or linear
/// solve per fixed point, say) on several threads at once, with OpenBLAS on one thread each.
/// LAPACK's eigenvalue iterations barely gain from BLAS threads (an N = 1000 `dgeev`: 0.75 s on
/// one thread, 0.74 s on two), while two problems side by side take 0.41 s each on two cores.
public enum HostWorkers {
    /// How many problems that each hold `bytesPerWorker` run at once: every core (of a SLURM
    /// task, its `--cpus-per-task`), at most 8, and no more than a quarter of the usable host
    /// memory holds.
    public static func count(bytesPerWorker: Int) -> Int {
        var cores = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)
        if let text = ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"], let slurm = Int(text), slurm >= 1 { cores = Swift.min(cores, slurm) }
        let fit = MemoryEstimate.hostAvailable / 4 / Swift.max(1, bytesPerWorker)
        return Swift.max(1, Swift.min(cores, 8, fit))
    }

    /// `body(0..<count)` in order, computed by `workers` threads (OpenBLAS single-threaded
    /// meanwhile, `SingleThreadedBLAS`). The first error, by index, is rethrown; once one is
    /// thrown the remaining indices are not started (with as many workers as problems, each has
    /// started already).
    ///
    /// With at least as many workers as problems, problem i runs on invocation i: a worker that
    /// took the next problem as soon as it finished its own would run two one after the other
    /// while a late-woken thread idled (equal parts of one batch, `CPUDenseOps.sideBySide`).
    public static func map<T: Sendable>(_ count: Int, workers: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
        let w = Swift.min(workers, count)
        guard w > 1 else { return try (0..<count).map(body) }
        let results = Slots<T>(count)
        SingleThreadedBLAS.run {
            if w == count {
                DispatchQueue.concurrentPerform(iterations: count) { i in results.set(i, Result { try body(i) }) }
            } else {
                DispatchQueue.concurrentPerform(iterations: w) { _ in
                    while let i = results.next() { results.set(i, Result { try body(i) }) }
                }
            }
        }
        return try results.values()
    }

    /// Results filled by worker threads, and the next index to hand out.
    private final class Slots<T: Sendable>: @unchecked Sendable {
        private var items: [Result<T, any Error>?]
        private var handed = 0
        private var failed = false
        private let lock = NSLock()

        init(_ count: Int) { items = Array(repeating: nil, count: count) }

        func next() -> Int? {
            lock.withLock {
                guard !failed, handed < items.count else { return nil }
                defer { handed += 1 }
                return handed
            }
        }

        func set(_ i: Int, _ r: Result<T, any Error>) {
            lock.withLock {
                items[i] = r
                if case .failure = r { failed = true }
            }
        }

        func values() throws -> [T] {
            try lock.withLock {
                var out: [T] = []
                out.reserveCapacity(items.count)
                for item in items {
                    guard let item else { break }
                    out.append(try item.get())
                }
                guard out.count == items.count else { throw WMError.unsupported("host workers stopped before every problem was solved") }
                return out
            }
        }
    }
}
