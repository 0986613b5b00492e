import CEngineKernels

/// The bridge to the C kernels of the sparse sums (`Sources/CEngineKernels`): AVX-512F or AVX2 +
/// FMA, chosen at run time. Swift on the x86-64 baseline cannot emit FMA and evaluates each fused
/// multiply-add in Double (`VectorMath.fma8`), several instructions per lane; the C kernels run
/// one hardware fma per lane, in the same entry order, so their sums are the exact fma chain the
/// OpenCL kernels compute (the Swift loops agree with it up to rare double-rounding ties).
extension CPUEngine {
    /// Which vectorised kernels the sparse sums use: 0 none (the Swift loops), 1 AVX2 + FMA,
    /// 2 AVX-512F. The environment variable `WMSIM_CPU_KERNELS` (0, 1) caps it at start.
    public static var vectorKernelLevel: Int { Int(wm_engine_kernels_level()) }

    /// Whether the epilogue runs in C where it can (`wm_epilogue`; tests turn it off to compare
    /// with the Swift loops, which it matches bit for bit).
    nonisolated(unsafe) static var vectorEpilogue = true

    /// The storage `.auto` resolves to on this engine: `WeightFormat.resolve`, except that with
    /// the vectorised kernels and several trials, sliced ELL also takes 0.2 ≤ sp ≤ 0.3 from dense
    /// BLAS. At A's sp = 0.25 (N = 1000) ELL holds 1.5 MB of 16-bit-indexed entries against dense's
    /// 4 MB and does a quarter of the multiply-adds: measured on a quiet machine (`wmsim bench
    /// --workloads A --batches 1,64 --quick --format dense|ell`) 17.2 against 12.7 G syn/s
    /// (sgemm) at B = 64, but 2.1 against 3.2 (sgemv) at B = 1, where one pass over the weights
    /// per step is bandwidth that OpenBLAS streams better than the gathers. Denser networks keep
    /// BLAS (not measured between sp = 0.3 and 1).
    static func storage(_ requested: WeightFormat, n: Int, sp: Double, trials: Int) -> WeightFormat {
        let f = requested.resolve(n: n, sp: sp)
        return requested == .auto && f == .dense && sp <= 0.3 && trials > 1 && vectorKernelLevel > 0 ? .ell : f
    }

    /// `accumulate`'s row sums in C; false (nothing written) when the CPU has no vectorised level.
    @inline(__always)
    static func vectorRowSums<C: FixedWidthInteger>(into acc: UnsafeMutablePointer<Float>, trials bt: Int, x: UnsafePointer<Float>,
                                                    values: UnsafePointer<Float>, columns cp: UnsafePointer<C>,
                                                    first: Int, count: Int, stride: Int) -> Bool {
        if C.self == UInt16.self {
            let c = UnsafeRawPointer(cp).assumingMemoryBound(to: UInt16.self)
            return wm_row_sums_u16(acc, Int32(bt), x, values, c, first, count, stride) != 0
        }
        if C.self == Int32.self {
            let c = UnsafeRawPointer(cp).assumingMemoryBound(to: Int32.self)
            return wm_row_sums_i32(acc, Int32(bt), x, values, c, first, count, stride) != 0
        }
        return false
    }

    /// `slices` whole sliced-ELL slices for one trial in C (`ellSixteenRows` for each); `values`
    /// and `columns` point at the first slice's entries, `offsets` at its `sliceOffset`. False
    /// (nothing written) when the CPU has no vectorised level.
    @inline(__always)
    static func vectorSlices<C: FixedWidthInteger>(into out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                                   columns cp: UnsafePointer<C>, lengths: UnsafePointer<Int32>,
                                                   offsets: UnsafePointer<Int>, slices: Int) -> Bool {
        if C.self == UInt16.self {
            let c = UnsafeRawPointer(cp).assumingMemoryBound(to: UInt16.self)
            return wm_ell_slices_u16(out, x, values, c, lengths, offsets, slices) != 0
        }
        if C.self == Int32.self {
            let c = UnsafeRawPointer(cp).assumingMemoryBound(to: Int32.self)
            return wm_ell_slices_i32(out, x, values, c, lengths, offsets, slices) != 0
        }
        return false
    }

    /// Rows lo..<hi of sliced ELL for several trials in C (`wm_ell_rows_u16`); false (nothing
    /// written) when the CPU has no vectorised level. `offsets` is the whole `sliceOffset`.
    @inline(__always)
    static func vectorELLRows<C: FixedWidthInteger>(into y: UnsafeMutablePointer<Float>, trials bt: Int, x: UnsafePointer<Float>,
                                                    values: UnsafePointer<Float>, columns cp: UnsafePointer<C>, lengths: UnsafePointer<Int32>,
                                                    offsets: UnsafePointer<Int>, lo: Int, hi: Int, prefetch: Bool) -> Bool {
        if C.self == UInt16.self {
            let c = UnsafeRawPointer(cp).assumingMemoryBound(to: UInt16.self)
            return wm_ell_rows_u16(y, Int32(bt), x, values, c, lengths, offsets, lo, hi, prefetch ? 1 : 0) != 0
        }
        if C.self == Int32.self {
            let c = UnsafeRawPointer(cp).assumingMemoryBound(to: Int32.self)
            return wm_ell_rows_i32(y, Int32(bt), x, values, c, lengths, offsets, lo, hi, prefetch ? 1 : 0) != 0
        }
        return false
    }
}
