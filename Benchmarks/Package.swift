// swift-tools-version: 6.1
// Benchmarks of wmsim, kept in their own package so that the main package, its build and CI never
// resolve or compile ordo-one/benchmark (and its malloc/runtime interposers). See README.md.
import PackageDescription

/// One ordo-one benchmark executable over the wmsim libraries, sources in Benchmarks/<name>.
func benchmarkTarget(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "WMCore", package: "wmsim"),
            .product(name: "WMOpenCL", package: "wmsim"),
            .product(name: "WMExperiments", package: "wmsim"),
        ],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "wmsim-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "wmsim", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: ["EngineBenchmarks", "ReadoutBenchmarks"].map(benchmarkTarget),
    swiftLanguageModes: [.v6]
)
