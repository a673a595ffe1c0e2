#!/usr/bin/env python3
"""A stand-in for qemu-system-* used by the grader's own tests.

Point QEMU_RISCV / QEMU_X86_64 at "python3 fake_qemu.py" and put
"fake=MODE" on the group's command line. It takes QEMU's arguments, finds
the kernel command line (-append on riscv, -fw_cfg on x86_64) and behaves
like a kernel would in that mode, exiting with the arch's real statuses.

Modes: pass, fail, liar (all ok but exits "fail"), trap (panics mid-run),
hang (stops printing, never exits), flood (prints forever), orphan (passes,
but leaves a child holding the serial pipe), reset (x86 triple fault),
noktap (exits without KTAP), argv (prints its arguments as KTAP noise).
"""

import os
import sys
import time

SUITE = "ktest_selftest"
TESTS = ["passes", "expect_panic_caught", "suite_exit"]


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


def ktap(failing=(), stop_after=None):
    """A ktest-style KTAP report; failing tests print diagnostics."""
    lines = ["KTAP version 1", "1..1", "    KTAP version 1",
             f"    # Subtest: {SUITE}", f"    1..{len(TESTS)}"]
    for n, name in enumerate(TESTS, 1):
        if stop_after is not None and n > stop_after:
            return lines
        if name in failing:
            lines += [f"    # selftest.c:{n}0: expected 1 == 2",
                      f"    not ok {n} {name}"]
        else:
            lines.append(f"    ok {n} {name}")
    lines.append(f"{'not ' if failing else ''}ok 1 {SUITE}")
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
    say(["OpenSBI fake", "Duet booting...",
         f"cmdline: {kernel_cmdline(argv)}"])
    if mode == "pass":
        say(ktap())
        return ok
    if mode == "fail":
        say(ktap(failing=["expect_panic_caught"]))
        return fail
    if mode == "liar":
        say(ktap())
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
