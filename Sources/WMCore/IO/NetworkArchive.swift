import Foundation

/// Saves and loads generated networks as NPY arrays, so a run can be reproduced in NumPy/SciPy:
///
///     network.json                    specs, N, nIn, layout
///     network-000/J_indptr.npy        int32 [N+1]   scipy.sparse.csr_matrix((data, indices, indptr))
///     network-000/J_indices.npy       int32 [nnz]
///     network-000/J_data.npy          float32 [nnz] effective weights (spectral-radius gain folded in)
///     network-000/J_dense.npy         float32 [N, N] (only with dense = true)
///     network-000/Jin.npy             float32 [N, nIn]
public enum NetworkArchive {
    struct Manifest: Codable {
        var format = "wmsim-network"
        var version = 1
        var wmsim = WMSimVersion.string
        var n: Int
        var nIn: Int
        var networks: [NetworkSpec]
        var layout = "J in CSR (J_indptr, J_indices, J_data; row i holds the weights onto neuron i); Jin [N, nIn]; effective weights"
    }

    static func folder(_ root: URL, _ m: Int) -> URL { root.appendingPathComponent(String(format: "network-%03d", m)) }

    /// Writes `networks` under `dir` (created if needed).
    public static func save(_ networks: [Network], to dir: URL, dense: Bool = false) throws {
        guard let first = networks.first else { throw WMError.invalidParameter(name: "networks", value: "[]", expected: "at least one network") }
        let fm = FileManager.default
        do { try fm.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw WMError.file(path: dir.path, reason: "cannot create folder: \(error.localizedDescription)")
        }
        for (m, net) in networks.enumerated() {
            let sub = folder(dir, m)
            try fm.createDirectory(at: sub, withIntermediateDirectories: true)
            let j = net.effectiveRecurrent
            try NPY.write(j.rowPtr, shape: [j.rows + 1], to: sub.appendingPathComponent("J_indptr.npy"))
            try NPY.write(j.colIndex, shape: [j.nnz], to: sub.appendingPathComponent("J_indices.npy"))
            try NPY.write(j.values, shape: [j.nnz], to: sub.appendingPathComponent("J_data.npy"))
            if dense { try NPY.write(j.dense(), shape: [j.rows, j.cols], to: sub.appendingPathComponent("J_dense.npy")) }
            try NPY.write(net.input, shape: [j.rows, net.spec.nIn], to: sub.appendingPathComponent("Jin.npy"))
        }
        let manifest = Manifest(n: first.spec.n, nIn: first.spec.nIn, networks: networks.map(\.spec))
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(manifest).write(to: dir.appendingPathComponent("network.json"), options: .atomic)
    }

    /// Reads networks saved by `save` (gain 1: the stored weights are effective). Checks shapes
    /// and CSR invariants and names the offending file.
    public static func load(from dir: URL) throws -> [Network] {
        let mURL = dir.appendingPathComponent("network.json")
        guard let data = FileManager.default.contents(atPath: mURL.path) else {
            throw WMError.file(path: mURL.path, reason: "no network.json here (save one with `wmsim simulate --save-network`)")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw WMError.file(path: mURL.path, reason: "not a wmsim network manifest: \(error)")
        }
        let n = manifest.n, nIn = manifest.nIn
        var nets: [Network] = []
        for (m, var spec) in manifest.networks.enumerated() {
            spec.n = n
            spec.nIn = nIn
            let sub = folder(dir, m)
            let ptr = try NPY.read(sub.appendingPathComponent("J_indptr.npy")).int32s()
            let idx = try NPY.read(sub.appendingPathComponent("J_indices.npy")).int32s()
            let val = try NPY.read(sub.appendingPathComponent("J_data.npy")).floats()
            let csr = CSRMatrix(rows: n, cols: n, rowPtr: ptr, colIndex: idx, values: val)
            try csr.validate(name: sub.appendingPathComponent("J_*.npy").path)
            let jin = try NPY.read(sub.appendingPathComponent("Jin.npy"))
            guard jin.shape == [n, nIn] else {
                throw WMError.file(path: sub.appendingPathComponent("Jin.npy").path, reason: "shape \(jin.shape), expected [\(n), \(nIn)]")
            }
            let w = try jin.floats()
            guard w.allSatisfy(\.isFinite) else { throw WMError.file(path: sub.appendingPathComponent("Jin.npy").path, reason: "non-finite weights") }
            nets.append(Network(spec: spec, recurrent: csr, input: w, recurrentGain: 1))
        }
        guard !nets.isEmpty else { throw WMError.file(path: mURL.path, reason: "lists no networks") }
        return nets
    }
}
