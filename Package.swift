// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "wmsim",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wmsim", targets: ["wmsim"]),
        .library(name: "WMCore", targets: ["WMCore"]),
        .library(name: "WMOpenCL", targets: ["WMOpenCL"]),
        .library(name: "WMExperiments", targets: ["WMExperiments"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // System libraries (Debian: ocl-icd-opencl-dev opencl-headers; libopenblas-dev liblapacke-dev).
        .systemLibrary(
            name: "COpenCL", pkgConfig: "OpenCL",
            providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers"])]),
        .systemLibrary(
            name: "CLAPACK", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),

        // The CPU FORCE reference's hot loops (mixed-precision matrix-vector product, fused RLS
        // pass), AVX2 + FMA chosen at run time with portable fallbacks.
        .target(name: "CFeedbackKernels"),

        // The CPU engine's sparse row sums (B > 1 trial blocks, column-blocked where x outgrows
        // L2; B = 1 sliced-ELL slices with gathers, dense bitmap panels) and its epilogue,
        // AVX-512F or AVX2 + FMA chosen at run time (the Swift loops are the fallback); its
        // persistent workers.
        .target(name: "CEngineKernels"),

        // Specs, Philox, network generation, weight formats, the Backend seam and its capabilities,
        // the CPU reference backend (engine, dense ops), linear algebra, array I/O.
        .target(
            name: "WMCore",
            dependencies: ["CLAPACK", "CFeedbackKernels", "CEngineKernels", .product(name: "Numerics", package: "swift-numerics")]),

        // OpenCL wrapper and backend. Kernels/ are embedded at build time by the EmbedKernels plugin.
        .target(
            name: "WMOpenCL",
            dependencies: ["WMCore", "COpenCL"],
            plugins: ["EmbedKernels"]),

        // Experiments: capacity (ridge + MLP), sweeps, statistics, optimisation, cross-checks,
        // throughput. They talk to devices through WMCore's `Backend` only: no WMOpenCL here.
        .target(
            name: "WMExperiments",
            dependencies: ["WMCore", "CLAPACK", "TOMLKit"]),

        .executableTarget(
            name: "wmsim",
            dependencies: [
                "WMCore", "WMOpenCL", "WMExperiments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Build tool: turns Kernels/*.cl into Swift string literals (self-contained binary).
        .executableTarget(name: "wmsim-embed"),
        .plugin(
            name: "EmbedKernels", capability: .buildTool(),
            dependencies: ["wmsim-embed"]),

        // Helpers shared by the test targets: the test backends, array comparisons, temporary paths.
        .target(name: "WMTestSupport", dependencies: ["WMCore", "WMOpenCL"], path: "Tests/WMTestSupport"),
        .testTarget(name: "WMCoreTests", dependencies: ["WMCore", "CFeedbackKernels", "CEngineKernels", "CLAPACK"]),
        .testTarget(name: "WMOpenCLTests", dependencies: ["WMCore", "WMOpenCL", "WMTestSupport"]),
        .testTarget(name: "WMExperimentsTests", dependencies: ["WMExperiments", "WMCore", "WMOpenCL", "WMTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "WMSimCLITests", dependencies: ["WMCore", "wmsim", "WMTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
