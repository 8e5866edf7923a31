// swift-tools-version:6.0
// gclab: a research workbench for concurrent and incremental garbage collection.
// No package dependencies: toolchain modules only (Foundation, Dispatch, Synchronization, Glibc, XCTest).
import PackageDescription

let package = Package(
    name: "gclab",
    products: [
        .executable(name: "gclab", targets: ["gclab"]),
        .library(name: "ConcurrentGC", targets: ["ConcurrentGC"]),
        .library(name: "Pacer", targets: ["Pacer"]),
        .library(name: "Workloads", targets: ["Workloads"]),
    ],
    targets: [
        // The managed heap, allocators, collectors, barriers and the checkmark verifier.
        .target(name: "ConcurrentGC", dependencies: ["Pacer"]),
        // Pacing control logic, the pacer simulator and the gain search: no heap, no threads, no files (the
        // command line runs the search in parallel and writes the results). Also the seeded generator
        // (SplitMix64) the workloads share with the simulator.
        .target(name: "Pacer"),
        // Self-checking programs that talk to the heap only through the mutator API.
        .target(name: "Workloads", dependencies: ["ConcurrentGC", "Pacer"]),
        // The command-line front end.
        .executableTarget(name: "gclab", dependencies: ["ConcurrentGC", "Pacer", "Workloads"]),
        .testTarget(name: "ConcurrentGCTests", dependencies: ["ConcurrentGC", "Pacer"]),
        .testTarget(name: "PacerTests", dependencies: ["Pacer"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["ConcurrentGC", "Pacer", "Workloads"]),
        // Runs the built `gclab` executable end to end (exit codes, files written).
        .testTarget(name: "gclabTests", dependencies: ["gclab"]),
    ],
    swiftLanguageModes: [.v5]
)
