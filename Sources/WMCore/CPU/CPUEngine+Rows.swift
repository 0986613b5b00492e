import CEngineKernels

/// The per-row work of one CPU step: recurrent sums (sparse formats) and the vectorised epilogue.
///
/// The recurrent sums run in C (`CPUEngine+Vector.swift`: the hardware's exact fma, AVX-512F or
/// AVX2) where the CPU has it; the Swift loops below are the fallback. Their fused multiply-adds
/// are `VectorMath`'s Double-evaluated ones (the kernels' `fma`, up to rare double-rounding ties),
/// and so are the epilogue's; tanh is `VectorMath.tanh` (≤ 1.3 ulp). Every element gets the
/// same operations wherever it falls in a block, so results do not depend on the row blocking.
extension CPUEngine {
    /// Values (rows × trials) per epilogue piece: sums and epilogue of a piece stay in L1.
    static let pieceValues = 2048

    /// Rows lo..<hi of network mm for all trials, in pieces: the recurrent sums into y (sparse;
    /// dense has them from BLAS already), then the epilogue over the piece's contiguous span.
    /// Writes t to `sh.bad[badSlot]` when a new value is not finite.
    /// `panels`: dense sums from `densePanels` here (else dense has them from BLAS already).
    /// Column-blocked ELL (`columnBlocks`): the sums of a group of rows over all column blocks
    /// first, then the group's epilogue piece by piece.
    func rows(network mm: Int, lo: Int, hi: Int, t: Int, useTanh: Bool, sh: Shared, badSlot: Int, panels: Bool = false) {
        let rowsPerPiece = Swift.max(1, CPUEngine.pieceValues / ensemble.trials)
        var finite = true
        var a = lo
        if let blocks = columnBlocks[mm] {
            // Groups of about equal size, a multiple of 16 rows where they are larger.
            let groups = (hi - lo + blocks.groupRows - 1) / blocks.groupRows
            let size = groups > 1 ? ((hi - lo + groups - 1) / groups + 15) & ~15 : hi - lo
            while a < hi {
                let g = Swift.min(hi, a + size)
                blockedSums(blocks, network: mm, lo: a, hi: g, sh: sh)
                var p = a
                while p < g {
                    let q = Swift.min(g, p + rowsPerPiece)
                    if !finish(network: mm, lo: p, hi: q, t: t, useTanh: useTanh, sh: sh) { finite = false }
                    p = q
                }
                a = g
            }
            sh.bad[badSlot] = finite ? Int.max : t
            return
        }
        while a < hi {
            let b = Swift.min(hi, a + rowsPerPiece)
            sums(network: mm, lo: a, hi: b, sh: sh, panels: panels)
            if !finish(network: mm, lo: a, hi: b, t: t, useTanh: useTanh, sh: sh) { finite = false }
            a = b
        }
        sh.bad[badSlot] = finite ? Int.max : t
    }

    /// `y[i·B + b] = Σ_p w_p · x[col_p·B + b]` for rows lo..<hi, accumulated in stored order
    /// (column order, as the kernels do; procedural rows in the same order, so bit-identical to
    /// CSR). Dense storage: from the bitmap panels when `panels` (lo a multiple of 16), else
    /// nothing (BLAS did all rows).
    func sums(network mm: Int, lo: Int, hi: Int, sh: Shared, panels: Bool = false) {
        let n = ensemble.n, bt = ensemble.trials
        let xm = sh.x + mm * n * bt, ym = sh.y + mm * n * bt
        switch weights[mm] {
        case .dense:
            if panels {
                let d = densePanels[mm]
                d.masks.withUnsafeBufferPointer { mp in
                    d.values.withUnsafeBufferPointer { vp in
                        d.starts.withUnsafeBufferPointer { sp in
                            _ = wm_dense_masked_sums(ym, xm, mp.baseAddress!, vp.baseAddress!, sp.baseAddress!, n, lo, hi)
                        }
                    }
                }
            }
        case let .csr(mat):
            mat.rowPtr.withUnsafeBufferPointer { rp in
                mat.colIndex.withUnsafeBufferPointer { cp in
                    mat.values.withUnsafeBufferPointer { vp in
                        for i in lo..<hi {
                            let first = Int(rp[i])
                            CPUEngine.accumulate(into: ym + i * bt, trials: bt, x: xm, values: vp.baseAddress!, columns: cp.baseAddress!,
                                                 first: first, count: Int(rp[i + 1]) - first, stride: 1)
                        }
                    }
                }
            }
        case let .procedural(p):
            // Each row is regenerated into a scratch row, then summed exactly as a CSR row.
            let row = RowBuffer(capacity: Int(p.expectedRowLength * 1.5) + 16)
            for i in lo..<hi {
                let count = p.fill(row: i, into: row)
                CPUEngine.accumulate(into: ym + i * bt, trials: bt, x: xm, values: row.values, columns: row.columns,
                                     first: 0, count: count, stride: 1)
            }
        case let .ell(e):
            if e.narrowColumns {
                e.columns16.withUnsafeBufferPointer { cp in
                    CPUEngine.slicedSums(e, columns: cp.baseAddress!, lo: lo, hi: hi, trials: bt, x: xm, y: ym)
                }
            } else {
                e.columns32.withUnsafeBufferPointer { cp in
                    CPUEngine.slicedSums(e, columns: cp.baseAddress!, lo: lo, hi: hi, trials: bt, x: xm, y: ym)
                }
            }
        }
    }

