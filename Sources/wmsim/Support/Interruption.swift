import Foundation

/// What an interrupted long run does and says before it exits. Rows are synced after every
/// batch, so everything up to the last finished batch is on disk.
///
/// - SIGTERM (a SLURM time limit, `scancel`, `kill`): the batch in flight is allowed to finish
///   and sync for up to `WMSIM_TERM_GRACE` seconds (default 25, under SLURM's default 30 s
///   between SIGTERM and SIGKILL; the generated job scripts set 100, as they ask for the signal
///   120 s before the time limit), then the run exits 143 saying what is kept.
/// - SIGINT (Ctrl-C), or a second signal: stops at once; the batch in flight is lost.
final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var kept = 0
    private var total = 0
    private var stopping: Int32? = nil
    /// Units kept when the signal came: the run stops once more are (its batch synced).
    private var keptAtSignal = 0
    private let file: String
    private var sources: [DispatchSourceSignal] = []

    /// Seconds a SIGTERM'd run may spend finishing its batch.
    static var grace: Double {
        ProcessInfo.processInfo.environment["WMSIM_TERM_GRACE"].flatMap { Double($0) }.map { Swift.max(0, $0) } ?? 25
    }

    /// Starts handling SIGTERM and SIGINT for a run writing to `file`.
    init(file: String) {
        self.file = file
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [self] in self.received(sig) }
            s.resume()
            sources.append(s)
        }
    }

    /// Networks (or units) whose results are synced, of `total`. Called with progress within a
    /// batch and after every sync: a run told to stop stops at the first sync after the signal
    /// (or completes, when that sync was its last).
    func update(kept: Int, total: Int) {
        lock.lock()
        self.kept = kept
        self.total = total
        let sig = stopping, synced = kept > keptAtSignal
        lock.unlock()
        // With the last batch synced the run is complete: it ends normally.
        if let sig, synced, kept < total { exit(sig, batchKept: true) }
    }

    private func received(_ sig: Int32) {
        lock.lock()
        let again = stopping != nil
        if !again {
            stopping = sig
            keptAtSignal = kept
        }
        lock.unlock()
        let grace = Self.grace
        guard sig == SIGTERM, !again, grace > 0 else { exit(sig, batchKept: false) }
        FileHandle.standardError.write(Data(("\nSIGTERM (e.g. a SLURM time limit): finishing the batch in flight (at most \(Int(grace)) s; "
            + "WMSIM_TERM_GRACE), then stopping\n").utf8))
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [self] in self.exit(sig, batchKept: false) }
    }

    private func exit(_ sig: Int32, batchKept: Bool) -> Never {
        lock.lock()
        let k = kept, t = total
        lock.unlock()
        let name = sig == SIGTERM ? "SIGTERM (e.g. a SLURM time limit)" : "SIGINT"
        let inFlight = batchKept ? "the batch in flight finished and was kept" : (k < t ? "the batch in flight is lost" : "nothing was in flight")
        FileHandle.standardError.write(Data(("\ninterrupted by \(name): \(k) of \(t) kept in \(file); \(inFlight); "
            + "rerun the same command to resume\n").utf8))
        Foundation.exit(128 + sig)
    }
}
