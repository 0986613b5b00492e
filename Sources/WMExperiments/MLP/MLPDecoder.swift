import Foundation
import WMCore

/// Hidden-layer nonlinearity of the MLP decoder.
public enum MLPActivation: String, Codable, Sendable, Hashable, CaseIterable {
    case tanh, relu

    var dense: DenseActivation { self == .tanh ? .tanh : .relu }
}

/// Training settings of the MLP decoder (two hidden layers, Adam, minibatches, early stopping).
///
/// Every key is optional when decoding (missing keys take the defaults below).
public struct MLPConfig: Codable, Sendable, Hashable {
    /// Width of the first hidden layer.
    public var hidden1: Int = 64
    /// Width of the second hidden layer.
    public var hidden2: Int = 64
    public var activation: MLPActivation = .tanh
    /// Adam step size.
    public var learningRate: Double = 1e-3
    /// Adam moment decay rates and ε (Kingma & Ba defaults).
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8
    /// Most passes over the training rows.
    public var epochs: Int = 100
    public var batchSize: Int = 64
    /// Stop after this many epochs without a lower validation loss (0: never stop early).
    public var patience: Int = 8
    /// L2 penalty coefficient added to the weight gradients (not the biases), as in PyTorch's Adam.
    public var weightDecay: Double = 0
    /// Keys the initial weights and the minibatch order.
    public var seed: UInt64 = 1
    /// Z-score every input feature with the training rows' mean and standard deviation. Off by
    /// default: on random networks many neurons barely move (s.d. 0.006 against 0.48 on the
    /// template network) and z-scoring gives their noise the weight of the informative ones;
    /// measured (README, `wmsim capacity`), it lowered the MLP's MC from 1.12 to 0.74 there.
    public var standardize: Bool = false

    public init(hidden1: Int = 64, hidden2: Int = 64, activation: MLPActivation = .tanh, learningRate: Double = 1e-3,
                epochs: Int = 100, batchSize: Int = 64, patience: Int = 8, weightDecay: Double = 0, seed: UInt64 = 1,
                standardize: Bool = false) {
        self.hidden1 = hidden1; self.hidden2 = hidden2; self.activation = activation
        self.learningRate = learningRate; self.epochs = epochs; self.batchSize = batchSize
        self.patience = patience; self.weightDecay = weightDecay; self.seed = seed; self.standardize = standardize
    }

    enum CodingKeys: String, CodingKey {
        case hidden1, hidden2, activation, learningRate, beta1, beta2, epsilon, epochs, batchSize, patience,
             weightDecay, seed, standardize
    }

    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&hidden1, .hidden1)
        try c.fill(&hidden2, .hidden2)
        try c.fill(&activation, .activation)
        try c.fill(&learningRate, .learningRate)
        try c.fill(&beta1, .beta1)
        try c.fill(&beta2, .beta2)
        try c.fill(&epsilon, .epsilon)
        try c.fill(&epochs, .epochs)
        try c.fill(&batchSize, .batchSize)
        try c.fill(&patience, .patience)
        try c.fill(&weightDecay, .weightDecay)
        try c.fill(&seed, .seed)
        try c.fill(&standardize, .standardize)
    }

    /// Throws `WMError.invalidParameter` for an unusable setting.
    public func validate() throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> WMError {
            .invalidParameter(name: "mlp.\(name)", value: "\(value)", expected: expected)
        }
        if hidden1 < 1 { throw bad("hidden1", hidden1, "≥ 1") }
        if hidden2 < 1 { throw bad("hidden2", hidden2, "≥ 1") }
        if !(learningRate.isFinite && learningRate > 0) { throw bad("learningRate", learningRate, "a positive number") }
        if !(beta1 >= 0 && beta1 < 1) { throw bad("beta1", beta1, "in [0, 1)") }
        if !(beta2 >= 0 && beta2 < 1) { throw bad("beta2", beta2, "in [0, 1)") }
        if !(epsilon.isFinite && epsilon > 0) { throw bad("epsilon", epsilon, "a positive number") }
        if epochs < 1 { throw bad("epochs", epochs, "≥ 1") }
        if batchSize < 1 { throw bad("batchSize", batchSize, "≥ 1") }
        if patience < 0 { throw bad("patience", patience, "≥ 0 (0 disables early stopping)") }
        if !(weightDecay.isFinite && weightDecay >= 0) { throw bad("weightDecay", weightDecay, "≥ 0") }
    }
}

