import Foundation

extension MemoryEstimate {
    /// Usable host memory: 85 % of the least of physical memory, the memory limits of this
    /// process's cgroup and its ancestors (`memory.max` in cgroup v2, `memory.limit_in_bytes` in
    /// v1: a SLURM job's `--mem`, a container's limit), the memory SLURM granted the job
    /// (`SLURM_MEM_PER_NODE`, or `SLURM_MEM_PER_CPU` × `SLURM_CPUS_PER_TASK`, in MB) and the
    /// address-space limit (`ulimit -v`).
    public static var hostAvailable: Int {
        var limit = Double(ProcessInfo.processInfo.physicalMemory)
        let own = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        if let c = HostMemoryLimit.cgroup(own, read: { try? String(contentsOfFile: $0, encoding: .utf8) }) { limit = Swift.min(limit, c) }
        if let s = HostMemoryLimit.slurm(ProcessInfo.processInfo.environment) { limit = Swift.min(limit, s) }
        var r = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &r) == 0, r.rlim_cur != rlim_t.max { limit = Swift.min(limit, Double(r.rlim_cur)) }
        return Int(limit * 0.85)
    }
}

/// The memory limits a process lives under, read from what the kernel and SLURM expose.
public enum HostMemoryLimit {
    /// The least memory limit of the cgroup named in `procSelfCgroup` (the text of
    /// /proc/self/cgroup) and of its ancestors, read through `read` (a path → its text). cgroup v2
    /// (`0::/path`: `/sys/fs/cgroup/path/memory.max`) and v1 (`N:…memory…:/path`:
    /// `/sys/fs/cgroup/memory/path/memory.limit_in_bytes`); the root files also cover a container
    /// whose cgroup namespace shows "/". Nil when no limit is set ("max", or v1's huge value).
    public static func cgroup(_ procSelfCgroup: String, read: (String) -> String?) -> Double? {
        var paths: [String] = []
        for line in procSelfCgroup.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            let path = String(f[2])
            if f[0] == "0" && f[1].isEmpty {
                paths += chain(path).map { "/sys/fs/cgroup\($0)/memory.max" }
            } else if f[1].split(separator: ",").contains("memory") {
                // Mounted as "memory", or under its co-mounted controllers' name ("cpuset,memory").
                for mount in Set(["memory", String(f[1])]) {
                    paths += chain(path).map { "/sys/fs/cgroup/\(mount)\($0)/memory.limit_in_bytes" }
                }
            }
        }
        // Outside any namespace information (or when /proc is not mounted): the root files.
        paths += ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        let limits = Set(paths).compactMap { p -> Double? in
            guard let t = read(p), let v = Double(t.trimmingCharacters(in: .whitespacesAndNewlines)), v > 0, v < 1e18 else { return nil }
            return v
        }
        return limits.min()
    }

    /// The memory SLURM granted this job on this node, in bytes, from its environment: --mem
    /// (`SLURM_MEM_PER_NODE`) or --mem-per-cpu (`SLURM_MEM_PER_CPU` × the CPUs the job holds on
    /// the node, `SLURM_CPUS_ON_NODE`, else `SLURM_CPUS_PER_TASK`, else 1). Nil outside SLURM
    /// or with --mem=0 (all of the node's memory).
    public static func slurm(_ env: [String: String]) -> Double? {
        let mb = 1024.0 * 1024
        if let v = env["SLURM_MEM_PER_NODE"].flatMap(Double.init), v > 0 { return v * mb }
        if let v = env["SLURM_MEM_PER_CPU"].flatMap(Double.init), v > 0 {
            let cpus = (env["SLURM_CPUS_ON_NODE"] ?? env["SLURM_CPUS_PER_TASK"]).flatMap(Double.init) ?? 1
            return v * mb * Swift.max(1, cpus)
        }
        return nil
    }

    /// "/a/b" → ["/a/b", "/a", ""]: a cgroup and its ancestors up to the root.
    static func chain(_ path: String) -> [String] {
        var parts = path.split(separator: "/").map(String.init)
        var out: [String] = []
        while !parts.isEmpty {
            out.append("/" + parts.joined(separator: "/"))
            parts.removeLast()
        }
        return out + [""]
    }
}
