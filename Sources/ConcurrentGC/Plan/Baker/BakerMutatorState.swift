// The baker plan's per-mutator state, the copiers' counters and the plan's marks for the verifier.

/// A mutator's state under the baker plan.
struct BakerMutatorState {
    var copier: BakerCopier
    let collector: Unmanaged<BakerCollector>
    let k: Int
    /// Scanning bytes owed from earlier steps (no grey object was free to take).
    var debt = 0
    /// Test hook (BakerCollector.debugSkipStoredValueForwarding).
    let debugSkipStoredValueForwarding: Bool
}

/// What copiers did in a cycle, summed.
struct CopyCounters {
    var copiedBytes = 0, copiedObjects = 0, largeBytes = 0, largeObjects = 0, lostRaces = 0, wastedBytes = 0
    var assistScanned = 0, workerScanned = 0, pauseScanned = 0

    mutating func add(_ c: CopyCounters, asAssist: Bool, inPause: Bool = false) {
        copiedBytes += c.copiedBytes
        copiedObjects += c.copiedObjects
        largeBytes += c.largeBytes
        largeObjects += c.largeObjects
        lostRaces += c.lostRaces
        wastedBytes += c.wastedBytes
        let scanned = c.assistScanned + c.workerScanned + c.pauseScanned
        if inPause { pauseScanned += scanned } else if asAssist { assistScanned += scanned } else { workerScanned += scanned }
    }
}

extension BakerCopier {
    /// This copier's counters since the last call (scanned bytes as `assistScanned`; the caller files them).
    mutating func takeCounters() -> CopyCounters {
        defer {
            copiedBytes = 0; copiedObjects = 0; scannedBytes = 0; largeBytes = 0; largeObjects = 0
            lostRaces = 0; wastedBytes = 0
        }
        return CopyCounters(copiedBytes: copiedBytes, copiedObjects: copiedObjects, largeBytes: largeBytes,
                            largeObjects: largeObjects, lostRaces: lostRaces, wastedBytes: wastedBytes,
                            assistScanned: scannedBytes)
    }
}

/// The baker plan's marks for the checkmark verifier: a reachable object must be out of from-space (a
/// copy, or allocated in the cycle) or, large, reached.
struct BakerMarks: MarkedObjects {
    let condemned: UnsafeMutablePointer<UInt8>
    let los: TreadmillSpace
    let largeGranule: UInt32

    func checkAndKeep(_ raw: UInt32, offset: Int, bytes: Int) -> Bool {
        raw >= largeGranule ? !los.markReached(raw) : condemned[Int(raw >> condemnedShift)] != condemnedFromSpace
    }
}