/// A trained decoder: y = W3ᵀ·f(W2ᵀ·f(W1ᵀ·x̂ + b1) + b2) + b3, with x̂ the standardized input.
/// Weight matrices are row-major `[fan_in × fan_out]` (row i holds the weights leaving unit i).
public struct MLPModel: Codable, Sendable, Hashable {
    public var n: Int
    public var k: Int
    public var hidden1: Int
    public var hidden2: Int
    public var activation: MLPActivation
    public var w1: [Float]  // n × hidden1
    public var b1: [Float]
    public var w2: [Float]  // hidden1 × hidden2
    public var b2: [Float]
    public var w3: [Float]  // hidden2 × k
    public var b3: [Float]
    /// Feature means and reciprocal standard deviations (x̂ = (x − mean)·scale); empty when
    /// inputs are not standardized.
    public var inputMean: [Float]
    public var inputScale: [Float]

    public var parameterCount: Int { w1.count + b1.count + w2.count + b2.count + w3.count + b3.count }

    /// x̂ for row-major rows of n features.
    public func standardized(_ x: [Float]) -> [Float] {
        guard !inputMean.isEmpty else { return x }
        var out = x
        let n = self.n
        inputMean.withUnsafeBufferPointer { mu in
            inputScale.withUnsafeBufferPointer { sc in
                out.withUnsafeMutableBufferPointer { o in
                    var i = 0
                    while i < o.count {
                        for j in 0..<n { o[i + j] = (o[i + j] - mu[j]) * sc[j] }
                        i += n
                    }
                }
            }
        }
        return out
    }

    /// The parameters in the trainer's flat layout [W1, W2, W3, b1, b2, b3].
    var packed: [Float] { w1 + w2 + w3 + b1 + b2 + b3 }
}

/// What happened during training. Epochs are numbered from 1: `trainLoss[e − 1]` is epoch e.
public struct MLPHistory: Codable, Sendable, Hashable {
    /// Mean squared error over the training rows of each epoch, accumulated over its minibatches
    /// (each with the weights before that minibatch's update), mean over rows and outputs.
    public var trainLoss: [Double] = []
    /// Mean squared error on the validation rows after each epoch (mean over rows and outputs).
    public var validationLoss: [Double] = []
    /// The epoch (1-based) whose weights were returned: the lowest validation loss.
    public var bestEpoch: Int = 0
    public var bestValidationLoss: Double = .infinity
    /// True when training ended before `epochs` because of `patience`.
    public var stoppedEarly: Bool = false
    /// Adam steps taken.
    public var steps: Int = 0
    /// Where it ran (`DenseOps.label`).
    public var device: String = ""

    public var epochsRun: Int { trainLoss.count }
}

