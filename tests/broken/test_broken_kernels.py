"""The grader against deliberately broken kernels (tests/broken/broken.c).

Every fault of the catalogue is built for every architecture (make
broken-kernels: the normal kernel's objects plus one fault, about a second
a kernel) and graded by the real grader with the small manifest in
tests/broken/manifest (timeouts of 10 s). For each one this checks that the
grader

  * finished within its time budget,
  * gave no points to the tests the fault affects, and full points to the
    tests that really ran and passed before the fault struck,
  * said why, in the one-line reason expected.

One fault, "forged", shows the honest limit of nonce tags: a kernel that
computes the tags itself is believed (ktest_selftest passes), and only the
host check (pmm_verify) catches it. docs/grading.md explains.

About 40 s on 2 cores. Run alone with
    python3 -m unittest discover -s tests/broken -t .
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
GRADE = REPO / "tests" / "grader" / "grade.py"
MANIFEST_DIR = REPO / "tests" / "broken" / "manifest"
BUILD = REPO / "build" / "broken"
TIMEOUT = 10                  # the groups' timeout in the manifest
BYTE_CAP = 256 * 1024         # flood sooner than the real 2 MiB
BUDGET_SLACK = 10             # seconds on top of the timeouts
PARALLEL = 2                  # faults graded at once (each boots 2 at once)

# What each architecture needs to build and boot.
TOOLS = {"riscv": ["riscv64-unknown-elf-gcc", "qemu-system-riscv64"],
         "x86_64": ["gcc", "grub-mkrescue", "qemu-system-x86_64"]}

SELFTEST = ["passes", "expect_panic_caught", "panic_releases_locks",
            "lock_was_released", "trap_is_caught", "suite_exit"]
SELFTEST_KEYS = {f"ktest_selftest.{t}" for t in SELFTEST}
VERIFY_KEY = "pmm_verify.seeded_random_sequence"
# The fault strikes in the third selftest: the first two really passed.
FIRST_TWO = {"ktest_selftest.passes", "ktest_selftest.expect_panic_caught"}


@dataclass
class Fault:
    """One broken kernel and what the grader must say about it."""
    name: str
    tests: str                    # grade.py --tests
    why: dict                     # arch -> regex the reason must match
    awarded: set = field(default_factory=set)   # keys that keep points


def both(regex):
    return {"riscv": regex, "x86_64": regex}


CATALOGUE = [
    Fault("hang_early", "ktest_selftest.*",
          {"riscv": r"^timeout after 10s \(last output: '(?!.*Duet)",
           "x86_64": r"^timeout after 10s \(last output: none\)$"}),
    Fault("hang_midtest", "ktest_selftest.*",
          both(r"^timeout after 10s \(last output: 'ok 2 "
               r"expect_panic_caught # tag:[0-9a-f]{16}'\)$"), FIRST_TWO),
    Fault("flood", "ktest_selftest.*", both(r"^output flood$"), FIRST_TWO),
    Fault("machine_reset", "ktest_selftest.*",
          {"riscv": r"^exited with status 0 before completing KTAP \(0 of 1 "
                    r"suite results printed\)$",
           "x86_64": r"^triple fault / reset$"}, FIRST_TWO),
    Fault("trap", "ktest_selftest.*",
          both(r"^kernel trapped: panic: trap: .*page fault at .*address "
               r"0x8$")),
    Fault("fake_pass", "ktest_selftest.*",
          {"riscv": r"^no KTAP output \(exited with status 0\)$",
           "x86_64": r"^no KTAP output \(exited with status 33\)$"}),
    Fault("canned_ok", "*",
          both(r"^\d+ of \d+ result line\(s\) not bound to this boot \(no "
               r"nonce tag: canned output\?\), first: 'ok 1 ")),
    Fault("replayed", "*",
          both(r"^\d+ of \d+ result line\(s\) not bound to this boot "
               r"\(wrong nonce tag: replayed")),
    Fault("forged", "*",
          both(r"^host check: no trace: the test printed no '# verify:' "
               r"lines$"), SELFTEST_KEYS),
    Fault("dup_result", "ktest_selftest.*",
          both(r"^corrupt KTAP: duplicate result for "
               r"ktest_selftest\.passes$")),
    Fault("garbled", "ktest_selftest.*",
          both(r"^1 of 7 result line\(s\) not bound to this boot \(wrong "
               r"nonce tag: .*garbled\?\), first: 'ok 2 exp~\\x7f~_panic"),
          SELFTEST_KEYS - {"ktest_selftest.expect_panic_caught"}),
    Fault("wrong_plan", "ktest_selftest.*",
          both(r"^corrupt KTAP: suite ktest_selftest: suite_exit is beyond "
               r"plan 1\.\.5$")),
    Fault("pmm_overlap", "pmm_verify.*",
          both(r"^host check: op \d+: block 0x[0-9a-f]+-0x[0-9a-f]+ overlaps "
               r"block 0x[0-9a-f]+-0x[0-9a-f]+ allocated at op \d+ and not "
               r"freed$")),
    Fault("pmm_misaligned", "pmm_verify.*",
          both(r"^host check: op \d+: 0x[0-9a-f]+ is not aligned to [248] "
               r"pages$")),
    Fault("pmm_leak", "pmm_verify.*",
          both(r"^host check: \d+ page\(s\) lost: \d+ free before the "
               r"sequence, \d+ after freeing everything$")),
    Fault("pmm_big_map", "pmm_verify.*",
          both(r"^host check: usable range 0x100000000-0x140000000 lies "
               r"outside the RAM this machine can have")),
]


@dataclass
class Graded:
    """What grading one broken kernel gave."""
    status: int
    elapsed: float
    stdout: str
    results: dict                 # results.json
    runs: dict                    # (arch, group) -> reason of a broken run
    outcomes: dict                # (key, arch) -> reasons of its failures
    run_times: dict               # (arch, group) -> seconds


ARCHES = [a for a, tools in TOOLS.items()
          if all(shutil.which(t) for t in tools)]
GRADED = {}                       # fault name -> Graded
BUILD_ERROR = []
SECONDS = {}                      # "build", "grade" -> wall-clock seconds


def setUpModule():
    """Build every broken kernel, then grade them all, PARALLEL at once."""
    if not ARCHES:
        raise unittest.SkipTest("no architecture has its tools installed")
    names = " ".join(f.name for f in CATALOGUE)
    start = time.monotonic()
    builds = [subprocess.Popen(
        ["make", "-s", "-j2", f"ARCH={arch}", f"BROKEN={names}",
         "broken-kernels"], cwd=REPO, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True) for arch in ARCHES]
    for arch, build in zip(ARCHES, builds):
        out, _ = build.communicate()
        if build.returncode:
            BUILD_ERROR.append(f"make ARCH={arch} broken-kernels failed:\n"
                               f"{out}")
    SECONDS["build"] = time.monotonic() - start
    if BUILD_ERROR:
        return
    start = time.monotonic()
    slowest_first = sorted(CATALOGUE, key=lambda f: not f.name.startswith(
        "hang"))
    with tempfile.TemporaryDirectory() as tmp, \
            ThreadPoolExecutor(PARALLEL) as pool:
        for fault, graded in zip(slowest_first, pool.map(
                lambda f: grade(f, Path(tmp)), slowest_first)):
            GRADED[fault.name] = graded
    SECONDS["grade"] = time.monotonic() - start


def tearDownModule():
    """A table of the catalogue: fault, arch, seconds, what was said."""
    if not GRADED:
        return
    print(f"\nBroken kernels: built in {SECONDS['build']:.0f}s, graded in "
          f"{SECONDS['grade']:.0f}s; the grader's verdicts:", file=sys.stderr)
    for fault in CATALOGUE:
        graded = GRADED.get(fault.name)
        if graded is None:
            continue
        for arch in ARCHES:
            times = [t for (a, _), t in graded.run_times.items() if a == arch]
            reasons = [r for (a, _), r in graded.runs.items() if a == arch] \
                or [r for (_, a), rs in graded.outcomes.items() if a == arch
                    for r in rs]
            print(f"  {fault.name:<15} {arch:<7} {max(times or [0]):5.1f}s  "
                  f"{reasons[0] if reasons else 'complete'}", file=sys.stderr)


def grade(fault, tmp):
    """Run grade.py on one broken kernel; parse what it said."""
    results = tmp / f"{fault.name}.json"
    argv = [sys.executable, str(GRADE), "--manifest-dir", str(MANIFEST_DIR),
            "--build-dir", str(BUILD / fault.name), "--arch", ",".join(ARCHES),
            "--tests", fault.tests, "--jobs", "2", "--byte-cap",
            str(BYTE_CAP), "--json", str(results)]
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          env={**os.environ, "NO_COLOR": "1"})
    elapsed = time.monotonic() - start
    try:
        data = json.loads(results.read_text())
    except (OSError, ValueError):
        data = {"output": "", "tests": []}
    runs = dict(((m[1], m[2]), m[3]) for m in re.finditer(
        r"^  (\w+) lab0/(\w+): (.*)$", data["output"], re.MULTILINE))
    outcomes = {}
    for test in data["tests"]:
        key = test["name"].split(" ", 1)[1]
        for m in re.finditer(r"^(\w+)/\w+: (.*)$", test["output"],
                             re.MULTILINE):
            if m[2] != "passed":
                outcomes.setdefault((key, m[1]), []).append(m[2])
    run_times = {(m[1], m[2]): float(m[3]) for m in re.finditer(
        r"^\[\d+/\d+\] (\w+) lab0/(\w+) \(([\d.]+)s\)", proc.stdout,
        re.MULTILINE)}
    return Graded(proc.returncode, elapsed, proc.stdout, data, runs,
                  outcomes, run_times)


class BrokenKernels(unittest.TestCase):
    """One test per fault, generated from CATALOGUE below."""

    def check_fault(self, fault):
        if BUILD_ERROR:
            self.fail(BUILD_ERROR[0])
        graded = GRADED[fault.name]
        log = f"\n--- grade.py said:\n{graded.stdout}"
        # Graded at all, and a failing grade.
        self.assertTrue(graded.results["tests"], "no results.json" + log)
        self.assertEqual(graded.status, 1, log)
        # Within budget: at most two rounds of boots, each at most TIMEOUT.
        jobs = len(graded.run_times)
        budget = -(-jobs // 2) * TIMEOUT + BUDGET_SLACK
        self.assertLess(graded.elapsed, budget, log)
        # Points: none for affected tests, all for the ones that ran.
        for test in graded.results["tests"]:
            key = test["name"].split(" ", 1)[1]
            expected = test["max_score"] if key in fault.awarded else 0
            self.assertEqual(test["score"], expected, f"{key}{log}")
        # The reason, for each architecture: a broken run's, or else the
        # failing tests'.
        for arch in ARCHES:
            reasons = [r for (a, _), r in graded.runs.items() if a == arch] \
                or [r for (_, a), rs in graded.outcomes.items() if a == arch
                    for r in rs]
            self.assertTrue(reasons, f"no reason given on {arch}{log}")
            self.assertTrue(any(re.search(fault.why[arch], r)
                                for r in reasons),
                            f"{arch}: {reasons} do not match "
                            f"{fault.why[arch]!r}{log}")
            self.assertTrue(all("\n" not in r for r in reasons))


def _make_test(fault):
    def test(self):
        self.check_fault(fault)
    test.__doc__ = f"broken kernel: {fault.name}"
    return test


for _fault in CATALOGUE:
    setattr(BrokenKernels, f"test_{_fault.name}", _make_test(_fault))


if __name__ == "__main__":
    unittest.main()
