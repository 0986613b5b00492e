import XCTest
@testable import WMCore

/// The host memory limit follows this process's own cgroup (and its ancestors) and SLURM's grant,
/// not only the root cgroup's file.
final class HostMemoryLimitTests: XCTestCase {
    func testCgroupV2ReadsTheOwnGroupAndItsAncestors() {
        let files = ["/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/memory.max": "4294967296\n",
                     "/sys/fs/cgroup/system.slice/slurmstepd.scope/memory.max": "max\n",
                     "/sys/fs/cgroup/system.slice/memory.max": "17179869184\n",
                     "/sys/fs/cgroup/memory.max": "garbage"]
        let own = "0::/system.slice/slurmstepd.scope/job_42/step_0/user/task_0\n"
        XCTAssertEqual(HostMemoryLimit.cgroup(own, read: { files[$0] }), 4_294_967_296)
        // An ancestor's tighter limit wins.
        var tighter = files
        tighter["/sys/fs/cgroup/system.slice/memory.max"] = "1073741824"
        XCTAssertEqual(HostMemoryLimit.cgroup(own, read: { tighter[$0] }), 1_073_741_824)
        // No limit anywhere ("max" and unreadable files): none.
        XCTAssertNil(HostMemoryLimit.cgroup(own, read: { $0.hasSuffix("memory.max") ? "max" : nil }))
        // A namespaced container sees "/": the root file.
        XCTAssertEqual(HostMemoryLimit.cgroup("0::/\n", read: { $0 == "/sys/fs/cgroup/memory.max" ? "2147483648" : nil }), 2_147_483_648)
    }

    func testCgroupV1ReadsTheMemoryController() {
        let own = "12:pids:/slurm/uid_1/job_7\n4:cpuset,memory:/slurm/uid_1/job_7/step_batch\n1:name=systemd:/x\n"
        let files = ["/sys/fs/cgroup/memory/slurm/uid_1/job_7/memory.limit_in_bytes": "3221225472",
                     "/sys/fs/cgroup/memory/slurm/uid_1/job_7/step_batch/memory.limit_in_bytes": "9223372036854771712",
                     "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712"]
        XCTAssertEqual(HostMemoryLimit.cgroup(own, read: { files[$0] }), 3_221_225_472)
        // Co-mounted controllers under their joint name.
        XCTAssertEqual(HostMemoryLimit.cgroup(own, read: { $0 == "/sys/fs/cgroup/cpuset,memory/slurm/uid_1/job_7/memory.limit_in_bytes" ? "1073741824" : nil }),
                       1_073_741_824)
        XCTAssertEqual(HostMemoryLimit.chain("/a/b"), ["/a/b", "/a", ""])
        XCTAssertEqual(HostMemoryLimit.chain("/"), [""])
    }

    func testSlurmGrantFromTheEnvironment() {
        XCTAssertEqual(HostMemoryLimit.slurm(["SLURM_MEM_PER_NODE": "16384"]), 16384 * 1_048_576)
        XCTAssertEqual(HostMemoryLimit.slurm(["SLURM_MEM_PER_CPU": "2000", "SLURM_CPUS_PER_TASK": "4"]), 8000 * 1_048_576)
        XCTAssertEqual(HostMemoryLimit.slurm(["SLURM_MEM_PER_CPU": "2000", "SLURM_CPUS_ON_NODE": "8", "SLURM_CPUS_PER_TASK": "4"]), 16000 * 1_048_576)
        XCTAssertEqual(HostMemoryLimit.slurm(["SLURM_MEM_PER_CPU": "2000"]), 2000 * 1_048_576)
        XCTAssertNil(HostMemoryLimit.slurm(["SLURM_MEM_PER_NODE": "0"]))
        XCTAssertNil(HostMemoryLimit.slurm([:]))
        // The process's figure is at most physical memory and positive.
        XCTAssertGreaterThan(MemoryEstimate.hostAvailable, 0)
        XCTAssertLessThanOrEqual(Double(MemoryEstimate.hostAvailable), Double(ProcessInfo.processInfo.physicalMemory) * 0.85 + 1)
    }
}