/// The two-hidden-layer perceptron decoder of the memory-capacity measurement: maps a network
/// state s ∈ Rⁿ to k outputs (e.g. u(t − lag) for k lags).
///
/// Recipe (same on every `DenseOps`, so CPU and OpenCL train the same model up to rounding):
/// - inputs z-scored with the training rows' mean and population s.d. (s.d. 0 → scale 1);
/// - Glorot-uniform weights: w = (2u − 1)·√(6/(fan_in + fan_out)), u = `RandomBits.unitFloat` of
///   word 0 of Philox(seed) at counter (layer, row, col, 0x4D4C50), layer = 0, 1, 2; biases 0;
/// - each epoch visits the training rows in a Fisher–Yates permutation drawn from Philox(seed)
///   at counter (epoch, i, 0, 0x4D4C53); minibatches of `batchSize` rows (the last may be smaller);
/// - loss: MSE over rows and outputs; Adam with bias correction, L2 weight decay on weights;
/// - after each epoch, the validation MSE; the weights with the lowest one are kept and returned;
///   training stops after `patience` epochs without improvement;
/// - a non-finite loss, or one above 10⁸ × the mean square of the targets (a run-away), throws
///   `WMError.nonFinite`.
public enum MLPDecoder {
    static let initTag: UInt32 = 0x4D4C50  // "MLP"
    static let shuffleTag: UInt32 = 0x4D4C53  // "MLS"
    /// Rows per forward pass when evaluating or predicting.
    static let evalChunk = 4096
    /// A loss this many times the targets' mean square counts as divergence.
    static let runawayFactor = 1e8

    /// Glorot-uniform initial parameters, packed [W1, W2, W3, b1, b2, b3].
    public static func initialParameters(n: Int, k: Int, config: MLPConfig) -> [Float] {
        let rng = Philox4x32(seed: config.seed)
        var out: [Float] = []
        let shapes = [(n, config.hidden1), (config.hidden1, config.hidden2), (config.hidden2, k)]
        out.reserveCapacity(shapes.reduce(0) { $0 + $1.0 * $1.1 + $1.1 })
        for (layer, (fanIn, fanOut)) in shapes.enumerated() {
            let limit = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
            for r in 0..<fanIn {
                for c in 0..<fanOut {
                    let w = rng.block(UInt32(layer), UInt32(truncatingIfNeeded: r), UInt32(truncatingIfNeeded: c), initTag).0
                    out.append((2 * RandomBits.unitFloat(w) - 1) * limit)
                }
            }
        }
        out.append(contentsOf: [Float](repeating: 0, count: config.hidden1 + config.hidden2 + k))
        return out
    }

    /// The row order of epoch `epoch` (1-based): a Fisher–Yates shuffle keyed by Philox.
    public static func permutation(rows: Int, epoch: Int, seed: UInt64) -> [Int32] {
        let rng = Philox4x32(seed: seed)
        var p = (0..<rows).map { Int32($0) }
        var i = rows - 1
        while i > 0 {
            let w = rng.block(UInt32(truncatingIfNeeded: epoch), UInt32(truncatingIfNeeded: i), 0, shuffleTag).0
            let j = Int((UInt64(w) &* UInt64(i + 1)) >> 32)  // uniform in 0...i (bias < 2⁻³²·rows)
            p.swapAt(i, j)
            i -= 1
        }
        return p
    }

    /// Feature means and reciprocal s.d. over `rows` rows of n features (double accumulation).
    static func standardization(_ x: [Float], rows: Int, n: Int) -> (mean: [Float], scale: [Float]) {
        var sum = [Double](repeating: 0, count: n), sq = [Double](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xp in
            for r in 0..<rows {
                let row = xp.baseAddress! + r * n
                for j in 0..<n { sum[j] += Double(row[j]) }
            }
            for j in 0..<n { sum[j] /= Double(rows) }
            for r in 0..<rows {
                let row = xp.baseAddress! + r * n
                for j in 0..<n { let d = Double(row[j]) - sum[j]; sq[j] += d * d }
            }
        }
        let mean = sum.map { Float($0) }
        let scale = sq.map { s -> Float in
            let sd = (s / Double(rows)).squareRoot()
            return sd > 1e-12 && sd.isFinite ? Float(1 / sd) : 1
        }
        return (mean, scale)
    }

    /// Device-resident parameters and their views.
    struct Layers {
        let packed: DenseMatrix
        let w1, w2, w3, b1, b2, b3: DenseMatrix
        let weightCount: Int

