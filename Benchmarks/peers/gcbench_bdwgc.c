/*
 * gcbench_bdwgc.c -- GCBench on the Boehm-Demers-Weiser collector (libgc).
 *
 * A peer baseline for gclab's `--workload gcbench`.  This is a fresh C
 * rendering of the classic GCBench (John Ellis and Pete Kovac, modified by
 * Hans Boehm; later C version by Boehm).  It keeps the original's shape and
 * parameters so that the numbers are comparable with other GCBench ports:
 *
 *   - Node = { left, right, i, j }  (two pointers, two ints)
 *   - stretch the heap with one bottom-up tree of depth kStretchTreeDepth,
 *     then drop it;
 *   - build a long-lived tree of depth kLongLivedTreeDepth (top-down) and a
 *     long-lived pointer-free array of kArraySize doubles, half of it filled
 *     with 1/i; both stay live for the whole run;
 *   - for depth d = kMinTreeDepth, +2, ..., kMaxTreeDepth: build NumIters(d)
 *     trees top-down (Populate), then NumIters(d) trees bottom-up (MakeTree),
 *     each dropped immediately;
 *   - check that the array and the long-lived tree survived.
 *
 * TreeSize(d) = 2^(d+1) - 1 nodes; NumIters(d) = 2*TreeSize(18)/TreeSize(d),
 * so every depth allocates roughly the same number of nodes.
 *
 * Output (stdout), quiet by default -- exactly one line:
 *   gcbench-bdwgc total_ms=<ms> gc_count=<n> heap_bytes=<n> alloc_bytes=<n> parallel=<n>
 * gc_count is GC_get_gc_no() (collections so far, including the one GC_INIT
 * may do), heap_bytes GC_get_heap_size(), alloc_bytes GC_get_total_bytes()
 * (bytes allocated over the run, as libgc rounds them).
 * With -v (or GCBENCH_VERBOSE=1 in the environment) it also prints the
 * per-depth top-down / bottom-up times to stderr, like the original.
 * With -p it starts libgc's parallel marker threads (see main); the
 * `parallel=` field is GC_get_parallel(): the number of marker threads
 * besides the main one (0 = marking on the main thread only).
 *
 * Exit status: 0 on success, 1 if the final check fails.
 *
 * The timed region is the original's: from just before the stretch tree to
 * just after the last depth's bottom-up phase (GC_INIT and the final
 * integrity walk of the long-lived tree are outside it).
 *
 * Build (see run-bdwgc.sh):  gcc -O2 -DGC_THREADS -pthread gcbench_bdwgc.c -lgc
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gc.h>

enum {
    kStretchTreeDepth   = 18,     /* about 16 MB                         */
    kLongLivedTreeDepth = 16,     /* about 4 MB                          */
    kArraySize          = 500000, /* about 4 MB                          */
    kMinTreeDepth       = 4,
    kMaxTreeDepth       = 16
};

typedef struct Node {
    struct Node *left;
    struct Node *right;
    int i, j;
} Node;

static int verbose = 0;
static int start_markers = 0;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* GC_MALLOC returns cleared memory, so left/right/i/j start at zero. */
static Node *new_node(void)
{
    Node *n = (Node *)GC_MALLOC(sizeof(Node));
    if (n == NULL) {
        fprintf(stderr, "gcbench-bdwgc: out of memory\n");
        exit(2);
    }
    return n;
}

/* Nodes in a complete binary tree of the given depth. */
static long TreeSize(int depth)
{
    return (1L << (depth + 1)) - 1;
}

/* Iterations for a depth: same total allocation at every depth. */
static long NumIters(int depth)
{
    return 2 * TreeSize(kStretchTreeDepth) / TreeSize(depth);
}

/* Build a tree top-down: the parent exists (and is older) before its
 * children, so the collector sees old-to-young pointer stores. */
static void Populate(int depth, Node *node)
{
    if (depth <= 0)
        return;
    depth--;
    node->left  = new_node();
    node->right = new_node();
    Populate(depth, node->left);
    Populate(depth, node->right);
}

/* Build a tree bottom-up: children are allocated before the parent. */
static Node *MakeTree(int depth)
{
    if (depth <= 0)
        return new_node();
    Node *left  = MakeTree(depth - 1);
    Node *right = MakeTree(depth - 1);
    Node *result = new_node();
    result->left  = left;
    result->right = right;
    return result;
}

/* Count the nodes of a tree, checking that it is complete to `depth`. */
static long CheckTree(const Node *node, int depth, int *ok)
{
    if (node == NULL) {
        *ok = 0;
        return 0;
    }
    if (depth <= 0) {
        if (node->left != NULL || node->right != NULL)
            *ok = 0;
        return 1;
    }
    return 1 + CheckTree(node->left, depth - 1, ok)
             + CheckTree(node->right, depth - 1, ok);
}

