"""Host-side verification of the page allocator: the pmm_verify suite.

A kernel test that says "ok" proves only that the kernel printed "ok". For
the page allocators the grader can do better: tests/kernel/pmm_verify_test.c
runs a random sequence of page_alloc_aligned() and page_free() calls on
whichever allocator pmm= chose, and prints every call, every answer, the
usable memory map and the free page counts. This module derives the same
sequence from the boot's verify_seed (fresh every boot, so no trace can be
saved and replayed) and checks the answers itself:

  * the usable map is sane and fits in the RAM QEMU was given (-m);
  * every block is aligned, inside one usable range, and overlaps no block
    still allocated;
  * every free is of the block the sequence says, which is live;
  * no page is lost: the free count ends where it started (for bump, which
    cannot free: it ends at exactly the usable pages above its cursor);
  * the calls are exactly the sequence of this seed, for this pmm.

The sequence (the same in pmm_verify_test.c; see docs/grading.md):

    x = seed (0 -> 0x9e3779b97f4a7c15); next() is xorshift64*:
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27; return x * 0x2545f4914f6cdd1d
    OPS times:
        r = next()
        if frees are allowed (pmm is not bump) and a block is live and
           (MAX_LIVE blocks are live or r % 8 < 3):
            k = next() % live; free live[k]; live[k] = live[last]; drop last
        else:
            npages = 1 + next() % MAX_PAGES
            align  = 1 << (next() % ALIGN_LOG)          (in pages)
            pa = page_alloc_aligned(npages, align); if not none: append
    then, frees allowed: free live[last] until no block is live.

The trace (KTAP diagnostics of the test, numbers in decimal or 0x hex):

    # verify: begin seed=<n> pmm=<name> ops=<n>
    # verify: usable <base> <end>             one line per usable range
    # verify: free_pages <n>
    # verify: op <i> alloc <npages> <align> <pa|none>
    # verify: op <i> free <pa> <npages>
    # verify: free_pages <n>
    # verify: end
"""

import bisect
from dataclasses import dataclass
from typing import Optional, Tuple

SUITE = "pmm_verify"
TRACE_PREFIX = "# verify:"
PAGE_SIZE = 4096
MASK64 = (1 << 64) - 1

# The sequence's shape: keep in step with tests/kernel/pmm_verify_test.c.
OPS = 400
MAX_LIVE = 64
MAX_PAGES = 8
ALIGN_LOG = 4                 # alignments of 1, 2, 4 or 8 pages
ZERO_SEED = 0x9e3779b97f4a7c15


class XorShift64Star:
    """The PRNG the kernel test uses (Vigna's xorshift64*)."""

    def __init__(self, seed):
        self.x = (seed & MASK64) or ZERO_SEED

    def next(self):
        x = self.x
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        self.x = x
        return (x * 0x2545f4914f6cdd1d) & MASK64


@dataclass(frozen=True)
class Alloc:
    npages: int
    align: int                # pages


@dataclass(frozen=True)
class Free:
    pa: int
    npages: int


class Sequence:
    """The calls of one seed, as the kernel makes them. Call next() for
    each request and, after an Alloc, allocated() with the answer."""

    def __init__(self, seed, can_free):
        self.rng = XorShift64Star(seed)
        self.can_free = can_free
        self.live = []            # (pa, npages), in the kernel's order
        self.steps = 0

    def next(self):
        """The next request, or None when the sequence is over."""
        if self.steps < OPS:
            self.steps += 1
            r = self.rng.next()
            if self.can_free and self.live and \
                    (len(self.live) == MAX_LIVE or r % 8 < 3):
                return self._free(self.rng.next() % len(self.live))
            npages = 1 + self.rng.next() % MAX_PAGES
            return Alloc(npages, 1 << (self.rng.next() % ALIGN_LOG))
        if self.can_free and self.live:
            return self._free(len(self.live) - 1)
        return None

    def allocated(self, pa, npages):
        """The answer to the last Alloc (pa None for "none")."""
        if pa is not None and self.can_free:
            self.live.append((pa, npages))

    def _free(self, k):
        block = self.live[k]
        self.live[k] = self.live[-1]
        self.live.pop()
        return Free(*block)


