#!/usr/bin/env python3
"""Generate the heap traces in tests/heap/traces/ (see tests/heap/README.md).

    python3 tests/heap/gen_traces.py            rewrite every trace
    python3 tests/heap/gen_traces.py --check    fail if a checked-in trace
                                                differs from what this
                                                script generates

A trace is a sequence of heap requests, each block named by an id:

    trace NAME IDS OPS      header: how many ids and operations follow
    a ID SIZE               allocate SIZE bytes as block ID
    r ID SIZE               resize block ID to SIZE bytes
    f ID                    free block ID

Ids are 0, 1, 2, ... in order of first allocation, and never reused.
Every block is freed by the end. Each pattern has its own fixed seed, and
all randomness comes from random.Random.random(), the one method whose
sequence Python promises to keep across versions (randrange, shuffle and
gauss have changed before), with integer arithmetic on top: the output is
the same on every machine.
"""

import argparse
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TRACE_DIR = os.path.join(HERE, "traces")
MAX_OPS = 20000


class Rng:
    """Random choices built on random.Random.random() alone."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def random(self):
        return self.r.random()

    def below(self, n):
        """0 <= x < n."""
        return min(int(self.r.random() * n), n - 1)

    def randint(self, lo, hi):
        """lo <= x <= hi."""
        return lo + self.below(hi - lo + 1)

    def uniform(self, lo, hi):
        return lo + (hi - lo) * self.r.random()

    def choice(self, items):
        return items[self.below(len(items))]

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]

    def log_uniform(self, lo, hi):
        """A size in [lo, hi) (powers of two), every octave equally
        likely: many small blocks, a few big ones, as real programs
        have. Uniform within the octave."""
        octave = lo << self.below((hi // lo).bit_length() - 1)
        return octave + self.below(octave)


class Trace:
    """Builds one trace, keeping track of the live blocks."""

    def __init__(self, name, title):
        self.name = name
        self.title = title
        self.ops = []
        self.live = {}          # id -> size
        self.order = []         # the live ids, for a random pick in O(1)
        self.where = {}         # id -> its index in order
        self.next_id = 0

    def alloc(self, size):
        i = self.next_id
        self.next_id += 1
        self.live[i] = size
        self.where[i] = len(self.order)
        self.order.append(i)
        self.ops.append(f"a {i} {size}")
        return i

    def realloc(self, i, size):
        self.live[i] = size
        self.ops.append(f"r {i} {size}")

    def free(self, i):
        last = self.order.pop()
        if last != i:
            self.order[self.where[i]] = last
            self.where[last] = self.where[i]
        del self.where[i]
        del self.live[i]
        self.ops.append(f"f {i}")

    def room(self):
        """Operations left once every live block is freed."""
        return MAX_OPS - len(self.ops) - len(self.live)

    def any_live(self, rng):
        return rng.choice(self.order)

    def free_all(self, rng):
        ids = list(self.order)
        rng.shuffle(ids)
        for i in ids:
            self.free(i)

    def text(self, seed):
        assert not self.live and len(self.ops) <= MAX_OPS
        head = [f"# Duet heap trace: {self.title}",
                f"# made by tests/heap/gen_traces.py (seed {seed}); "
                f"do not edit",
                f"trace {self.name} {self.next_id} {len(self.ops)}"]
        return "\n".join(head + self.ops) + "\n"


def random_mixed(rng):
    """Random allocs and frees of mixed sizes; the live set wanders."""
    t = Trace("random", "random mixed sizes, 16 B to 128 KiB")
    target = rng.randint(200, 1500)
    while t.room() > 1:
        if rng.random() < 0.002:
            target = rng.randint(200, 1500)
        r = rng.random()
        if r < 0.90:
            size = rng.log_uniform(16, 4096)
        elif r < 0.99:
            size = rng.log_uniform(4096, 32768)
        else:
            size = rng.log_uniform(32768, 131072)
        if len(t.live) < target or not t.live or rng.random() < 0.3:
            t.alloc(size)
        else:
            t.free(t.any_live(rng))
    t.free_all(rng)
    return t


# Sizes of common kernel objects: list nodes, small structs, names.
SMALL_SIZES = [8, 16, 24, 32, 40, 48, 56, 64, 72, 96, 112, 128]


def many_small(rng):
    """Thousands of small objects: build up, churn, tear down."""
    t = Trace("small", "many small objects, 8 to 128 bytes")

    def size():
        return max(1, rng.choice(SMALL_SIZES) - rng.below(8))
    for _ in range(6000):
        t.alloc(size())
    while t.room() > 1:
        if rng.random() < 0.5:
            t.alloc(size())
        else:
            t.free(t.any_live(rng))
    t.free_all(rng)
    return t


def growing_realloc(rng):
    """Buffers that grow by realloc (a string builder, an array that
    doubles), while small short-lived blocks come and go around them."""
    t = Trace("realloc", "growing buffers (realloc) among small blocks")
    buffers = []
    small = []
    while t.room() > 1:
        r = rng.random()
        if r < 0.02 or not buffers:
            buffers.append(t.alloc(rng.randint(16, 256)))
        elif r < 0.55:
            i = rng.choice(buffers)
            size = t.live[i]
            grown = size * 3 // 2 if rng.random() < 0.3 else size + \
                rng.randint(16, 512)
            if grown > 96 * 1024:       # done with it: start over
                buffers.remove(i)
                t.free(i)
            else:
                t.realloc(i, grown)
        elif r < 0.85 or not small:
            small.append(t.alloc(rng.randint(8, 200)))
        else:
            t.free(small.pop(rng.below(len(small))))
    t.free_all(rng)
    return t


def binary_tree(rng):
    """Trees built and torn down a subtree at a time: each node is a
    small struct, and every leaf holds a buffer of its own."""
    t = Trace("binary", "binary trees: subtrees freed and rebuilt")
    node_size = 48
    nodes = {}      # position in the tree (heap numbering) -> (id, data id)
    depth = 11

    def build(pos, level):
        data = None
        if level == depth:
            data = t.alloc(rng.log_uniform(16, 1024))
        nodes[pos] = (t.alloc(node_size), data)
        if level < depth:
            build(2 * pos, level + 1)
            build(2 * pos + 1, level + 1)

    def tear_down(pos):
        if pos not in nodes:
            return
        tear_down(2 * pos)
        tear_down(2 * pos + 1)
        node, data = nodes.pop(pos)
        if data is not None:
            t.free(data)
        t.free(node)

    build(1, 0)
    while True:
        level = rng.randint(3, 8)
        pos = rng.randint(2 ** level, 2 ** (level + 1) - 1)
        # Freeing and rebuilding the subtree: 2 ops per node and leaf
        # buffer, the subtree has under 2 ** (depth - level + 1) nodes.
        cost = 2 * 3 * 2 ** (depth - level + 1)
        if cost > t.room():
            break
        tear_down(pos)
        build(pos, level)
    tear_down(1)
    return t


def bursty(rng):
    """Phases: each allocates a burst of objects of its own kind, then
    frees most of them; a few survive into later phases."""
    t = Trace("bursty", "bursty phases, each with its own sizes")
    survivors = []
    while True:
        count = rng.randint(300, 2500)
        if 2 * count > t.room():
            break
        centre = rng.log_uniform(16, 8192)
        burst = [t.alloc(rng.randint(centre * 3 // 4, centre * 5 // 4))
                 for _ in range(count)]
        rng.shuffle(burst)
        keep = int(count * rng.uniform(0.0, 0.15))
        survivors += burst[:keep]
        for i in burst[keep:]:
            t.free(i)
        if len(survivors) > 1000:
            rng.shuffle(survivors)
            for i in survivors[500:]:
                t.free(i)
            del survivors[500:]
    t.free_all(rng)
    return t


PATTERNS = [(random_mixed, 1), (many_small, 2), (growing_realloc, 3),
            (binary_tree, 4), (bursty, 5)]


def generate():
    """{file name: text} for every pattern."""
    out = {}
    for make, seed in PATTERNS:
        trace = make(Rng(seed))
        out[f"{trace.name}.trace"] = trace.text(seed)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the checked-in traces")
    args = parser.parse_args()
    traces = generate()
    if args.check:
        stale = []
        for name, text in traces.items():
            path = os.path.join(TRACE_DIR, name)
            try:
                with open(path) as f:
                    same = f.read() == text
            except OSError:
                same = False
            if not same:
                stale.append(name)
        if stale:
            print("out of date: " + ", ".join(stale) +
                  " (run python3 tests/heap/gen_traces.py)")
            return 1
        print(f"{len(traces)} traces up to date")
        return 0
    os.makedirs(TRACE_DIR, exist_ok=True)
    for name, text in traces.items():
        with open(os.path.join(TRACE_DIR, name), "w") as f:
            f.write(text)
        print(f"wrote tests/heap/traces/{name}: "
              f"{text.count(chr(10)) - 3} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
