"""Tests of the run verdict and per-test outcomes (no QEMU involved)."""

import unittest

import verdict
from arches import ARCHES
from qemu import RawRun
from verdict import ERROR, FAIL, PASS, SKIP

RISCV, X86 = ARCHES["riscv"], ARCHES["x86_64"]

HEAD = "OpenSBI v1.2\nDuet booting\nKTAP version 1\n1..1\n" \
       "    KTAP version 1\n    # Subtest: s\n    1..3\n"
ALL_OK = HEAD + "    ok 1 a\n    ok 2 b # SKIP no FPU\n    ok 3 suite_exit\n" \
    "ok 1 s\n"
ONE_FAILS = HEAD + "    ok 1 a\n    # s.c:9: expected x == y\n" \
    "    not ok 2 b\n    ok 3 suite_exit\nnot ok 1 s\n"
CRASHED = HEAD + "    ok 1 a\n    # mapping 0x1000\n\n" \
    "panic: page fault at 0x1000\nbacktrace:\n  0x80201234\n"


def judge(output, status, arch=RISCV, **raw):
    return verdict.judge_run(RawRun(output=output, status=status, **raw),
                             arch, 30)


def outcome(run, key):
    return verdict.judge_test(run, key)


class CompleteRuns(unittest.TestCase):
    def test_all_ok_and_pass_status(self):
        for arch in (RISCV, X86):
            run = judge(ALL_OK, arch.pass_status, arch)
            self.assertTrue(run.complete, run.reason)
            self.assertEqual(outcome(run, "s.a").status, PASS)
            self.assertEqual(outcome(run, "s.suite_exit").status, PASS)

    def test_skip_earns_nothing(self):
        run = judge(ALL_OK, 0)
        result = outcome(run, "s.b")
        self.assertEqual(result.status, SKIP)
        self.assertEqual(result.reason, "skipped: no FPU")

    def test_failure_with_fail_status(self):
        run = judge(ONE_FAILS, 1)
        self.assertTrue(run.complete, run.reason)
        self.assertEqual(outcome(run, "s.a").status, PASS)
        failed = outcome(run, "s.b")
        self.assertEqual(failed.status, FAIL)
        self.assertEqual(failed.diagnostics, ["# s.c:9: expected x == y"])

    def test_missing_result_in_complete_run(self):
        result = outcome(judge(ALL_OK, 0), "s.not_compiled_in")
        self.assertEqual((result.status, result.reason),
                         (FAIL, "missing result"))
        result = outcome(judge(ALL_OK, 0), "other.x")
        self.assertEqual(result.reason, "missing result")

    def test_duplicate_result_is_suspicious(self):
        text = ALL_OK.replace("    ok 1 a\n", "    ok 1 a\n    ok 1 a\n")
        run = judge(text, 0)
        self.assertFalse(run.complete)
        result = outcome(run, "s.a")
        self.assertEqual(result.status, FAIL)
        self.assertIn("2 times", result.reason)


class Contradictions(unittest.TestCase):
    def test_pass_status_with_failures(self):
        run = judge(ONE_FAILS, 0)
        self.assertFalse(run.complete or run.trusted)
        self.assertEqual(run.reason,
                         "exit status says pass but KTAP reports failures")
        # Nothing from a self-contradicting run earns points.
        self.assertEqual(outcome(run, "s.a").status, ERROR)

    def test_fail_status_without_failures(self):
        run = judge(ALL_OK, 35, X86)
        self.assertEqual(run.reason,
                         "exit status says fail but KTAP reports no failures")
        self.assertEqual(outcome(run, "s.a").status, ERROR)

    def test_triple_fault_after_complete_ktap(self):
        run = judge(ALL_OK, 0, X86)
        self.assertEqual(run.reason, "triple fault / reset")
        self.assertFalse(run.trusted)

    def test_unexpected_status(self):
        run = judge(ALL_OK, 7)
        self.assertIn("unexpected status 7", run.reason)

    def test_sbi_shutdown_status_zero_alone_proves_nothing(self):
        run = judge("Duet booting\n", 0)
        self.assertFalse(run.complete)
        self.assertEqual(run.reason, "no KTAP output (exited with status 0)")


