"""Tests of the host-side allocator check (pmm_verify.py), on traces from
fake_qemu's toy allocator, mutated one way at a time."""

import re
import unittest

import ktap
import pmm_verify
import verdict
from arches import ARCHES
from fake_qemu import TOY_RAM, toy_trace
from pmm_verify import Expect, check

SEED = 987654321987
MEM = 128 << 20
RISCV_WINDOW = ARCHES["riscv"].ram_window(MEM)


def expect(pmm="bitmap", **kw):
    return Expect(**{"seed": SEED, "pmm": pmm, "mem_bytes": MEM,
                     "ram_window": RISCV_WINDOW, **kw})


def edit(lines, pattern, new, count=1):
    """Replace the first count lines matching pattern (re.sub on them)."""
    out, done = [], 0
    for line in lines:
        if done < count and re.search(pattern, line):
            line = re.sub(pattern, new, line)
            done += 1
        out.append(line)
    assert done == count, (pattern, done)
    return out


def op_line(lines, kind, n=0):
    """Index of the n-th "op ... kind" line."""
    found = [i for i, l in enumerate(lines)
             if f" {kind} " in l and " op " in l]
    return found[n]


class Sequence(unittest.TestCase):
    def test_prng_matches_the_c_one(self):
        # From the same loop in C (pmm_verify_test.c) with x = 1, then 0.
        rng = pmm_verify.XorShift64Star(1)
        self.assertEqual([rng.next() for _ in range(3)],
                         [0x47e4ce4b896cdd1d, 0xabcfa6a8e079651d,
                          0xb9d10d8feb731f57])
        self.assertEqual(pmm_verify.XorShift64Star(0).next(),
                         0xd83b3e29a21487a)

    def test_sequence_shape(self):
        seq = pmm_verify.Sequence(SEED, can_free=True)
        requests, live = [], 0
        while (r := seq.next()) is not None:
            requests.append(r)
            if isinstance(r, pmm_verify.Alloc):
                self.assertTrue(1 <= r.npages <= pmm_verify.MAX_PAGES)
                self.assertIn(r.align, (1, 2, 4, 8))
                seq.allocated(0x1000 * len(requests), r.npages)
                live += 1
            else:
                live -= 1
            self.assertLessEqual(live, pmm_verify.MAX_LIVE)
        self.assertEqual(live, 0)
        self.assertGreater(len(requests), pmm_verify.OPS)

    def test_bump_never_frees(self):
        seq = pmm_verify.Sequence(SEED, can_free=False)
        kinds = set()
        while (r := seq.next()) is not None:
            kinds.add(type(r))
            seq.allocated(0x1000, r.npages)
        self.assertEqual(kinds, {pmm_verify.Alloc})

    def test_mem_bytes(self):
        self.assertEqual(pmm_verify.mem_bytes("128M"), 128 << 20)
        self.assertEqual(pmm_verify.mem_bytes("5G"), 5 << 30)


class GoodTraces(unittest.TestCase):
    def test_each_allocator(self):
        for pmm in ("bump", "bitmap", "freelist"):
            with self.subTest(pmm):
                self.assertIsNone(check(toy_trace(SEED, pmm), expect(pmm)))

    def test_other_lines_are_ignored(self):
        lines = toy_trace(SEED, "bitmap")
        lines.insert(5, "# bitmap.c:12: a debugging print")
        self.assertIsNone(check(lines, expect()))