    /// Rows lo..<hi of network mm's sliced ELL summed over `blocks` one after the other
    /// (`wm_ell_blocked_rows_*`); unblocked where the kernels are not available (capped).
    func blockedSums(_ blocks: ColumnBlocks, network mm: Int, lo: Int, hi: Int, sh: Shared) {
        guard case let .ell(e) = weights[mm] else { return }
        let n = ensemble.n, bt = ensemble.trials
        let xm = sh.x + mm * n * bt, ym = sh.y + mm * n * bt
        let done = e.rowLength.withUnsafeBufferPointer { lp in
            e.values.withUnsafeBufferPointer { vp in
                e.sliceOffset.withUnsafeBufferPointer { op in
                    blocks.bounds.withUnsafeBufferPointer { bp in
                        e.narrowColumns
                            ? e.columns16.withUnsafeBufferPointer { cp in
                                wm_ell_blocked_rows_u16(ym, Int32(bt), xm, vp.baseAddress!, cp.baseAddress!, lp.baseAddress!, op.baseAddress!,
                                                        bp.baseAddress!, blocks.count, lo, hi)
                            }
                            : e.columns32.withUnsafeBufferPointer { cp in
                                wm_ell_blocked_rows_i32(ym, Int32(bt), xm, vp.baseAddress!, cp.baseAddress!, lp.baseAddress!, op.baseAddress!,
                                                        bp.baseAddress!, blocks.count, lo, hi)
                            }
                    }
                }
            }
        }
        if done == 0 { sums(network: mm, lo: lo, hi: hi, sh: sh) }
    }

    /// Rows lo..<hi of sliced ELL: whole slices for one trial sixteen rows at a time, otherwise
    /// row by row (all trials at once).
    @inline(__always)
    static func slicedSums<C: FixedWidthInteger>(_ e: SlicedELL, columns cp: UnsafePointer<C>, lo: Int, hi: Int, trials bt: Int,
                                                 x xm: UnsafePointer<Float>, y ym: UnsafeMutablePointer<Float>) {
        let s = SlicedELL.sliceRows
        e.rowLength.withUnsafeBufferPointer { lp in
            e.values.withUnsafeBufferPointer { vp in
                e.sliceOffset.withUnsafeBufferPointer { op in
                    var i = lo
                    // Several trials: the C kernels take the whole range (two rows at a time);
                    // prefetching x only pays when its B floats per column do not fit in L2.
                    if bt > 1 && vectorELLRows(into: ym, trials: bt, x: xm, values: vp.baseAddress!, columns: cp, lengths: lp.baseAddress!,
                                               offsets: op.baseAddress!, lo: lo, hi: hi, prefetch: e.rows * bt * 4 > 1 << 20) {
                        return
                    }
                    if bt == 1 {
                        // The run of whole slices in one call to the vectorised kernels, where the CPU has them.
                        let whole = i % s == 0 ? (hi - i) / s : 0
                        if whole > 0 && vectorSlices(into: ym + i, x: xm, values: vp.baseAddress! + op[i / s], columns: cp + op[i / s],
                                                     lengths: lp.baseAddress! + i, offsets: op.baseAddress! + i / s, slices: whole) {
                            i += whole * s
                        }
                        while i % s == 0 && i + s <= hi {
                            let off = op[i / s]
                            ellSixteenRows(into: ym + i, x: xm, values: vp.baseAddress! + off, columns: cp + off,
                                           lengths: lp.baseAddress! + i, slots: (op[i / s + 1] - off) / s)
                            i += s
                        }
                    }
                    for i in i..<hi {
                        accumulate(into: ym + i * bt, trials: bt, x: xm, values: vp.baseAddress!, columns: cp,
                                   first: op[i / s] + i % s, count: Int(lp[i]), stride: s)
                    }
                }
            }
        }
    }

