import Foundation
import PackagePlugin

/// Embeds every `Kernels/*.cl` file of the package into the target as a Swift
/// string literal (`EmbeddedKernels.sources`). A newly added `.cl` file is seen
/// when the build plan is recomputed (e.g. after `swift package clean` or a
/// change to Package.swift); edits to existing files rebuild automatically.
@main
struct EmbedKernels: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let kernelsDir = context.package.directoryURL.appending(path: "Kernels")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: kernelsDir.path)) ?? []
        let inputs = names.filter { $0.hasSuffix(".cl") }.sorted().map { kernelsDir.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedKernels.swift")
        let tool = try context.tool(named: "wmsim-embed")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) OpenCL kernel files",
                executable: tool.url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