class BadTraces(unittest.TestCase):
    def reason(self, lines, pmm="bitmap", **kw):
        found = check(lines, expect(pmm, **kw))
        self.assertIsNotNone(found, "the bad trace passed")
        self.assertNotIn("\n", found)
        return found

    def test_no_trace(self):
        self.assertIn("no trace", self.reason([]))

    def test_replayed_seed(self):
        lines = toy_trace(SEED + 1, "bitmap")
        self.assertIn("not this boot's", self.reason(lines))

    def test_other_pmm(self):
        self.assertIn("the boot asked for pmm=freelist",
                      self.reason(toy_trace(SEED, "bitmap"), "freelist"))

    def test_other_op_count(self):
        lines = edit(toy_trace(SEED, "bitmap"), r"ops=\d+", "ops=10")
        self.assertIn("ops=10", self.reason(lines))

    def test_misaligned(self):
        lines = toy_trace(SEED, "bitmap")
        i = next(i for i, l in enumerate(lines)
                 if re.search(r"alloc \d [248] 0x", l))
        pa = int(lines[i].split()[-1], 16)
        lines[i] = lines[i].rsplit(" ", 1)[0] + f" {pa + 4096:#x}"
        self.assertRegex(self.reason(lines), r"is not aligned to [248] pages")

    def test_outside_usable(self):
        lines = edit(toy_trace(SEED, "bitmap"), r"alloc (\d) 1 0x\w+$",
                     r"alloc \1 1 0x90000000")
        self.assertIn("not inside one usable range", self.reason(lines))

    def test_overlap(self):
        # Bump frees nothing, so op 0's block is live for good; hand it
        # out again to the first request that needs no alignment.
        lines = toy_trace(SEED, "bump")
        first = lines[op_line(lines, "alloc", 0)].split()[-1]
        lines = edit(lines, r"(op \d+ alloc \d+ 1) 0x\w+$", rf"\1 {first}")
        self.assertRegex(self.reason(lines, "bump"),
                         r"overlaps block .* allocated at op 0 and not freed")

    def test_wrong_block_freed(self):
        lines = toy_trace(SEED, "bitmap")
        i = op_line(lines, "free")
        lines[i] = re.sub(r"free 0x\w+", "free 0x80000000", lines[i])
        self.assertIn("as the sequence says", self.reason(lines))

    def test_none_with_memory_free(self):
        lines = edit(toy_trace(SEED, "bitmap"), r"(op 0 alloc \d+ \d+) 0x\w+$",
                     r"\1 none")
        self.assertIn("returned none", self.reason(lines))

    def test_lost_pages(self):
        self.assertIn("1 page(s) lost",
                      self.reason(toy_trace(SEED, "bitmap", lose=1)))

    def test_bump_count_must_match_its_cursor(self):
        lines = toy_trace(SEED, "bump")
        last = [i for i, l in enumerate(lines) if "free_pages" in l][-1]
        count = int(lines[last].split()[-1])
        lines[last] = f"# verify: free_pages {count + 1}"
        self.assertIn("lie above its cursor", self.reason(lines, "bump"))

    def test_map_larger_than_qemu_gave(self):
        self.assertIn("QEMU was given 16 MiB",
                      self.reason(toy_trace(SEED, "bitmap"),
                                  mem_bytes=16 << 20,
                                  ram_window=(0, 1 << 40)))

    def test_map_outside_the_machine(self):
        self.assertIn("outside the RAM this machine can have",
                      self.reason(toy_trace(SEED, "bitmap"),
                                  ram_window=(0, TOY_RAM[1] - 4096)))

    def test_map_out_of_order(self):
        lines = toy_trace(SEED, "bitmap")
        lines.insert(2, "# verify: usable 0x80000000 0x80100000")
        self.assertIn("out of order", self.reason(lines))

    def test_free_count_above_the_map(self):
        lines = edit(toy_trace(SEED, "bitmap"), r"free_pages \d+",
                     "free_pages 999999")
        self.assertIn("usable map has only", self.reason(lines))

    def test_truncated(self):
        lines = toy_trace(SEED, "bitmap")[:100]
        self.assertIn("trace ends early", self.reason(lines))

    def test_trailing_lines(self):
        lines = toy_trace(SEED, "bitmap") + ["# verify: op 999 free 0x0 1"]
        self.assertIn("after 'end'", self.reason(lines))


class InTheVerdict(unittest.TestCase):
    """The check as verdict.judge_test() applies it."""

    def run_with(self, trace, ok=True):
        text = ("KTAP version 1\n1..1\n    # Subtest: pmm_verify\n    1..1\n"
                + "".join(f"    {l}\n" for l in trace) +
                ("    # pmm_verify_test.c:9: boom\n" if not ok else "") +
                f"    {'ok' if ok else 'not ok'} 1 seeded_random_sequence\n"
                f"{'ok' if ok else 'not ok'} 1 pmm_verify\n")
        raw = ktap.parse(text)
        self.assertTrue(raw.complete)
        run = verdict.RunVerdict(True, report=raw, checks={
            pmm_verify.SUITE: lambda r: pmm_verify.check_result(r, expect())})
        return verdict.judge_test(run, "pmm_verify.seeded_random_sequence")

    def test_pass(self):
        self.assertEqual(self.run_with(toy_trace(SEED, "bitmap")).status,
                         verdict.PASS)

    def test_host_disagrees(self):
        outcome = self.run_with(toy_trace(SEED, "bitmap", lose=2))
        self.assertEqual(outcome.status, verdict.FAIL)
        self.assertTrue(outcome.reason.startswith("host check: 2 page(s)"))
        self.assertEqual(outcome.diagnostics, [])   # the trace is not shown

    def test_kernel_failure_shows_its_message_not_the_trace(self):
        outcome = self.run_with(toy_trace(SEED, "bitmap"), ok=False)
        self.assertEqual((outcome.status, outcome.reason),
                         (verdict.FAIL, "not ok"))
        self.assertEqual(outcome.diagnostics,
                         ["# pmm_verify_test.c:9: boom"])


if __name__ == "__main__":
    unittest.main()
