/// How wmsim lays out Philox counters. Every random quantity is a pure function
/// of a key (a seed) and a counter `(c0, c1, c2, stream)`; `Kernels/common.cl`
/// holds the same numbers. Changing any of them changes every generated network.
///
/// | stream | key | counter (c0, c1, c2) | words used |
/// |---|---|---|---|
/// | recurrentStructure | network seed | (row i, block d, 0) | 2 gaps per block (53-bit uniforms) |
/// | recurrentValue | network seed | (row i, column j, 0) | normal from words 0,1 |
/// | inputWeight | network seed | (row i, channel k, 0) | word 0 Bernoulli, words 2,3 normal |
/// | input | input seed | (t, trial b, channel block) | uniform: 4 channels a block; normal: 2 |
/// | onehotItem | input seed | (item index, trial b, 0) | word 0 |
/// | initialState | network seed | (neuron i, trial b, 0) | word 0 |
/// | noise | network seed | (t, neuron i, trial b) | normal from words 0,1 |
/// | taskOrder | task seed | (position i, 0, 0) | 53-bit uniform from words 0,1 (shuffle) |
/// | taskStimulus | task seed | (trial, step, 0) | normals from words 0,1 and 2,3, or a sample index from words 0,1 |
/// | feedbackStructure | network seed | (row i, column j, 0) | 53-bit uniform from words 0,1 (selection sampling) |
/// | feedbackWeight | network seed | (neuron i, column k, matrix 0 wi / 1 wf / 2 wfd / 3 x0) | normal from words 0,1 |
/// | analysisStart | analysis seed | (start s, neuron i, 0) | normal from words 0,1 |
/// | readoutSubset | 0 (fixed) | (neuron i, 0, 0) | 64-bit key from words 0,1 (the n smallest keys: nested subsets) |
public enum RandomStream: UInt32, Sendable {
    case recurrentStructure = 1
    case recurrentValue = 2
    case inputWeight = 3
    case input = 4
    case onehotItem = 5
    case initialState = 6
    case noise = 7
    case taskOrder = 8
    case taskStimulus = 9
    case feedbackStructure = 10
    case feedbackWeight = 11
    /// Perturbations of the starts of a trained network's analysis (classification, fixed points).
    case analysisStart = 12
    /// The neurons a capacity readout reads (`--readout-neurons`; host only).
    case readoutSubset = 13
}
