import Foundation

/// Shape checks shared by the implementations.
public enum DenseShape {
    public static func fail(_ what: String, _ got: String, _ expected: String) -> WMError {
        .invalidParameter(name: what, value: got, expected: expected)
    }

    /// (M, N, K) of C = op(A)·op(B), or a thrown shape error.
    public static func gemm(transA: Bool, transB: Bool, _ a: DenseMatrix, _ b: DenseMatrix, _ c: DenseMatrix) throws -> (m: Int, n: Int, k: Int) {
        let (m, k) = transA ? (a.cols, a.rows) : (a.rows, a.cols)
        let (k2, n) = transB ? (b.cols, b.rows) : (b.rows, b.cols)
        guard k == k2, c.rows == m, c.cols == n else {
            throw fail("gemm shapes", "op(A) \(m)×\(k), op(B) \(k2)×\(n), C \(c.rows)×\(c.cols)",
                       "op(A) M×K, op(B) K×N, C M×N")
        }
        return (m, n, k)
    }

    public static func same(_ what: String, _ a: DenseMatrix, _ b: DenseMatrix) throws {
        guard a.rows == b.rows, a.cols == b.cols else {
            throw fail(what, "\(a.rows)×\(a.cols) vs \(b.rows)×\(b.cols)", "equal shapes")
        }
    }

    public static func count(_ what: String, _ m: DenseMatrix, _ n: Int) throws {
        guard m.count == n else { throw fail(what, "\(m.count) elements", "\(n) elements") }
    }

    public static func forward(_ x: DenseMatrix, _ w: DenseMatrix, _ bias: DenseMatrix, _ h: DenseMatrix?, _ z: DenseMatrix?) throws {
        guard x.cols == w.rows else { throw fail("denseForward shapes", "X \(x.rows)×\(x.cols), W \(w.rows)×\(w.cols)", "cols(X) = rows(W)") }
        try count("denseForward bias", bias, w.cols)
        guard h != nil || z != nil else { throw fail("denseForward outputs", "none", "h and/or z") }
        for o in [h, z].compactMap({ $0 }) where o.rows != x.rows || o.cols != w.cols {
            throw fail("denseForward output", "\(o.rows)×\(o.cols)", "\(x.rows)×\(w.cols)")
        }
    }

    public static func backward(_ dZn: DenseMatrix, _ w: DenseMatrix, _ h: DenseMatrix, _ dZ: DenseMatrix) throws {
        guard dZn.cols == w.cols, h.cols == w.rows, h.rows == dZn.rows else {
            throw fail("denseBackward shapes", "dZnext \(dZn.rows)×\(dZn.cols), W \(w.rows)×\(w.cols), H \(h.rows)×\(h.cols)",
                       "dZnext r×k, W h×k, H r×h")
        }
        try same("denseBackward dZ", h, dZ)
    }

    public static func gather(_ src: DenseMatrix, _ indices: [Int32], _ dst: DenseMatrix) throws {
        guard src.cols == dst.cols, indices.count == dst.rows else {
            throw fail("gatherRows shapes", "src \(src.rows)×\(src.cols), \(indices.count) indices, dst \(dst.rows)×\(dst.cols)",
                       "equal columns and one index per destination row")
        }
        for i in indices where i < 0 || Int(i) >= src.rows {
            throw fail("gatherRows index", "\(i)", "0..<\(src.rows)")
        }
    }

    public static func adam(_ p: DenseMatrix, _ g: DenseMatrix, _ m: DenseMatrix, _ v: DenseMatrix, _ s: AdamStep) throws {
        for (name, x) in [("gradients", g), ("m", m), ("v", v)] { try count("adamStep \(name)", x, p.count) }
        guard s.step >= 1, s.learningRate.isFinite, s.learningRate > 0 else {
            throw fail("adamStep", "step \(s.step), learning rate \(s.learningRate)", "step ≥ 1 and a positive learning rate")
        }
    }
}