class BrokenRuns(unittest.TestCase):
    def test_crash_keeps_earlier_results(self):
        run = judge(CRASHED, 1)
        self.assertFalse(run.complete)
        self.assertTrue(run.trusted)
        self.assertEqual(run.reason,
                         "kernel trapped: panic: page fault at 0x1000")
        self.assertEqual(outcome(run, "s.a").status, PASS)
        missing = outcome(run, "s.b")
        self.assertEqual(missing.status, ERROR)
        self.assertEqual(missing.reason, run.reason)
        self.assertEqual(missing.diagnostics, ["# mapping 0x1000"])

    def test_output_just_stops(self):
        run = judge(HEAD + "    ok 1 a\n", 1)
        self.assertTrue(run.reason.startswith(
            "exited with status 1 before completing KTAP"), run.reason)

    def test_x86_triple_fault_mid_run(self):
        run = judge(HEAD + "    ok 1 a\n", 0, X86)
        self.assertEqual(run.reason, "triple fault / reset")
        self.assertEqual(outcome(run, "s.a").status, PASS)

    def test_timeout_names_last_output(self):
        run = judge(HEAD + "    ok 1 a\nspinning on lock\n\n", None,
                    timed_out=True)
        self.assertEqual(run.reason, "timeout after 30s (last output: "
                         "'spinning on lock')")
        self.assertEqual(outcome(run, "s.a").status, PASS)
        self.assertEqual(outcome(run, "s.b").status, ERROR)

    def test_timeout_with_no_output(self):
        run = judge("", None, timed_out=True)
        self.assertEqual(run.reason, "timeout after 30s (last output: none)")

    def test_trap_then_hang(self):
        run = judge(CRASHED, None, timed_out=True)
        self.assertTrue(run.reason.startswith("kernel trapped: panic:"))

    def test_timeout_after_complete_ktap_keeps_results(self):
        run = judge(ALL_OK, None, timed_out=True)
        self.assertFalse(run.complete)
        self.assertIn("timeout", run.reason)
        self.assertEqual(outcome(run, "s.a").status, PASS)

    def test_flood(self):
        run = judge(HEAD + "    ok 1 a\n" + "x" * 100, None, flooded=True)
        self.assertEqual(run.reason, "output flood")
        self.assertEqual(outcome(run, "s.a").status, PASS)
        self.assertEqual(outcome(run, "s.b").status, ERROR)

    def test_setup_error(self):
        raw = RawRun(setup_error="kernel image build/x86_64/duet.iso not "
                     "found: run make ARCH=x86_64")
        run = verdict.judge_run(raw, X86, 30)
        self.assertEqual(run.reason, raw.setup_error)
        self.assertEqual(outcome(run, "s.a").reason, raw.setup_error)

    def test_reasons_are_one_line(self):
        for run in (judge(CRASHED, 1), judge("", None, timed_out=True),
                    judge(HEAD, 1), judge(ONE_FAILS, 0)):
            self.assertNotIn("\n", run.reason)


class CorruptReports(unittest.TestCase):
    TWO = ("KTAP version 1\n1..2\n"
           "    # Subtest: s\n    1..2\n    ok 1 a\n    ok 2 b\nok 1 s\n"
           "    # Subtest: t\n    1..1\n    ok 1 c\nok 2 t\n")

    def test_corrupt_suite_costs_only_its_tests(self):
        run = judge(self.TWO.replace("    1..2\n", "    1..3\n"), 0)
        self.assertFalse(run.complete)
        self.assertTrue(run.trusted)
        self.assertEqual(run.reason, "corrupt KTAP: suite s: plan 1..3 but "
                         "2 result lines")
        for key in ("s.a", "s.b"):
            self.assertEqual(outcome(run, key).status, ERROR)
            self.assertTrue(outcome(run, key).reason.startswith("corrupt"))
        self.assertEqual(outcome(run, "t.c").status, PASS)

    def test_corruption_outside_suites_costs_everything(self):
        run = judge(self.TWO + "ok 2 t\n", 0)
        self.assertFalse(run.trusted)
        self.assertEqual(run.reason,
                         "corrupt KTAP: duplicate result for suite t")
        self.assertEqual(outcome(run, "s.a").status, ERROR)

    def test_untrusted_even_when_it_then_hangs(self):
        run = judge(self.TWO + "ok 2 t\n", None, timed_out=True)
        self.assertIn("timeout", run.reason)
        self.assertEqual(outcome(run, "s.a").status, ERROR)


class HostChecks(unittest.TestCase):
    def test_check_runs_on_ok_results_only(self):
        seen = []

        def check(result):
            seen.append(result.name)
            return "the host disagrees" if result.name == "a" else None
        run = verdict.judge_run(RawRun(output=ONE_FAILS, status=1), RISCV,
                                30, checks={"s": check})
        a = outcome(run, "s.a")
        self.assertEqual((a.status, a.reason),
                         (FAIL, "host check: the host disagrees"))
        self.assertEqual(outcome(run, "s.b").reason, "not ok")
        self.assertEqual(seen, ["a"])


if __name__ == "__main__":
    unittest.main()
