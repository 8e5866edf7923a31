// A growable stack of plain values in raw memory, for the collector's work lists (grey stacks, the mark
// pool), the shadow stacks of root slots and the treadmill's chunk tables.
//
// Why not an Array: these live in raw memory reached through pointers (a mutator context, a marker in a
// loop), where an Array would bring reference counting, uniqueness checks and bounds checks into hot paths.
// A RawStack is a value with one owner: copying it copies the pointer, not the elements, and exactly one
// copy calls `free()`. Elements are `BitwiseCopyable`, so nothing is ever initialized or destroyed.

/// A stack of `BitwiseCopyable` values in memory owned by whoever calls `free()`.
@frozen @usableFromInline
struct RawStack<Element: BitwiseCopyable> {
    @usableFromInline var base: UnsafeMutablePointer<Element>
    @usableFromInline var count: Int
    @usableFromInline var capacity: Int

    /// An empty stack with room for `capacity` elements.
    @usableFromInline
    init(capacity: Int) {
        self.capacity = Swift.max(1, capacity)
        base = .allocate(capacity: self.capacity)
        count = 0
    }

    /// Releases the memory. The stack must not be used afterwards.
    @usableFromInline
    func free() { base.deallocate() }

    @inlinable var isEmpty: Bool { count == 0 }

    @inlinable
    subscript(i: Int) -> Element {
        @inline(__always) get { base[i] }
        @inline(__always) nonmutating set { base[i] = newValue }
    }

    /// Pushes `value`, growing (out of line) when full.
    @inlinable @inline(__always)
    mutating func push(_ value: Element) {
        if _slowPath(count == capacity) { grow(toAtLeast: count &+ 1) }
        base[count] = value
        count &+= 1
    }

    /// Pops the top element; the stack must not be empty.
    @inlinable @inline(__always)
    mutating func pop() -> Element {
        count &-= 1
        return base[count]
    }

    /// Appends `items`, growing as needed.
    @usableFromInline
    mutating func append(contentsOf items: UnsafeBufferPointer<Element>) {
        guard let source = items.baseAddress, !items.isEmpty else { return }
        if count + items.count > capacity { grow(toAtLeast: count + items.count) }
        (base + count).update(from: source, count: items.count)
        count += items.count
    }

    /// Moves the top `n` elements (at most `count`) to `buffer`, in order; returns how many.
    @usableFromInline
    mutating func popAll(_ n: Int, into buffer: UnsafeMutablePointer<Element>) -> Int {
        let taken = Swift.min(n, count)
        count -= taken
        buffer.update(from: base + count, count: taken)
        return taken
    }

    /// Makes room for at least `minimum` elements, doubling the capacity, keeping the contents.
    @usableFromInline @inline(never)
    mutating func grow(toAtLeast minimum: Int) {
        var newCapacity = capacity * 2
        while newCapacity < minimum { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }
}
