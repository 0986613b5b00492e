import Foundation

/// What an interrupted long run (SIGTERM from a SLURM time limit or `kill`, SIGINT from Ctrl-C)
/// says before it exits: which results are kept and how to resume. Rows are synced after every
/// batch, so everything up to the last finished batch is on disk; the batch in flight is lost.
final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var kept = 0
    private var total = 0
    private let file: String
    private var sources: [DispatchSourceSignal] = []

    /// Starts handling SIGTERM and SIGINT for a run writing to `file`.
    init(file: String) {
        self.file = file
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [self] in self.stop(sig) }
            s.resume()
            sources.append(s)
        }
    }

    /// Networks (or units) whose results are synced, of `total`.
    func update(kept: Int, total: Int) {
        lock.lock()
        self.kept = kept
        self.total = total
        lock.unlock()
    }

    private func stop(_ sig: Int32) -> Never {
        lock.lock()
        let k = kept, t = total
        lock.unlock()
        let name = sig == SIGTERM ? "SIGTERM (e.g. a SLURM time limit)" : "SIGINT"
        FileHandle.standardError.write(Data(("\ninterrupted by \(name): \(k) of \(t) kept in \(file); the batch in flight is lost; "
            + "rerun the same command to resume\n").utf8))
        exit(128 + sig)
    }
}
