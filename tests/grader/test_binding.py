"""Tests of the nonce tags (binding.py) and how the verdict uses them."""

import unittest

import binding
import ktap
import verdict
from arches import ARCHES
from fake_qemu import ktap as fake_report
from qemu import RawRun
from verdict import ERROR, FAIL, PASS

RISCV = ARCHES["riscv"]
NONCE = "00112233aabbccdd"


def report_text(nonce=NONCE, **kw):
    return "\n".join(fake_report(nonce=nonce, **kw)) + "\n"


def judge(text, status=0, nonce=NONCE):
    return verdict.judge_run(RawRun(output=text, status=status), RISCV, 30,
                             nonce=nonce)


class Tags(unittest.TestCase):
    def test_fnv1a_known_answers(self):
        self.assertEqual(binding.fnv1a64(b""), 0xcbf29ce484222325)
        self.assertEqual(binding.fnv1a64(b"a"), 0xaf63dc4c8601ec8c)

    def test_same_tag_as_the_kernel(self):
        # Printed by kernel/ktest.c, booted with ktap_nonce=00112233aabbccdd.
        self.assertEqual(binding.tag(NONCE, "ktest_selftest", 3,
                                     "panic_releases_locks", "ok"),
                         "5174d73f14dcc053")
        self.assertEqual(binding.tag(NONCE, "", 1, "ktest_selftest", "ok"),
                         "03ca3f5146807ad6")

    def test_every_field_counts(self):
        base = binding.tag(NONCE, "s", 1, "a", "ok")
        for other in (binding.tag("ff" + NONCE[2:], "s", 1, "a", "ok"),
                      binding.tag(NONCE, "t", 1, "a", "ok"),
                      binding.tag(NONCE, "s", 2, "a", "ok"),
                      binding.tag(NONCE, "s", 1, "b", "ok"),
                      binding.tag(NONCE, "s", 1, "a", "not ok")):
            self.assertNotEqual(base, other)

    def test_challenges_are_fresh(self):
        a, b = binding.Challenge.fresh(), binding.Challenge.fresh()
        self.assertNotEqual(a, b)
        self.assertRegex(a.nonce, r"^[0-9a-f]{16}$")
        self.assertTrue(1 <= a.seed < 2**63)
        self.assertEqual(a.cmdline,
                         f"ktap_nonce={a.nonce} verify_seed={a.seed}")


class Parsing(unittest.TestCase):
    def test_tag_is_taken_off_and_kept(self):
        text = report_text()
        result = ktap.parse(text).result("ktest_selftest.passes")
        self.assertEqual(result.name, "passes")
        self.assertEqual(result.directive, "")
        self.assertRegex(result.tag, r"^[0-9a-f]{16}$")
        self.assertEqual((result.number, result.verdict), (1, "ok"))

    def test_skip_directive_survives_the_tag(self):
        tag = binding.tag(NONCE, "s", 1, "a", "skip")
        text = ("KTAP version 1\n1..1\n    # Subtest: s\n    1..1\n"
                f"    ok 1 a # SKIP no FPU # tag:{tag}\n"
                f"ok 1 s # tag:{binding.tag(NONCE, '', 1, 's', 'ok')}\n")
        report = ktap.parse(text)
        result = report.result("s.a")
        self.assertTrue(result.skip)
        self.assertEqual(result.directive, "SKIP no FPU")
        self.assertEqual(binding.verify(report, NONCE), [])
        outcome = verdict.judge_test(judge(text), "s.a")
        self.assertEqual((outcome.status, outcome.reason),
                         ("SKIP", "skipped: no FPU"))


class Verdicts(unittest.TestCase):
    def test_tagged_report_passes(self):
        run = judge(report_text())
        self.assertTrue(run.complete, run.reason)
        self.assertEqual(verdict.judge_test(run, "ktest_selftest.passes")
                         .status, PASS)

    def test_canned_report_earns_nothing(self):
        run = judge(report_text(nonce=None))
        self.assertFalse(run.complete)
        self.assertEqual(run.reason, "4 of 4 result line(s) not bound to "
                         "this boot (no nonce tag: canned output?), first: "
                         "'ok 1 passes'")
        outcome = verdict.judge_test(run, "ktest_selftest.passes")
        self.assertEqual(outcome.status, FAIL)
        self.assertIn("no nonce tag", outcome.reason)

    def test_replayed_report_earns_nothing(self):
        run = judge(report_text(nonce="ffffffffffffffff"))
        self.assertIn("wrong nonce tag", run.reason)
        for test in ("passes", "expect_panic_caught", "suite_exit"):
            self.assertEqual(verdict.judge_test(
                run, f"ktest_selftest.{test}").status, FAIL)

    def test_one_bad_line_costs_one_test(self):
        lines = fake_report(nonce=NONCE)
        i = next(i for i, l in enumerate(lines) if "ok 2 " in l)
        lines[i] = lines[i][:-1] + ("0" if lines[i][-1] != "0" else "1")
        run = judge("\n".join(lines))
        self.assertFalse(run.complete)
        self.assertTrue(run.reason.startswith("1 of 4 result line(s)"))
        self.assertEqual(verdict.judge_test(
            run, "ktest_selftest.passes").status, PASS)
        self.assertEqual(verdict.judge_test(
            run, "ktest_selftest.expect_panic_caught").status, FAIL)

    def test_untagged_fabrication_beside_real_results(self):
        # A kernel prints its real (tagged) results, then an extra suite.
        text = report_text().replace("1..1\n", "1..2\n", 1) + \
            "    # Subtest: bump\n    1..1\n    ok 1 free_panics\nok 2 bump\n"
        run = judge(text)
        self.assertEqual(verdict.judge_test(run, "bump.free_panics").status,
                         FAIL)
        self.assertEqual(verdict.judge_test(run, "ktest_selftest.passes")
                         .status, PASS)

    def test_fabrication_and_a_lying_status_trust_nothing(self):
        lines = fake_report(nonce=NONCE, failing=["expect_panic_caught"])
        lines[-1] = lines[-1].replace("not ok", "ok")   # untagged now
        run = judge("\n".join(lines), status=0)   # "pass", despite a failure
        self.assertIn("not bound", run.reason)
        self.assertFalse(run.trusted)
        self.assertEqual(verdict.judge_test(run, "ktest_selftest.passes")
                         .status, ERROR)

    def test_without_a_nonce_tags_are_not_required(self):
        run = judge(report_text(nonce=None), nonce=None)
        self.assertTrue(run.complete, run.reason)

    def test_truncated_run_keeps_its_reason(self):
        text = report_text(nonce=None, stop_after=1)
        run = judge(text, status=1)
        self.assertTrue(run.reason.startswith("exited with status 1"))
        self.assertEqual(verdict.judge_test(
            run, "ktest_selftest.passes").status, FAIL)
        self.assertEqual(verdict.judge_test(
            run, "ktest_selftest.suite_exit").status, ERROR)


if __name__ == "__main__":
    unittest.main()