        init(_ packed: DenseMatrix, n: Int, h1: Int, h2: Int, k: Int) {
            self.packed = packed
            var o = 0
            func take(_ r: Int, _ c: Int) -> DenseMatrix {
                defer { o += r * c }
                return packed.view(start: o, rows: r, cols: c)
            }
            w1 = take(n, h1); w2 = take(h1, h2); w3 = take(h2, k)
            weightCount = o
            b1 = take(1, h1); b2 = take(1, h2); b3 = take(1, k)
        }
    }

    /// Forward pass for `x` (r × n) into the given activation buffers (each with ≥ r rows).
    static func forward(_ x: DenseMatrix, _ p: Layers, act: DenseActivation, h1: DenseMatrix, h2: DenseMatrix,
                        y: DenseMatrix, ops: any DenseOps) throws {
        let r = x.rows
        try ops.denseForward(x, p.w1, bias: p.b1, activation: act, h: h1.rows(0, r), z: nil)
        try ops.denseForward(h1.rows(0, r), p.w2, bias: p.b2, activation: act, h: h2.rows(0, r), z: nil)
        try ops.denseForward(h2.rows(0, r), p.w3, bias: p.b3, activation: .identity, h: y.rows(0, r), z: nil)
    }

    static func checkData(_ x: [Float], _ y: [Float]?, n: Int, k: Int, what: String) throws -> Int {
        guard n >= 1 else { throw WMError.invalidParameter(name: "n", value: "\(n)", expected: "≥ 1 features") }
        guard k >= 1 else { throw WMError.invalidParameter(name: "k", value: "\(k)", expected: "≥ 1 outputs") }
        guard x.count % n == 0 else {
            throw WMError.invalidParameter(name: "\(what)X", value: "\(x.count) values", expected: "a multiple of n = \(n)")
        }
        let rows = x.count / n
        if let y, y.count != rows * k {
            throw WMError.invalidParameter(name: "\(what)Y", value: "\(y.count) values", expected: "\(rows) rows × k = \(k) = \(rows * k)")
        }
        if let i = x.firstIndex(where: { !$0.isFinite }) {
            throw WMError.invalidParameter(name: "\(what)X", value: "\(x[i]) at row \(i / n), feature \(i % n)", expected: "finite values")
        }
        if let y, let i = y.firstIndex(where: { !$0.isFinite }) {
            throw WMError.invalidParameter(name: "\(what)Y", value: "\(y[i]) at row \(i / k), output \(i % k)", expected: "finite values")
        }
        return rows
    }