static void TimeConstruction(int depth)
{
    long iters = NumIters(depth);
    Node *tempTree;
    double t0, t1, t2;
    long k;

    t0 = now_ms();
    for (k = 0; k < iters; ++k) {
        tempTree = new_node();
        Populate(depth, tempTree);
        tempTree = NULL;
    }
    t1 = now_ms();
    for (k = 0; k < iters; ++k) {
        tempTree = MakeTree(depth);
        tempTree = NULL;
    }
    t2 = now_ms();
    (void)tempTree;

    if (verbose)
        fprintf(stderr,
                "depth %2d: %7ld trees  top-down %8.2f ms  bottom-up %8.2f ms"
                "  (gc_no %lu)\n",
                depth, iters, t1 - t0, t2 - t1,
                (unsigned long)GC_get_gc_no());
}

int main(int argc, char **argv)
{
    Node *longLivedTree;
    Node *tempTree;
    double *array;
    double tStart, tFinish;
    int d, i, ok;
    long nodes;

    for (i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
            verbose = 1;
        } else if (strcmp(argv[i], "-p") == 0
                   || strcmp(argv[i], "--parallel-mark") == 0) {
            start_markers = 1;
        } else {
            fprintf(stderr, "usage: %s [-v] [-p]\n", argv[0]);
            return 2;
        }
    }
    {
        const char *v = getenv("GCBENCH_VERBOSE");
        if (v != NULL && *v != '\0' && strcmp(v, "0") != 0)
            verbose = 1;
    }

    GC_INIT();

    /* libgc 8.x built with PARALLEL_MARK starts its marker threads lazily:
     * only when the client creates its first extra thread or calls
     * GC_start_mark_threads().  This benchmark is single-threaded, so by
     * default marking stays on the main thread (parallel=0 in the output).
     * -p starts the markers explicitly; GC_MARKERS=N (environment, read by
     * GC_INIT) then sets how many there are, including the main thread. */
    if (start_markers) {
#ifdef GC_THREADS
        GC_start_mark_threads();
#else
        fprintf(stderr, "gcbench-bdwgc: -p needs a -DGC_THREADS build\n");
        return 2;
#endif
    }

    if (verbose) {
        unsigned ver = GC_get_version();
        fprintf(stderr,
                "libgc %u.%u.%u; live storage will peak at %ld bytes;"
                " gc_no %lu before the timed region\n",
                ver >> 16, (ver >> 8) & 0xff, ver & 0xff,
                (long)(2 * sizeof(Node) * TreeSize(kLongLivedTreeDepth)
                       + sizeof(double) * kArraySize),
                (unsigned long)GC_get_gc_no());
    }

    tStart = now_ms();

    /* Stretch the memory space quickly. */
    tempTree = MakeTree(kStretchTreeDepth);
    tempTree = NULL;
    (void)tempTree;

    /* A long-lived tree, built top-down. */
    longLivedTree = new_node();
    Populate(kLongLivedTreeDepth, longLivedTree);

    /* A long-lived pointer-free array, half filled.  As in the original the
     * loop starts at 0, so array[0] = 1/0 = +inf (IEEE), which is harmless. */
    array = (double *)GC_MALLOC_ATOMIC(sizeof(double) * kArraySize);
    if (array == NULL) {
        fprintf(stderr, "gcbench-bdwgc: out of memory\n");
        return 2;
    }
    for (i = 0; i < kArraySize / 2; ++i)
        array[i] = 1.0 / i;

    for (d = kMinTreeDepth; d <= kMaxTreeDepth; d += 2)
        TimeConstruction(d);

    tFinish = now_ms();

    /* Final check: the array and the whole long-lived tree survived. */
    ok = 1;
    nodes = CheckTree(longLivedTree, kLongLivedTreeDepth, &ok);
    if (array[1000] != 1.0 / 1000) {
        fprintf(stderr, "gcbench-bdwgc: FAILED: array[1000] = %g\n",
                array[1000]);
        ok = 0;
    }
    if (nodes != TreeSize(kLongLivedTreeDepth)) {
        fprintf(stderr,
                "gcbench-bdwgc: FAILED: long-lived tree has %ld nodes, "
                "expected %ld\n", nodes, TreeSize(kLongLivedTreeDepth));
        ok = 0;
    }

    printf("gcbench-bdwgc total_ms=%.2f gc_count=%lu heap_bytes=%lu"
           " alloc_bytes=%lu parallel=%d\n",
           tFinish - tStart, (unsigned long)GC_get_gc_no(),
           (unsigned long)GC_get_heap_size(),
           (unsigned long)GC_get_total_bytes(),
#ifdef GC_THREADS
           GC_get_parallel()
#else
           -1
#endif
           );
    return ok ? 0 : 1;
}
