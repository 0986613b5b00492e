import CLAPACK

/// Streaming sufficient statistics of one data segment (training, validation or test) for a
/// linear readout: features s ∈ Rᴺ (network states) and targets y ∈ Rᴷ (e.g. the delayed inputs
/// u(t − k), k = 1…K), all accumulated in Double.
///
/// Everything a ridge readout needs — fitting, validation Pearson r, test r and MSE — follows
/// from these moments, so a segment of any length is reduced to O(N² + N·K) numbers and the
/// states never have to be stored.
///
/// Storage. Internally the moments are kept *centred* (count, means s̄ and ȳ, the centred
/// scatter G̃ = Σ (s − s̄)(s − s̄)ᵀ, C̃ = Σ (s − s̄)(y − ȳ)ᵀ and Σ (y_k − ȳ_k)²), merged block by
/// block and segment by segment with the pairwise update of Chan, Golub & LeVeque (1979). This
/// gives the same numbers as the raw sums (`gram`, `cross`, …, available as computed
/// properties) but does not lose digits to cancellation when the state means are large
/// compared with their fluctuations (nearly saturated tanh units). Only the upper triangle of
/// G̃ is stored (row-major; the lower triangle is kept at zero); the accessors mirror it.
///
/// Blocks of at most `blockRows` rows are converted to Double at a time, so the scratch memory of
/// `add(states:…)` is O(`blockRows`·(N + K)) whatever the number of rows passed.
public struct SegmentMoments: Sendable, Equatable {
    /// Number of features N (state dimension).
    public let n: Int
    /// Number of targets K (lags).
    public let k: Int
    /// Number of rows (time points × trials) accumulated so far.
    public private(set) var count: Int = 0
    /// Feature means s̄ [N] (0 while empty).
    public private(set) var meanS: [Double]
    /// Target means ȳ [K] (0 while empty).
    public private(set) var meanY: [Double]
    /// Upper triangle (row-major, j ≥ i) of G̃ = Σ (s − s̄)(s − s̄)ᵀ; lower triangle zero.
    public private(set) var scatterUpper: [Double]
    /// C̃ = Σ (s − s̄)(y − ȳ)ᵀ [N×K row-major].
    public private(set) var crossScatter: [Double]
    /// Σ (y_k − ȳ_k)² [K].
    public private(set) var targetScatter: [Double]

    /// Rows converted to Double per BLAS call.
    public static let blockRows = 512

    /// Empty moments for `n` features and `k` targets (both ≥ 1).
    public init(n: Int, k: Int) {
        precondition(n >= 1 && k >= 1, "SegmentMoments needs n ≥ 1 features and k ≥ 1 targets (got n = \(n), k = \(k))")
        self.n = n
        self.k = k
        meanS = [Double](repeating: 0, count: n)
        meanY = [Double](repeating: 0, count: k)
        scatterUpper = [Double](repeating: 0, count: n * n)
        crossScatter = [Double](repeating: 0, count: n * k)
        targetScatter = [Double](repeating: 0, count: k)
    }

    /// The moments of one segment from a device's shifted sums (`RawLagMoments` of
    /// `SimulationEngine.advance(steps:lagMoments:…)`): the states' part comes from the device; the
    /// targets' part (y_k(t) = stream[(t − k)·trials + b]) is recomputed here from the stream.
    /// The shift is removed exactly: G̃ = Σ z zᵀ − s′ s′ᵀ / n with s′ = Σ (x − c), and likewise C̃.
    public init(raw: RawLagMoments, n: Int, k: Int, times: ClosedRange<Int>, stream: [Float], trials bt: Int, targetShift d: Float) {
        self.init(n: n, k: k)
        let w = n + k + 1
        precondition(raw.products.count == n * w && raw.shift.count == n, "raw moments of another shape")
        precondition(raw.count == times.count * bt, "raw moments count \(raw.count) ≠ \(times.count) times × \(bt) trials")
        let c = Double(raw.count)
        count = raw.count
        // Targets: shifted sums, then the exact centred scatter (two passes over the stream).
        var sy = [Double](repeating: 0, count: k)
        stream.withUnsafeBufferPointer { u in
            for t in times { for lag in 1...k { for b in 0..<bt { sy[lag - 1] += Double(u[(t - lag) * bt + b]) - Double(d) } } }
            for j in 0..<k { meanY[j] = Double(d) + sy[j] / c }
            for t in times {
                for lag in 1...k {
                    for b in 0..<bt { let e = Double(u[(t - lag) * bt + b]) - meanY[lag - 1]; targetScatter[lag - 1] += e * e }
                }
            }
        }
        raw.products.withUnsafeBufferPointer { p in
            let s1 = (0..<n).map { p[$0 * w + n + k] }
            for i in 0..<n {
                meanS[i] = Double(raw.shift[i]) + s1[i] / c
                for j in i..<n { scatterUpper[i * n + j] = p[i * w + j] - s1[i] * s1[j] / c }
                for j in 0..<k { crossScatter[i * k + j] = p[i * w + n + j] - s1[i] * sy[j] / c }
            }
        }
    }

