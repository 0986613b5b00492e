/// Float storage whose first element starts a 64-byte cache line, for the CPU engine's state.
///
/// At B > 1 the sparse sums read, for every synapse, the B trials of x at one column: B·4 bytes
/// at a stride of B·4. A Swift array's elements start 48 bytes into a line (malloc's and the
/// array header's offsets), so each 256-byte row of B = 64 spans five lines instead of four;
/// aligned, the gathers move a fifth fewer lines (whole `bench --workloads B,C --batches 64
/// --quick` runs: 8 % less wall time, setup included).
final class AlignedFloats: @unchecked Sendable {
    /// Number of floats.
    let count: Int
    private let base: UnsafeMutablePointer<Float>

    /// A copy of `values`.
    init(_ values: [Float]) {
        count = values.count
        base = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, values.count) * 4, alignment: 64).bindMemory(to: Float.self, capacity: Swift.max(1, values.count))
        values.withUnsafeBufferPointer { if let p = $0.baseAddress { base.initialize(from: p, count: values.count) } }
    }

    deinit { base.deallocate() }

    /// The values as an array.
    var array: [Float] { Array(UnsafeBufferPointer(start: base, count: count)) }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }
}
