// config.json: everything needed to reproduce a run and to know where its numbers came from: the full
// heap and pacer configuration, the command line, the git commit of the working directory (if any), the
// Swift compiler the binary was built with, and the machine.

import ConcurrentGC
import Foundation

enum ConfigFile {
    static func write(config: RunConfiguration, heap: Heap, to url: URL) throws {
        let c = heap.configuration
        var object: [String: Any] = [
            "workload": config.workload, "scale": config.scale, "collector": config.collector.name,
            "barrier": config.barrier, "mark_workers": config.markWorkers, "pacer": config.pacer,
            "threads": config.threads, "seed": config.seed, "gogc": c.gogc, "heap_max_bytes": c.heapMaxBytes,
            "heap_minimum_bytes": c.minimumTriggerBytes, "verify": c.verify, "unsafe": c.allowUnsafe,
            "processors": c.processors,
            "command_line": CommandLine.arguments,
            "git_commit": gitCommit() ?? "unknown",
            "swift_compiler": compilerVersion,
            "machine": machine(),
        ]
        for option in CollectorKind.allPlanOptions {  // every plan option: its value, or n/a
            object[option.columnName] = config.planOption(option.name)
        }
        if c.pacer != nil {
            let p = c.pacerConfig
            object["pacer_config"] = [
                "gogc": p.gogc, "memory_limit_bytes": p.memoryLimit as Any, "utilization_target": p.utilizationTarget,
                "heap_minimum_bytes": p.heapMinimum, "hard_goal": p.maxOvershoot, "trigger_fraction": p.triggerFraction,
                "kt": p.triggerGain, "initial_trigger": p.initialTriggerRatio, "trigger_min": p.triggerMin,
                "trigger_max": p.triggerMax, "kp": p.kp, "ti": p.ti, "tt": p.tt, "pi_min": p.piMin, "pi_max": p.piMax,
                "consmark_history": p.consMarkHistory, "cpu_limiter": p.cpuLimiterEnabled,
                "limit_headroom": p.memoryLimitHeadroomPercent, "limiter_capacity": p.cpuLimiterCapacityPerProc,
                "membalancer_c": p.memBalancerC, "membalancer_smoothing": p.memBalancerSmoothing,
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try writeAtomically(String(decoding: data, as: UTF8.self) + "\n", to: url)
    }

    static var compilerVersion: String {
        #if compiler(>=6.4)
        return ">=6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "<6.2"
        #endif
    }

    /// HEAD of the git repository around the current directory, without running git.
    static func gitCommit() -> String? {
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while dir.path != "/" {
            let head = dir.appendingPathComponent(".git/HEAD")
            if let text = try? String(contentsOf: head, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) {
                guard text.hasPrefix("ref: ") else { return text }
                let ref = String(text.dropFirst(5))
                if let commit = try? String(contentsOf: dir.appendingPathComponent(".git/" + ref), encoding: .utf8) {
                    return commit.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                if let packed = try? String(contentsOf: dir.appendingPathComponent(".git/packed-refs"), encoding: .utf8),
                   let line = packed.split(separator: "\n").first(where: { $0.hasSuffix(" " + ref) }) {
                    return String(line.split(separator: " ")[0])
                }
                return nil
            }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    static func machine() -> [String: Any] {
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return ["os": field(u.sysname), "release": field(u.release), "arch": field(u.machine), "host": field(u.nodename),
                "processors": ProcessInfo.processInfo.activeProcessorCount,
                "memory_bytes": ProcessInfo.processInfo.physicalMemory]
    }
}