    /// One row's sums for all trials from `count` stored entries at first, first + stride, ….
    /// Trials are contiguous in x, so B > 1 runs a vector fma per entry.
    @inline(__always)
    static func accumulate<C: FixedWidthInteger>(into acc: UnsafeMutablePointer<Float>, trials bt: Int, x xm: UnsafePointer<Float>,
                           values vp: UnsafePointer<Float>, columns cp: UnsafePointer<C>,
                           first: Int, count: Int, stride: Int) {
        if vectorRowSums(into: acc, trials: bt, x: xm, values: vp, columns: cp, first: first, count: count, stride: stride) { return }
        var p = first
        if bt == 1 {
            var s: Float = 0
            for _ in 0..<count {
                s = VectorMath.fma(vp[p], xm[Int(cp[p])], s)
                p += stride
            }
            acc.pointee = s
            return
        }
        // Trials in blocks of 32 and then 8, the accumulators kept in registers across the row's
        // entries (each output still gets fma(w, x, acc) in entry order, as fusedAXPY would).
        var t0 = 0
        while t0 + 32 <= bt {
            var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
            var q = first
            for _ in 0..<count {
                let w = SIMD8<Float>(repeating: vp[q])
                let xr = xm + Int(cp[q]) * bt + t0
                a0 = VectorMath.fma8(w, VectorMath.load(xr), a0)
                a1 = VectorMath.fma8(w, VectorMath.load(xr + 8), a1)
                a2 = VectorMath.fma8(w, VectorMath.load(xr + 16), a2)
                a3 = VectorMath.fma8(w, VectorMath.load(xr + 24), a3)
                q += stride
            }
            VectorMath.store(a0, acc + t0); VectorMath.store(a1, acc + t0 + 8)
            VectorMath.store(a2, acc + t0 + 16); VectorMath.store(a3, acc + t0 + 24)
            t0 += 32
        }
        while t0 + 8 <= bt {
            var a0 = SIMD8<Float>()
            var q = first
            for _ in 0..<count {
                a0 = VectorMath.fma8(SIMD8<Float>(repeating: vp[q]), VectorMath.load(xm + Int(cp[q]) * bt + t0), a0)
                q += stride
            }
            VectorMath.store(a0, acc + t0)
            t0 += 8
        }
        if t0 < bt {
            let out = UnsafeMutableBufferPointer(start: acc + t0, count: bt - t0)
            out.update(repeating: 0)
            for _ in 0..<count {
                VectorMath.fusedAXPY(vp[p], UnsafeBufferPointer(start: xm + Int(cp[p]) * bt + t0, count: bt - t0), out)
                p += stride
            }
        }
    }

    /// Sums of one slice (sixteen consecutive rows) for one trial: `slots` slots of 16 entries,
    /// contiguous. Lane r accumulates row r's slots in order, exactly as `accumulate` would;
    /// lanes past a row's length keep their sum.
    @inline(__always)
    static func ellSixteenRows<C: FixedWidthInteger>(into out: UnsafeMutablePointer<Float>, x xm: UnsafePointer<Float>,
                                                     values vp: UnsafePointer<Float>, columns cp: UnsafePointer<C>,
                                                     lengths lp: UnsafePointer<Int32>, slots: Int) {
        let lens0 = UnsafeRawPointer(lp).loadUnaligned(as: SIMD8<Int32>.self)
        let lens1 = UnsafeRawPointer(lp + 8).loadUnaligned(as: SIMD8<Int32>.self)
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var q = 0
        for k in 0..<slots {
            ellSlot(&acc0, k: Int32(k), lengths: lens0, values: vp + q, columns: cp + q, x: xm)
            ellSlot(&acc1, k: Int32(k), lengths: lens1, values: vp + q + 8, columns: cp + q + 8, x: xm)
            q += 16
        }
        VectorMath.store(acc0, out)
        VectorMath.store(acc1, out + 8)
    }

