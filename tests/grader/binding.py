"""Bind each boot's results to that boot, so canned or replayed output fails.

A kernel can print anything, including "ok" lines for tests it never ran.
So every boot gets fresh secrets on its command line (a Challenge):

    ktap_nonce=<16 hex digits>    random, new for every QEMU run
    verify_seed=<n>               random, seeds the pmm_verify sequence

and kernel/ktest.c ends each KTAP result line with " # tag:<16 hex>", the
64-bit FNV-1a hash of "<nonce>|<suite>|<number>|<name>|<verdict>" (verdict
"ok", "not ok" or "skip"; suite "" on a suite's own result line). The
grader recomputes every tag. A report typed in advance has no tags; a log
saved from another boot has that boot's tags. Neither earns a point.

What this cannot stop, by design: a kernel that reads the nonce and computes
the tags itself is running (a copy of) the test framework anyway. Against a
kernel that lies about a test's outcome, only a check the host makes itself
helps (pmm_verify.py). docs/grading.md says the same to instructors.
"""

import secrets
from dataclasses import dataclass

import ktap

FNV_OFFSET_BASIS = 0xcbf29ce484222325
FNV_PRIME = 0x100000001b3
MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Challenge:
    """The secrets of one boot; never reuse one for another boot."""
    nonce: str          # lowercase hex
    seed: int           # 1 .. 2**63 - 1

    @classmethod
    def fresh(cls):
        return cls(secrets.token_hex(8), secrets.randbelow(2**63 - 1) + 1)

    @property
    def cmdline(self):
        """Words for the kernel command line. They go last: the kernel
        takes the last "key=" it finds, so a manifest cannot override."""
        return f"ktap_nonce={self.nonce} verify_seed={self.seed}"


def fnv1a64(data, value=FNV_OFFSET_BASIS):
    """64-bit FNV-1a of bytes (the same loop as kernel/ktest.c)."""
    for byte in data:
        value = ((value ^ byte) * FNV_PRIME) & MASK64
    return value


def tag(nonce, suite, number, name, verdict):
    """The tag the kernel must print for one result line, as 16 hex."""
    text = f"{nonce}|{suite}|{number}|{name}|{verdict}"
    return f"{fnv1a64(text.encode('utf-8', 'surrogateescape')):016x}"


def verify(report, nonce):
    """Check the tag of every result line in a ktap.Report against nonce.

    Sets .bound on each TestResult and Suite that has a result line, and
    returns the unbound ones (in the order they were parsed).
    """
    unbound = []
    for line in report.result_lines():
        # A suite's own result line is tagged with suite "".
        suite = line.suite if isinstance(line, ktap.TestResult) else ""
        line.bound = line.tag == tag(nonce, suite, line.number, line.name,
                                     line.verdict)
        if not line.bound:
            unbound.append(line)
    return unbound


def why_unbound(line):
    """Why one result line (a TestResult or Suite) is not bound: short."""
    if line.tag is None:
        return "no nonce tag: canned output?"
    return "wrong nonce tag: replayed from another boot, or garbled?"


def run_reason(unbound, total):
    """One line for a run with unbound result lines."""
    first = unbound[0]
    return (f"{len(unbound)} of {total} result line(s) not bound to this "
            f"boot ({why_unbound(first)}), first: {first.line!r}")