    /// Trains the decoder on (trainX, trainY) with early stopping on (valX, valY).
    ///
    /// - Parameters:
    ///   - trainX, valX: row-major rows of `n` features; trainY, valY: rows of `k` targets.
    ///   - ops: where to compute (`CPUDenseOps()` or a backend's `makeDenseOps()`).
    ///   - progress: called after every epoch with (epoch (1-based), train loss, validation loss).
    /// - Returns: the best-validation model and the history.
    /// - Throws: `WMError.invalidParameter` for bad sizes, settings or non-finite data;
    ///   `WMError.nonFinite` when the loss diverges; device errors from `ops`.
    public static func train(trainX: [Float], trainY: [Float], valX: [Float], valY: [Float], n: Int, k: Int,
                             config: MLPConfig, ops: any DenseOps,
                             progress: ((Int, Double, Double) -> Void)? = nil) throws -> (MLPModel, MLPHistory) {
        try config.validate()
        let rows = try checkData(trainX, trainY, n: n, k: k, what: "train")
        let valRows = try checkData(valX, valY, n: n, k: k, what: "val")
        guard rows >= 1 else { throw WMError.invalidParameter(name: "trainX", value: "0 rows", expected: "at least one training row") }
        guard valRows >= 1 else {
            throw WMError.invalidParameter(name: "valX", value: "0 rows", expected: "at least one validation row (early stopping needs one)")
        }
        let h1 = config.hidden1, h2 = config.hidden2, act = config.activation.dense
        let bs = min(config.batchSize, rows)

        // Host preprocessing.
        var mean: [Float] = [], scale: [Float] = []
        if config.standardize { (mean, scale) = standardization(trainX, rows: rows, n: n) }
        func prep(_ x: [Float]) -> [Float] {
            MLPModel(n: n, k: k, hidden1: h1, hidden2: h2, activation: config.activation, w1: [], b1: [], w2: [], b2: [],
                     w3: [], b3: [], inputMean: mean, inputScale: scale).standardized(x)
        }
        let targetMeanSquare = max(trainY.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(trainY.count), 1e-12)

        // Device state.
        let xTrain = try ops.upload(prep(trainX), rows: rows, cols: n)
        let yTrain = try ops.upload(trainY, rows: rows, cols: k)
        let xPerm = try ops.allocate(rows: rows, cols: n)
        let yPerm = try ops.allocate(rows: rows, cols: k)
        let xVal = try ops.upload(prep(valX), rows: valRows, cols: n)
        let yVal = try ops.upload(valY, rows: valRows, cols: k)
        let initial = initialParameters(n: n, k: k, config: config)
        let params = Layers(try ops.upload(initial, rows: 1, cols: initial.count), n: n, h1: h1, h2: h2, k: k)
        let grads = Layers(try ops.allocate(rows: 1, cols: initial.count), n: n, h1: h1, h2: h2, k: k)
        let adamM = try ops.allocate(rows: 1, cols: initial.count)
        let adamV = try ops.allocate(rows: 1, cols: initial.count)
        let bH1 = try ops.allocate(rows: bs, cols: h1), bH2 = try ops.allocate(rows: bs, cols: h2)
        let bY = try ops.allocate(rows: bs, cols: k), dY = try ops.allocate(rows: bs, cols: k)
        let dZ2 = try ops.allocate(rows: bs, cols: h2), dZ1 = try ops.allocate(rows: bs, cols: h1)
        let sqErr = try ops.allocate(rows: rows, cols: k)
        let er = min(valRows, evalChunk)
        let eH1 = try ops.allocate(rows: er, cols: h1), eH2 = try ops.allocate(rows: er, cols: h2)
        let eY = try ops.allocate(rows: er, cols: k)

        var history = MLPHistory()
        history.device = ops.label
        var best = initial
        var sinceBest = 0
        var step = 0
        var adam = AdamStep(learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2,
                            epsilon: config.epsilon, weightDecay: config.weightDecay, decayCount: params.weightCount)

        for epoch in 1...config.epochs {
            let perm = permutation(rows: rows, epoch: epoch, seed: config.seed)
            try ops.gatherRows(xTrain, indices: perm, into: xPerm)
            try ops.gatherRows(yTrain, indices: perm, into: yPerm)
            var start = 0
            while start < rows {
                let r = min(bs, rows - start)
                let xb = xPerm.rows(start, r), yb = yPerm.rows(start, r)
                let a1 = bH1.rows(0, r), a2 = bH2.rows(0, r), out = bY.rows(0, r)
                let g3 = dY.rows(0, r), g2 = dZ2.rows(0, r), g1 = dZ1.rows(0, r)
                try forward(xb, params, act: act, h1: a1, h2: a2, y: out, ops: ops)
                try ops.mseGradient(prediction: out, target: yb, scale: Float(2.0 / Double(r * k)), gradient: g3,
                                    squaredError: sqErr.rows(start, r))
                try ops.gemm(transA: true, transB: false, alpha: 1, a2, g3, beta: 0, grads.w3)
                try ops.columnSums(g3, into: grads.b3)
                try ops.denseBackward(g3, params.w3, activation: act, h: a2, dZ: g2)
                try ops.gemm(transA: true, transB: false, alpha: 1, a1, g2, beta: 0, grads.w2)
                try ops.columnSums(g2, into: grads.b2)
                try ops.denseBackward(g2, params.w2, activation: act, h: a1, dZ: g1)
                try ops.gemm(transA: true, transB: false, alpha: 1, xb, g1, beta: 0, grads.w1)
                try ops.columnSums(g1, into: grads.b1)
                step += 1
                adam.step = step
                try ops.adamStep(parameters: params.packed, gradients: grads.packed, m: adamM, v: adamV, adam)
                start += r
            }
            let trainLoss = try ops.sumOfSquares(sqErr, minus: nil) / Double(rows * k)

            var valSum = 0.0
            var vs = 0
            while vs < valRows {
                let r = min(er, valRows - vs)
                try forward(xVal.rows(vs, r), params, act: act, h1: eH1, h2: eH2, y: eY, ops: ops)
                valSum += try ops.sumOfSquares(eY.rows(0, r), minus: yVal.rows(vs, r))
                vs += r
            }
            let valLoss = valSum / Double(valRows * k)

            history.trainLoss.append(trainLoss)
            history.validationLoss.append(valLoss)
            history.steps = step
            let limit = runawayFactor * targetMeanSquare
            guard trainLoss.isFinite, valLoss.isFinite, trainLoss <= limit, valLoss <= limit else {
                throw WMError.nonFinite(
                    step: epoch, network: 0,
                    detail: "MLP loss diverged at epoch \(epoch) (train \(trainLoss), validation \(valLoss), "
                        + "targets' mean square \(targetMeanSquare)); lower the learning rate (now \(config.learningRate))")
            }
            progress?(epoch, trainLoss, valLoss)
            if valLoss < history.bestValidationLoss {
                history.bestValidationLoss = valLoss
                history.bestEpoch = epoch
                best = try ops.download(params.packed)
                sinceBest = 0
            } else {
                sinceBest += 1
                if config.patience > 0 && sinceBest >= config.patience && epoch < config.epochs {
                    history.stoppedEarly = true
                    break
                }
            }
        }
        try ops.finish()
        return (unpack(best, n: n, k: k, config: config, mean: mean, scale: scale), history)
    }

