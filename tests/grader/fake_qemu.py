#!/usr/bin/env python3
"""A stand-in for qemu-system-* used by the grader's own tests.

Point QEMU_RISCV / QEMU_X86_64 at "python3 fake_qemu.py" and put
"fake=MODE" on the group's command line. It takes QEMU's arguments, finds
the kernel command line (-append on riscv, -fw_cfg on x86_64) and behaves
like a kernel would in that mode, exiting with the arch's real statuses.

Modes: pass, fail, liar (all ok but exits "fail"), trap (panics mid-run),
hang (stops printing, never exits), flood (prints forever), orphan (passes,
but leaves a child holding the serial pipe), reset (x86 triple fault),
noktap (exits without KTAP), argv (prints its arguments as KTAP noise),
replay (passes, tagged with another boot's nonce), verify (the pmm_verify
suite, with a trace from a toy allocator), verify_leak (the same, but the
allocator loses a page).

Like the real kernel, it tags result lines with ktap_nonce= (binding.py)
-- but only when the word "tags" is on the command line too, so that
the tests written before tags see the same text as ever.
"""

import os
import sys
import time

import binding
import pmm_verify

SUITE = "ktest_selftest"
TESTS = ["passes", "expect_panic_caught", "suite_exit"]
OLD_NONCE = "0123456789abcdef"
TOY_RAM = (0x80200000, 0x80200000 + (32 << 20))    # a 32 MiB usable map
TOY_RAM_X86 = (0x200000, 0x200000 + (32 << 20))     # ... where x86 has RAM


def kernel_cmdline(argv):
    """The kernel command line, as the kernel would see it."""
    for i, arg in enumerate(argv):
        if arg == "-append":
            return argv[i + 1]
        if arg == "-fw_cfg" and "string=" in argv[i + 1]:
            return argv[i + 1].split("string=", 1)[1].replace(",,", ",")
    return ""


def statuses(argv):
    """(pass, fail) exit statuses of the machine being faked."""
    return (33, 35) if "-fw_cfg" in argv else (0, 1)


def cmdline_word(argv, key):
    """The value of key= on the kernel command line, or None."""
    value = None
    for word in kernel_cmdline(argv).split():
        if word.startswith(key + "="):
            value = word[len(key) + 1:]
    return value


def result(indent, verdict, n, name, suite, nonce):
    """One result line, tagged if there is a nonce."""
    line = f"{indent}{verdict} {n} {name}"
    if nonce:
        line += f" # tag:{binding.tag(nonce, suite, n, name, verdict)}"
    return line


def ktap(failing=(), stop_after=None, nonce=None, suite=SUITE, tests=TESTS,
         diagnostics=()):
    """A ktest-style KTAP report; failing tests print diagnostics, and
    diagnostics go before the first result."""
    lines = ["KTAP version 1", "1..1", "    KTAP version 1",
             f"    # Subtest: {suite}", f"    1..{len(tests)}"]
    lines += [f"    {d}" for d in diagnostics]
    for n, name in enumerate(tests, 1):
        if stop_after is not None and n > stop_after:
            return lines
        if name in failing:
            lines += [f"    # selftest.c:{n}0: expected 1 == 2",
                      result("    ", "not ok", n, name, suite, nonce)]
        else:
            lines.append(result("    ", "ok", n, name, suite, nonce))
    lines.append(result("", "not ok" if failing else "ok", 1, suite, "",
                        nonce))
    return lines