    /// acc = fma(w, x[col], acc) in the lanes whose row has a slot k.
    @inline(__always)
    static func ellSlot<C: FixedWidthInteger>(_ acc: inout SIMD8<Float>, k: Int32, lengths: SIMD8<Int32>,
                                              values vp: UnsafePointer<Float>, columns cp: UnsafePointer<C>, x xm: UnsafePointer<Float>) {
        let xg = SIMD8<Float>(xm[Int(cp[0])], xm[Int(cp[1])], xm[Int(cp[2])], xm[Int(cp[3])],
                              xm[Int(cp[4])], xm[Int(cp[5])], xm[Int(cp[6])], xm[Int(cp[7])])
        let sum = VectorMath.fma8(VectorMath.load(vp), xg, acc)
        // All ones in lanes with k < length (the sign of k − length), in integer lane ops.
        let live = unsafeBitCast((SIMD8(repeating: k) &- lengths) &>> 31, to: SIMD8<UInt32>.self)
        let a = unsafeBitCast(acc, to: SIMD8<UInt32>.self), b = unsafeBitCast(sum, to: SIMD8<UInt32>.self)
        acc = unsafeBitCast((b & live) | (a & ~live), to: SIMD8<Float>.self)
    }

    /// The epilogue of rows lo..<hi of network mm (all trials), in place over their span of y,
    /// in the kernels' order: h = gain·acc; h = fma(Jin[i,k], u_k, h) for each channel k;
    /// h += bias; h = fma(σ, ξ, h) when σ > 0 (ξ scalar, Philox); then x' by
    /// `UpdateMath.update(x:h:_:tanh:)`. Returns false when a new value is not finite.
    /// Without noise, with the AVX-512 kernels and `vectorEpilogue`, the same operations run in C
    /// (`wm_epilogue`, bit for bit these).
    func finish(network mm: Int, lo: Int, hi: Int, t: Int, useTanh: Bool, sh: Shared) -> Bool {
        let n = ensemble.n, bt = ensemble.trials, nIn = ensemble.nIn
        let c = coeffs[mm]
        let offset = (mm * n + lo) * bt, count = (hi - lo) * bt
        if c.noise == 0 && CPUEngine.vectorEpilogue {
            var k = (c.gain, c.bias, c.c0, c.c1, c.c2, c.c3)
            let status = withUnsafeBytes(of: &k) { kp in
                let coef = kp.baseAddress!.assumingMemoryBound(to: Float.self)
                return bt == 1
                    ? jinT[mm].withUnsafeBufferPointer { jp in
                        wm_epilogue(sh.y + offset, sh.x + offset, hi - lo, 1, jp.baseAddress.map { $0 + lo }, 1, n, Int32(nIn), sh.uT, coef, useTanh ? 1 : 0)
                    }
                    : nets[mm].input.withUnsafeBufferPointer { jp in
                        wm_epilogue(sh.y + offset, sh.x + offset, hi - lo, Int32(bt), jp.baseAddress.map { $0 + lo * nIn }, nIn, 1, Int32(nIn), sh.uT, coef, useTanh ? 1 : 0)
                    }
            }
            if status != 0 { return status == 2 }
        }
        let h = UnsafeMutableBufferPointer(start: sh.y + offset, count: count)
        VectorMath.scale(h, by: c.gain)
        if bt == 1 {
            // Channel-major Jin: channel k over the rows is one contiguous span.
            jinT[mm].withUnsafeBufferPointer { wt in
                for k in 0..<nIn {
                    VectorMath.fusedAXPY(sh.uT[k], UnsafeBufferPointer(rebasing: wt[(k * n + lo)..<(k * n + hi)]), h)
                }
            }
        } else {
            nets[mm].input.withUnsafeBufferPointer { jin in
                for i in lo..<hi {
                    let hRow = UnsafeMutableBufferPointer(rebasing: h[((i - lo) * bt)..<((i - lo + 1) * bt)])
                    for k in 0..<nIn {
                        VectorMath.fusedAXPY(jin[i * nIn + k], UnsafeBufferPointer(start: sh.uT + k * bt, count: bt), hRow)
                    }
                }
            }
        }
        VectorMath.add(c.bias, to: h)
        if c.noise > 0 {
            let rng = rngs[mm]
            var q = 0
            for i in lo..<hi {
                for b in 0..<bt {
                    h[q] = VectorMath.fma(c.noise, UpdateMath.noise(seed: rng, t: t, neuron: i, trial: b), h[q])
                    q += 1
                }
            }
        }
        return UpdateMath.update(x: UnsafeBufferPointer(start: sh.x + offset, count: count), h: h, c, tanh: useTanh)
    }
}
