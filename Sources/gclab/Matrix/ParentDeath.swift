// Children that die with their parent. `gclab matrix`, `minheap` and `stress` run each experiment as a
// child `gclab run`; if the parent is killed (SIGKILL, which it cannot intercept to kill the child
// first), an orphaned child would go on writing into runs/<id> while a resumed matrix starts the same run
// there again. So a child started by ChildRun is told its parent's pid (GCLAB_PARENT_PID), and asks
// Linux to send it SIGKILL when that parent dies (prctl(PR_SET_PDEATHSIG)); if the parent is already gone
// by the time it asks, it exits at once. prctl is variadic in C, so Swift cannot call it directly: it is
// looked up once and called through a fixed five-argument signature, which is how the kernel reads it.

import Glibc

enum ParentDeath {
    static let environmentKey = "GCLAB_PARENT_PID"

    /// In a child of ChildRun: arm the parent-death signal. Does nothing in a process started otherwise.
    static func armIfChild() {
        guard let text = getenv(environmentKey), let parent = pid_t(String(cString: text)) else { return }
        unsetenv(environmentKey)
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        let PR_SET_PDEATHSIG: Int32 = 1
        if let symbol = dlsym(nil, "prctl") {
            _ = unsafeBitCast(symbol, to: Prctl.self)(PR_SET_PDEATHSIG, UInt(SIGKILL), 0, 0, 0)
        }
        if getppid() != parent { _exit(128 + SIGKILL) }  // the parent died before the signal was armed
    }
}
