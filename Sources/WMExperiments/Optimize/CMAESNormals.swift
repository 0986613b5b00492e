import Foundation
import WMCore

/// Standard normal vectors of CMA-ES from the counter-based `Philox4x32` generator.
///
/// Key = `CMAESConfig.seed`; counter = (generation, candidate, coordinate pair, `streamTag`). One
/// Philox block gives the normals of coordinates 2p and 2p + 1 by double-precision Box–Muller
/// (`RandomBits.unitDouble` from words 0,1 and 2,3; cosine and sine branch). Candidate k of
/// generation g is therefore a pure function of the seed and (g, k): independent of how the
/// candidates are evaluated or batched, and exactly reproducible after a snapshot/restore.
struct CMAESNormals: Sendable {
    /// Stream word "CMAE", distinct from the network streams (`RandomStream`, 1…7).
    static let streamTag: UInt32 = 0x434D_4145

    let rng: Philox4x32

    init(seed: UInt64) { rng = Philox4x32(seed: seed) }

    /// z ~ N(0, I_n) for candidate `candidate` of generation `generation`.
    func vector(generation: Int, candidate: Int, n: Int) -> [Double] {
        var z = [Double](repeating: 0, count: n)
        let g = UInt32(truncatingIfNeeded: generation)
        let k = UInt32(truncatingIfNeeded: candidate)
        for p in 0..<((n + 1) / 2) {
            let b = rng.block(g, k, UInt32(p), Self.streamTag)
            let u1 = RandomBits.unitDouble(b.0, b.1)  // in (0, 1): log is finite
            let u2 = RandomBits.unitDouble(b.2, b.3)
            let r = (-2 * Foundation.log(u1)).squareRoot()
            let a = 2 * Double.pi * u2
            z[2 * p] = r * Foundation.cos(a)
            if 2 * p + 1 < n { z[2 * p + 1] = r * Foundation.sin(a) }
        }
        return z
    }
}
