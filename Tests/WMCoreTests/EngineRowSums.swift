@testable import WMCore

extension CSRMatrix {
    /// Row sums of this matrix for `trials` trials (x and the result `[i·B + b]`) through the
    /// engine's `CPUEngine.accumulate`, one row at a time: the C kernels unless capped to level 0.
    func engineRowSums(x: [Float], trials bt: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: rows * bt)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                values.withUnsafeBufferPointer { vp in
                    colIndex.withUnsafeBufferPointer { cp in
                        for i in 0..<rows {
                            let a = Int(rowPtr[i])
                            CPUEngine.accumulate(into: op.baseAddress! + i * bt, trials: bt, x: xp.baseAddress!, values: vp.baseAddress!,
                                                 columns: cp.baseAddress!, first: a, count: Int(rowPtr[i + 1]) - a, stride: 1)
                        }
                    }
                }
            }
        }
        return out
    }
}

extension SlicedELL {
    /// Sums of rows lo..<hi for `trials` trials through the engine's `CPUEngine.slicedSums`, with
    /// whichever column width the matrix holds (rows outside lo..<hi stay NaN).
    func engineSums(x: [Float], trials bt: Int, lo: Int, hi: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: rows * bt)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if narrowColumns {
                    columns16.withUnsafeBufferPointer { cp in
                        CPUEngine.slicedSums(self, columns: cp.baseAddress!, lo: lo, hi: hi, trials: bt, x: xp.baseAddress!, y: yp.baseAddress!)
                    }
                } else {
                    columns32.withUnsafeBufferPointer { cp in
                        CPUEngine.slicedSums(self, columns: cp.baseAddress!, lo: lo, hi: hi, trials: bt, x: xp.baseAddress!, y: yp.baseAddress!)
                    }
                }
            }
        }
        return y
    }
}
