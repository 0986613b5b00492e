import CLAPACK
import Foundation

/// OpenBLAS's thread count is one setting for the whole process. Work that runs many BLAS or
/// LAPACK calls side by side on its own threads sets it to one for its duration; this keeps such
/// regions, nested or overlapping, from restoring the count while another still runs: the first
/// to enter saves and lowers it, the last to leave restores it.
public enum SingleThreadedBLAS {
    private static let state = State()

    /// Runs `body` with OpenBLAS on one thread.
    public static func run<T>(_ body: () throws -> T) rethrows -> T {
        state.enter()
        defer { state.leave() }
        return try body()
    }

    /// Whether some region runs now: work started inside one (a worker of it, say) should not
    /// fan out over the cores again.
    public static var isActive: Bool { state.active }

    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var depth = 0
        private var saved: Int32 = 1

        var active: Bool { lock.withLock { depth > 0 } }

        func enter() {
            lock.withLock {
                if depth == 0 {
                    saved = openblas_get_num_threads()
                    openblas_set_num_threads(1)
                }
                depth += 1
            }
        }

        func leave() {
            lock.withLock {
                depth -= 1
                if depth == 0 { openblas_set_num_threads(saved) }
            }
        }
    }
}
