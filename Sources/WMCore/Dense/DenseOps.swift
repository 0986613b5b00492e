import Foundation

/// The few dense-matrix operations the MLP trainer needs, on host or device memory.
///
/// All matrices are row-major float32 `DenseMatrix` views made by the same ops object.
/// Operations are enqueued in order; `download` and the reductions wait for earlier work.
/// Shapes are checked: a mismatch throws `WMError.invalidParameter`.
public protocol DenseOps: AnyObject {
    /// "cpu (OpenBLAS)" or "opencl: <device>".
    var label: String { get }

    /// A zero-filled `rows × cols` matrix.
    func allocate(rows: Int, cols: Int) throws -> DenseMatrix
    /// A matrix holding `values` (row-major, `rows·cols` of them).
    func upload(_ values: [Float], rows: Int, cols: Int) throws -> DenseMatrix
    /// Overwrites `m` with `values` (`m.count` of them).
    func write(_ values: [Float], into m: DenseMatrix) throws
    /// The contents of `m`, row-major.
    func download(_ m: DenseMatrix) throws -> [Float]
    /// dst ← src (same element count).
    func copy(_ src: DenseMatrix, into dst: DenseMatrix) throws

    /// C ← α·op(A)·op(B) + β·C, op(X) = Xᵀ when the flag is set (C is not read when β = 0).
    func gemm(transA: Bool, transB: Bool, alpha: Float, _ a: DenseMatrix, _ b: DenseMatrix,
              beta: Float, _ c: DenseMatrix) throws
    /// Z = X·W + bias (bias: 1 × cols(W)), H = act(Z); writes `h` and/or `z` (at least one).
    func denseForward(_ x: DenseMatrix, _ w: DenseMatrix, bias: DenseMatrix, activation: DenseActivation,
                      h: DenseMatrix?, z: DenseMatrix?) throws
    /// dZ = (dZnext · Wᵀ) ⊙ act'(H): the gradient at the pre-activation of the layer whose output
    /// is H, from the gradient at the next layer's pre-activation and that layer's weights W.
    func denseBackward(_ dZnext: DenseMatrix, _ w: DenseMatrix, activation: DenseActivation,
                       h: DenseMatrix, dZ: DenseMatrix) throws
    /// Y = act(X), element-wise (Y may be X).
    func activation(_ x: DenseMatrix, _ activation: DenseActivation, into y: DenseMatrix) throws
    /// dZ = dH ⊙ act'(H), element-wise.
    func activationBackward(dH: DenseMatrix, h: DenseMatrix, activation: DenseActivation, dZ: DenseMatrix) throws
    /// out[j] = Σ_i X[i][j], summed in row order (bias gradients); `out` holds cols(X) elements.
    func columnSums(_ x: DenseMatrix, into out: DenseMatrix) throws
    /// dst[r] = src[indices[r]] for every row r of dst.
    func gatherRows(_ src: DenseMatrix, indices: [Int32], into dst: DenseMatrix) throws
    /// d = P − T; G = scale·d; S = d² when `squaredError` is given.
    func mseGradient(prediction: DenseMatrix, target: DenseMatrix, scale: Float, gradient: DenseMatrix,
                     squaredError: DenseMatrix?) throws
    /// One Adam step on flat vectors of equal length (see `AdamStep`).
    func adamStep(parameters: DenseMatrix, gradients: DenseMatrix, m: DenseMatrix, v: DenseMatrix,
                  _ step: AdamStep) throws
    /// Σ (a − b)² (or Σ a² without b), accumulated into a double on the host.
    func sumOfSquares(_ a: DenseMatrix, minus b: DenseMatrix?) throws -> Double
    /// Waits for all enqueued work.
    func finish() throws

    /// Into how many parts a problem of `rows` independent rows is best split to run side by side
    /// (`sideBySide`): 1 for a device's queue, which runs one launch over all rows best.
    func sideBySideParts(rows: Int) -> Int
    /// `body(i, ops)` for the parts 0..<`parts` of one problem, results in part order: side by
    /// side where this ops gains from it, one after the other on `self` otherwise. A part's ops
    /// accepts the matrices made by `self`; each part touches only its own. The first error, by
    /// part, is rethrown.
    func sideBySide<T: Sendable>(_ parts: Int, _ body: @Sendable (Int, any DenseOps) throws -> T) throws -> [T]
}

extension DenseOps {
    public func sideBySideParts(rows: Int) -> Int { 1 }

    public func sideBySide<T: Sendable>(_ parts: Int, _ body: @Sendable (Int, any DenseOps) throws -> T) throws -> [T] {
        try (0..<Swift.max(0, parts)).map { try body($0, self) }
    }
}