    static func unpack(_ p: [Float], n: Int, k: Int, config: MLPConfig, mean: [Float], scale: [Float]) -> MLPModel {
        let h1 = config.hidden1, h2 = config.hidden2
        var o = 0
        func take(_ c: Int) -> [Float] { defer { o += c }; return Array(p[o..<(o + c)]) }
        let w1 = take(n * h1), w2 = take(h1 * h2), w3 = take(h2 * k)
        let b1 = take(h1), b2 = take(h2), b3 = take(k)
        return MLPModel(n: n, k: k, hidden1: h1, hidden2: h2, activation: config.activation, w1: w1, b1: b1, w2: w2,
                        b2: b2, w3: w3, b3: b3, inputMean: mean, inputScale: scale)
    }

    /// The model's outputs for `rows` rows of `x` (row-major, n features each): rows × k values.
    /// - Throws: `WMError.invalidParameter` for a size mismatch or non-finite input; device errors.
    public static func predict(_ model: MLPModel, x: [Float], rows: Int, ops: any DenseOps) throws -> [Float] {
        let counted = try checkData(x, nil, n: model.n, k: model.k, what: "predict")
        guard counted == rows else {
            throw WMError.invalidParameter(name: "x", value: "\(x.count) values", expected: "rows × n = \(rows) × \(model.n)")
        }
        guard rows > 0 else { return [] }
        let h1 = model.hidden1, h2 = model.hidden2, k = model.k
        let packed = model.packed
        let params = Layers(try ops.upload(packed, rows: 1, cols: packed.count), n: model.n, h1: h1, h2: h2, k: k)
        let xs = try ops.upload(model.standardized(x), rows: rows, cols: model.n)
        let er = min(rows, evalChunk)
        let eH1 = try ops.allocate(rows: er, cols: h1), eH2 = try ops.allocate(rows: er, cols: h2)
        let y = try ops.allocate(rows: rows, cols: k)
        var s = 0
        while s < rows {
            let r = min(er, rows - s)
            try forward(xs.rows(s, r), params, act: model.activation.dense, h1: eH1, h2: eH2, y: y.rows(s, r), ops: ops)
            s += r
        }
        return try ops.download(y)
    }
}