@dataclass(frozen=True)
class Expect:
    """What the grader knows about the boot, independently of the kernel."""
    seed: int
    pmm: str
    mem_bytes: int                 # QEMU's -m
    ram_window: Tuple[int, int]    # where RAM can be on this machine


class Mismatch(Exception):
    """The trace fails a check; the message is the one-line reason."""


def check_result(result, expect):
    """verdict.HostCheck: the reason a pmm_verify result fails, or None."""
    return check(result.diagnostics, expect)


def check(diagnostics, expect):
    """Check a trace (the test's diagnostic lines); reason or None."""
    lines = [d[len(TRACE_PREFIX):].split() for d in diagnostics
             if d.startswith(TRACE_PREFIX)]
    try:
        _Checker(expect, lines).run()
    except Mismatch as err:
        return str(err)
    return None


def mem_bytes(text):
    """QEMU's -m ("128M", "5G") in bytes."""
    return int(text[:-1]) << {"M": 20, "G": 30}[text[-1].upper()]


class _Checker:
    """Walks the trace line by line against the grader's own model."""

    def __init__(self, expect, lines):
        self.expect = expect
        self.lines = lines
        self.at = 0
        self.usable = []          # (base, end), sorted
        self.starts = []          # live blocks, sorted by start ...
        self.blocks = {}          # ... start -> (end, op)
        self.live_pages = 0

    def run(self):
        if not self.lines:
            raise Mismatch("no trace: the test printed no '# verify:' "
                           "lines")
        self._begin()
        self._usable_map()
        free_start = self._free_pages("before the sequence")
        _require(free_start <= self._usable_pages(),
                 f"{free_start} pages free but the usable map has only "
                 f"{self._usable_pages()}")
        top = self._operations()
        free_end = self._free_pages("after the sequence")
        self._no_loss(free_start, free_end, top)
        self._expect_word("end")
        _require(self.at == len(self.lines), "trace goes on after 'end'")

    # ---- Reading the trace ----------------------------------------------

    def _take(self, what):
        if self.at >= len(self.lines):
            raise Mismatch(f"trace ends early: expected {what}")
        words = self.lines[self.at]
        self.at += 1
        return words

    def _peek(self):
        return self.lines[self.at] if self.at < len(self.lines) else []

    def _expect_word(self, word):
        words = self._take(f"'{word}'")
        _require(words[:1] == [word],
                 f"expected '{word}', got {' '.join(words)!r}")
        return words[1:]

    def _begin(self):
        fields = dict(w.partition("=")[::2]
                      for w in self._expect_word("begin"))
        seed, pmm = _number(fields.get("seed")), fields.get("pmm")
        _require(seed == self.expect.seed,
                 f"trace is for seed {fields.get('seed')}, not this boot's "
                 f"{self.expect.seed} (replayed?)")
        _require(pmm == self.expect.pmm,
                 f"trace is for pmm={pmm}, the boot asked for "
                 f"pmm={self.expect.pmm}")
        _require(_number(fields.get("ops")) == OPS,
                 f"trace has ops={fields.get('ops')}, the grader's "
                 f"sequence has {OPS}")

    def _usable_map(self):
        lo, hi = self.expect.ram_window
        while self._peek()[:1] == ["usable"]:
            words = self._take("a usable range")
            base, end = _number(words[1:2]), _number(words[2:3])
            _require(base is not None and end is not None and base < end,
                     f"bad usable range {' '.join(words[1:])!r}")
            _require(base % PAGE_SIZE == 0 and end % PAGE_SIZE == 0,
                     f"usable range {base:#x}-{end:#x} is not page aligned")
            _require(not self.usable or base >= self.usable[-1][1],
                     f"usable range {base:#x}-{end:#x} is out of order or "
                     f"overlaps the one before")
            _require(lo <= base and end <= hi,
                     f"usable range {base:#x}-{end:#x} lies outside the "
                     f"RAM this machine can have ({lo:#x}-{hi:#x})")
            self.usable.append((base, end))
        _require(self.usable, "the trace lists no usable memory")
        total = sum(end - base for base, end in self.usable)
        _require(total <= self.expect.mem_bytes,
                 f"usable map claims {total >> 20} MiB but QEMU was given "
                 f"{self.expect.mem_bytes >> 20} MiB (-m)")

    def _usable_pages(self):
        return sum(end - base for base, end in self.usable) // PAGE_SIZE

    def _free_pages(self, when):
        words = self._expect_word("free_pages")
        count = _number(words[:1])
        _require(count is not None, f"bad free page count {words!r} {when}")
        return count

    # ---- The sequence ---------------------------------------------------

    def _operations(self):
        """Replay the trace against the model; the highest end of a block
        allocated (where bump's cursor must be), or None."""
        seq = Sequence(self.expect.seed, self.expect.pmm != "bump")
        top = None
        op = 0
        while (request := seq.next()) is not None:
            words = self._take(f"op {op}")
            _require(words[:2] == ["op", str(op)],
                     f"expected op {op}, got {' '.join(words)!r}")
            if isinstance(request, Alloc):
                pa = self._alloc(op, request, words[2:])
                seq.allocated(pa, request.npages)
                if pa is not None:
                    top = max(top or 0, pa + request.npages * PAGE_SIZE)
            else:
                self._free(op, request, words[2:])
            op += 1
        return top

    def _alloc(self, op, want, words):
        _require(words[:3] == ["alloc", str(want.npages), str(want.align)],
                 f"op {op}: expected alloc {want.npages} {want.align}, got "
                 f"{' '.join(words)!r}")
        if words[3:] == ["none"]:
            raise Mismatch(f"op {op}: alloc of {want.npages} page(s) "
                           f"(align {want.align}) returned none, with only "
                           f"{self.live_pages} pages allocated")
        pa = _number(words[3:4])
        _require(pa is not None and len(words) == 4,
                 f"op {op}: bad address in {' '.join(words)!r}")
        size = want.npages * PAGE_SIZE
        _require(pa % (want.align * PAGE_SIZE) == 0,
                 f"op {op}: {pa:#x} is not aligned to {want.align} pages")
        _require(any(b <= pa and pa + size <= e for b, e in self.usable),
                 f"op {op}: {want.npages} page(s) at {pa:#x} are not inside "
                 f"one usable range")
        self._add_live(op, pa, pa + size)
        return pa

    def _add_live(self, op, start, end):
        i = bisect.bisect_left(self.starts, start)
        for j in (i - 1, i):
            if 0 <= j < len(self.starts):
                other = self.starts[j]
                other_end, other_op = self.blocks[other]
                _require(end <= other or other_end <= start,
                         f"op {op}: block {start:#x}-{end:#x} overlaps "
                         f"block {other:#x}-{other_end:#x} allocated at op "
                         f"{other_op} and not freed")
        self.starts.insert(i, start)
        self.blocks[start] = (end, op)
        self.live_pages += (end - start) // PAGE_SIZE

    def _free(self, op, want, words):
        # The model frees only blocks it saw allocated and checked, so a
        # free that matches it is of a live block.
        _require(words[:1] == ["free"] and _number(words[1:2]) == want.pa
                 and words[2:] == [str(want.npages)],
                 f"op {op}: expected free {want.pa:#x} {want.npages} (a live "
                 f"block, as the sequence says), got {' '.join(words)!r}")
        end, _ = self.blocks.pop(want.pa)
        self.starts.remove(want.pa)
        self.live_pages -= (end - want.pa) // PAGE_SIZE

    def _no_loss(self, free_start, free_end, top):
        if self.expect.pmm != "bump":
            _require(free_end == free_start,
                     f"{free_start - free_end} page(s) lost: "
                     f"{free_start} free before the sequence, {free_end} "
                     f"after freeing everything")
            return
        # Bump frees nothing; what is left is the usable RAM above its
        # cursor, which sits at the end of the highest block handed out.
        above = free_start if top is None else sum(
            (end - max(base, top)) // PAGE_SIZE
            for base, end in self.usable if end > top)
        _require(free_end == above,
                 f"bump reports {free_end} free pages after the sequence, "
                 f"but {above} usable pages lie above its cursor")


def _number(words):
    """A decimal or 0x-hex number from a one-word list (or a str)."""
    if isinstance(words, list):
        words = words[0] if len(words) == 1 else None
    if not words:
        return None
    try:
        return int(words, 16) if words.lower().startswith("0x") \
            else int(words, 10)
    except ValueError:
        return None


def _require(condition, message):
    if not condition:
        raise Mismatch(message)