    // MARK: Accumulation

    /// Adds `rows` rows: row r of the states is `states[r·rowStride ..< r·rowStride + N]` and row
    /// r of the targets is `targets[r·targetStride ..< r·targetStride + K]`.
    ///
    /// Each block of rows is converted to Double, centred on its own mean, and reduced with
    /// `cblas_dsyrk` (G̃, upper triangle) and `cblas_dgemm` (C̃); the block is then merged into the
    /// running moments with a rank-one correction (`cblas_dsyr`, `cblas_dger`).
    public mutating func add(
        states: UnsafeBufferPointer<Float>, rows: Int, rowStride: Int,
        targets: UnsafeBufferPointer<Float>, targetStride: Int
    ) {
        precondition(rows >= 0, "rows must be ≥ 0")
        guard rows > 0 else { return }
        precondition(rowStride >= n, "rowStride \(rowStride) < N = \(n)")
        precondition(targetStride >= k, "targetStride \(targetStride) < K = \(k)")
        precondition(states.count >= (rows - 1) * rowStride + n, "states buffer too short for \(rows) rows")
        precondition(targets.count >= (rows - 1) * targetStride + k, "targets buffer too short for \(rows) rows")
        let n = self.n, k = self.k
        let maxBlock = min(rows, Self.blockRows)
        var d = [Double](repeating: 0, count: maxBlock * n)
        var e = [Double](repeating: 0, count: maxBlock * k)
        var mu = [Double](repeating: 0, count: n)
        var nu = [Double](repeating: 0, count: k)
        var start = 0
        while start < rows {
            let m = min(maxBlock, rows - start)
            d.withUnsafeMutableBufferPointer { dp in
                e.withUnsafeMutableBufferPointer { ep in
                    mu.withUnsafeMutableBufferPointer { mp in
                        nu.withUnsafeMutableBufferPointer { np in
                            for j in 0..<n { mp[j] = 0 }
                            for j in 0..<k { np[j] = 0 }
                            for r in 0..<m {
                                let sBase = (start + r) * rowStride
                                let yBase = (start + r) * targetStride
                                for j in 0..<n { let v = Double(states[sBase + j]); dp[r * n + j] = v; mp[j] += v }
                                for j in 0..<k { let v = Double(targets[yBase + j]); ep[r * k + j] = v; np[j] += v }
                            }
                            let inv = 1.0 / Double(m)
                            for j in 0..<n { mp[j] *= inv }
                            for j in 0..<k { np[j] *= inv }
                            for r in 0..<m {
                                for j in 0..<n { dp[r * n + j] -= mp[j] }
                                for j in 0..<k { ep[r * k + j] -= np[j] }
                            }
                        }
                    }
                }
            }
            // Centred block scatter: G̃_b = DᵀD (upper), C̃_b = DᵀE, Σ E².
            var blockScatterY = [Double](repeating: 0, count: k)
            e.withUnsafeBufferPointer { ep in
                for r in 0..<m { for j in 0..<k { blockScatterY[j] += ep[r * k + j] * ep[r * k + j] } }
            }
            merge(
                blockCount: m, blockMeanS: mu, blockMeanY: nu, blockScatterY: blockScatterY,
                addBlockScatter: { g, c in
                    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(m), 1.0, d, Int32(n), 1.0, g, Int32(n))
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(k), Int32(m), 1.0, d, Int32(n), e, Int32(k), 1.0, c, Int32(k))
                })
            start += m
        }
    }

    /// Convenience for arrays: `states` holds rows × N values and `targets` rows × K values,
    /// both densely packed row-major.
    public mutating func add(states: [Float], targets: [Float], rows: Int) {
        precondition(states.count >= rows * n && targets.count >= rows * k, "arrays shorter than rows × N / rows × K")
        states.withUnsafeBufferPointer { sp in
            targets.withUnsafeBufferPointer { tp in
                add(states: sp, rows: rows, rowStride: n, targets: tp, targetStride: k)
            }
        }
    }

    /// Pools another segment's moments into this one (other trials, chunks or networks with the
    /// same N and K). The result equals the moments of the concatenated data.
    public mutating func add(_ other: SegmentMoments) {
        precondition(other.n == n && other.k == k, "pooling moments of different shapes (\(n), \(k)) and (\(other.n), \(other.k))")
        guard other.count > 0 else { return }
        merge(
            blockCount: other.count, blockMeanS: other.meanS, blockMeanY: other.meanY, blockScatterY: other.targetScatter,
            addBlockScatter: { g, c in
                other.scatterUpper.withUnsafeBufferPointer { op in for i in 0..<op.count { g[i] += op[i] } }
                other.crossScatter.withUnsafeBufferPointer { op in for i in 0..<op.count { c[i] += op[i] } }
            })
    }

    /// Chan et al. merge of a block (count m, means μ_b, ν_b, centred scatter added by the closure)
    /// into the running moments.
    private mutating func merge(
        blockCount m: Int, blockMeanS: [Double], blockMeanY: [Double], blockScatterY: [Double],
        addBlockScatter: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void
    ) {
        let n = self.n, k = self.k
        let na = Double(count), nb = Double(m), total = na + nb
        let deltaS = (0..<n).map { blockMeanS[$0] - meanS[$0] }
        let deltaY = (0..<k).map { blockMeanY[$0] - meanY[$0] }
        let f = na * nb / total
        scatterUpper.withUnsafeMutableBufferPointer { gp in
            crossScatter.withUnsafeMutableBufferPointer { cp in
                addBlockScatter(gp.baseAddress!, cp.baseAddress!)
                if f > 0 {
                    cblas_dsyr(CblasRowMajor, CblasUpper, Int32(n), f, deltaS, 1, gp.baseAddress!, Int32(n))
                    cblas_dger(CblasRowMajor, Int32(n), Int32(k), f, deltaS, 1, deltaY, 1, cp.baseAddress!, Int32(k))
                }
            }
        }
        for j in 0..<k { targetScatter[j] += blockScatterY[j] + f * deltaY[j] * deltaY[j] }
        let w = nb / total
        for j in 0..<n { meanS[j] += w * deltaS[j] }
        for j in 0..<k { meanY[j] += w * deltaY[j] }
        count += m
    }

    /// The moments of the features at `features` (increasing positions in 0..<N, at least one)
    /// alone: the rows and columns of G̃ and the rows of C̃ and s̄ they name, the targets as they
    /// are. Centring is per feature, so these are the moments a run that had recorded only those
    /// features would sum (up to the rounding of its sums' order).
    public func restricted(to features: [Int]) -> SegmentMoments {
        precondition(!features.isEmpty, "restricting moments to no feature")
        precondition(zip(features, features.dropFirst()).allSatisfy { $0 < $1 } && features.first! >= 0 && features.last! < n,
                     "feature positions must increase within 0..<\(n)")
        let m = features.count
        var out = SegmentMoments(n: m, k: k)
        out.count = count
        out.meanY = meanY
        out.targetScatter = targetScatter
        out.meanS = features.map { meanS[$0] }
        // Increasing positions keep the upper triangle upper (a < b ⇒ features[a] < features[b]).
        for (a, i) in features.enumerated() {
            for b in a..<m { out.scatterUpper[a * m + b] = scatterUpper[i * n + features[b]] }
            for j in 0..<k { out.crossScatter[a * k + j] = crossScatter[i * k + j] }
        }
        return out
    }

    // MARK: Centred moments

    /// G̃ = Σ (s − s̄)(s − s̄)ᵀ, full symmetric [N×N row-major].
    public var centeredGram: [Double] {
        var g = scatterUpper
        for i in 0..<n { for j in 0..<i { g[i * n + j] = g[j * n + i] } }
        return g
    }

    /// C̃ = Σ (s − s̄)(y − ȳ)ᵀ [N×K row-major].
    public var centeredCross: [Double] { crossScatter }

    /// Σ (y_k − ȳ_k)² per target [K].
    public var centeredTargetSumSquares: [Double] { targetScatter }

    /// Population variance of each target, Σ (y_k − ȳ_k)² / count [K] (NaN while empty).
    public var targetVariance: [Double] { targetScatter.map { $0 / Double(count) } }

    /// trace(G̃) = Σ_i Σ_t (s_i − s̄_i)².
    public var centeredGramTrace: Double {
        var t = 0.0
        for i in 0..<n { t += scatterUpper[i * n + i] }
        return t
    }

    // MARK: Raw sums (computed from the centred form)

    /// Σ s [N].
    public var sumS: [Double] { meanS.map { $0 * Double(count) } }
    /// Σ y [K].
    public var sumY: [Double] { meanY.map { $0 * Double(count) } }
    /// G = Σ s sᵀ [N×N row-major] = G̃ + n·s̄ s̄ᵀ.
    public var gram: [Double] {
        var g = centeredGram
        let c = Double(count)
        for i in 0..<n { for j in 0..<n { g[i * n + j] += c * meanS[i] * meanS[j] } }
        return g
    }
    /// C = Σ s yᵀ [N×K row-major] = C̃ + n·s̄ ȳᵀ.
    public var cross: [Double] {
        var out = crossScatter
        let c = Double(count)
        for i in 0..<n { for j in 0..<k { out[i * k + j] += c * meanS[i] * meanY[j] } }
        return out
    }
    /// Σ y_k² [K].
    public var sumYY: [Double] { (0..<k).map { targetScatter[$0] + Double(count) * meanY[$0] * meanY[$0] } }

    /// True when every stored number is finite.
    public var isFinite: Bool {
        meanS.allSatisfy(\.isFinite) && meanY.allSatisfy(\.isFinite) && scatterUpper.allSatisfy(\.isFinite)
            && crossScatter.allSatisfy(\.isFinite) && targetScatter.allSatisfy(\.isFinite)
    }
}