class ToyAllocator:
    """First fit over one usable range (bump: a cursor), page by page:
    slow, obviously right, good enough for a 400-call trace."""

    def __init__(self, pmm, base=TOY_RAM[0], end=TOY_RAM[1], lose=0):
        self.pmm, self.base, self.end = pmm, base, end
        self.used = set()
        self.cursor = base
        self.lose = lose          # pages to leak on the first free

    def alloc(self, npages, align):
        step = align * pmm_verify.PAGE_SIZE
        pa = -(-(self.cursor if self.pmm == "bump" else self.base) // step) \
            * step
        while pa + npages * pmm_verify.PAGE_SIZE <= self.end:
            pages = range(pa, pa + npages * pmm_verify.PAGE_SIZE,
                          pmm_verify.PAGE_SIZE)
            if not self.used.intersection(pages):
                self.used.update(pages)
                self.cursor = pages[-1] + pmm_verify.PAGE_SIZE
                return pa
            pa += step
        return None

    def free(self, pa, npages):
        pages = range(pa + self.lose * pmm_verify.PAGE_SIZE,
                      pa + npages * pmm_verify.PAGE_SIZE,
                      pmm_verify.PAGE_SIZE)
        self.used.difference_update(pages)
        self.lose = 0

    def free_pages(self):
        if self.pmm == "bump":
            return (self.end - self.cursor) // pmm_verify.PAGE_SIZE
        return (self.end - self.base) // pmm_verify.PAGE_SIZE - len(self.used)


def toy_trace(seed, pmm, lose=0, ram=TOY_RAM):
    """The '# verify:' lines pmm_verify_test.c would print, for a kernel
    whose allocator is a ToyAllocator over the usable range ram."""
    toy = ToyAllocator(pmm, *ram, lose=lose)
    lines = [f"# verify: begin seed={seed} pmm={pmm} ops={pmm_verify.OPS}",
             f"# verify: usable {toy.base:#x} {toy.end:#x}",
             f"# verify: free_pages {toy.free_pages()}"]
    seq = pmm_verify.Sequence(seed, pmm != "bump")
    op = 0
    while (request := seq.next()) is not None:
        if isinstance(request, pmm_verify.Alloc):
            pa = toy.alloc(request.npages, request.align)
            seq.allocated(pa, request.npages)
            answer = "none" if pa is None else hex(pa)
            lines.append(f"# verify: op {op} alloc {request.npages} "
                         f"{request.align} {answer}")
        else:
            lines.append(f"# verify: op {op} free {request.pa:#x} "
                         f"{request.npages}")
            toy.free(request.pa, request.npages)
        op += 1
    lines += [f"# verify: free_pages {toy.free_pages()}", "# verify: end"]
    return lines


def say(lines):
    sys.stdout.write("".join(line + "\r\n" for line in lines))
    sys.stdout.flush()


def main(argv):
    mode = "pass"
    for word in kernel_cmdline(argv).split():
        if word.startswith("fake="):
            mode = word[len("fake="):]
    ok, fail = statuses(argv)
    nonce = cmdline_word(argv, "ktap_nonce") \
        if "tags" in kernel_cmdline(argv).split() else None
    say(["OpenSBI fake", "Duet booting...",
         f"cmdline: {kernel_cmdline(argv)}"])
    if mode == "pass":
        say(ktap(nonce=nonce))
        return ok
    if mode == "replay":
        say(ktap(nonce=OLD_NONCE))
        return ok
    if mode in ("verify", "verify_leak"):
        trace = toy_trace(int(cmdline_word(argv, "verify_seed") or 1),
                          cmdline_word(argv, "pmm") or "bitmap",
                          lose=1 if mode == "verify_leak" else 0,
                          ram=TOY_RAM_X86 if "-fw_cfg" in argv else TOY_RAM)
        say(ktap(nonce=nonce, suite=pmm_verify.SUITE,
                 tests=["seeded_random_sequence"], diagnostics=trace))
        return ok
    if mode == "fail":
        say(ktap(failing=["expect_panic_caught"], nonce=nonce))
        return fail
    if mode == "liar":
        say(ktap(nonce=nonce))
        return fail
    if mode == "trap":
        say(ktap(stop_after=1) + ["", "panic: page fault at 0xdead",
                                  "backtrace:", "  0x80201234"])
        return fail
    if mode == "reset":
        say(ktap(stop_after=2))
        return 0
    if mode == "noktap":
        return fail
    if mode == "argv":
        say(argv)
        return ok
    if mode == "orphan":
        say(ktap())
        if os.fork() == 0:
            time.sleep(3600)      # holds stdout open; the grader kills it
            os._exit(0)
        return ok
    if mode == "hang":
        say(ktap(stop_after=1))
        time.sleep(3600)
    if mode == "flood":
        while True:
            say(["flood " * 20])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
