import ArgumentParser
import Foundation
import WMCore
import WMExperiments
import WMOpenCL

/// `wmsim devices`: every OpenCL platform/device and the auto choice.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devices", abstract: "List OpenCL platforms and devices, and which one `--backend auto` picks.")

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let list: [CLDeviceInfo]
        do {
            list = try CLDiscovery.devices()
        } catch let e as CLError {
            if json {
                print(ResultWriter.string(["devices": [String](), "error": [e.description], "auto": ["cpu"]]))
            } else {
                print("No OpenCL runtime found: \(e.description)")
                print("`--backend auto` will use the CPU backend (\(CPUBackend().info.device)).")
            }
            return
        }
        let preferred = CLDiscovery.preferredDevice(from: list)
        if json {
            struct Out: Encodable { var devices: [CLDeviceInfo]; var auto: Int? }
            print(ResultWriter.string(Out(devices: list, auto: preferred.flatMap { p in list.firstIndex(of: p) })))
            return
        }
        let rows = list.enumerated().map { i, d in
            [
                "\(i)\(d == preferred ? " *" : "")", d.deviceName, d.deviceType, d.platformName, "\(d.computeUnits)",
                formatBytes(Int(d.globalMemBytes)), formatBytes(Int(d.localMemBytes)), formatBytes(Int(d.maxAllocBytes)),
                "\(d.maxWorkGroupSize)", d.openCLCVersion, d.hasFP64 ? "yes" : "no",
            ]
        }
        print(Format.table(["#", "device", "type", "platform", "CUs", "global", "local", "max alloc", "max WG", "OpenCL C", "fp64"], rows))
        if let p = preferred {
            print("\n* `--backend auto` uses device \(list.firstIndex(of: p) ?? 0): \(p.deviceName) (\(p.deviceType))."
                + (p.hasFP64 ? "" : " It lacks fp64: networks are generated on the host and uploaded."))
        }
    }
}
