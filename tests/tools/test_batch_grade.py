"""Tests of tools/batch-grade on a miniature course (fake Makefile, real
grader, fake QEMU): scores, pristine restore, build failures, time limits.
No QEMU is booted."""

import csv
import json
import time
import unittest

from toolslib import (PYTHON, REPO, TempDirTest, load_tool, make_course,
                      make_submission, run)

TOOL = str(REPO / "tools" / "batch-grade")
ALL_OK = ["alloc.one ok", "alloc.two ok", "alloc.three ok"]
TAMPERED_MANIFEST = """{"lab": 0, "title": "mine", "groups": [{"name": "a",
 "tests": "alloc"}], "points": {"alloc.one": 100}}"""


class BatchGrade(TempDirTest):

    def setUp(self):
        super().setUp()
        self.course, self.env = make_course(self.tmp)
        self.subs = self.tmp / "submissions"

    def batch(self, *extra, timeout=60):
        out = self.tmp / "out"
        result = run([PYTHON, TOOL, str(self.subs), "--pristine",
                      str(self.course), "--out", str(out), "--jobs", "3",
                      *extra], env=self.env, timeout=timeout)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        with open(out / "scores.csv") as f:
            return {row["submission"]: row for row in csv.DictReader(f)}, out

    def test_a_class_of_submissions(self):
        make_submission(self.subs / "alice", ALL_OK, {
            # Edits to restored files must not change her grade.
            "tests/manifest/lab0.json": TAMPERED_MANIFEST,
            "Makefile": "kernel:\n\tfalse\n"})
        make_submission(self.subs / "bob", ["alloc.one ok", "alloc.two fail",
                                            "alloc.three fail"])
        make_submission(self.subs / "carol", ["BROKEN"])
        make_submission(self.subs / "dave" / "duet-main", ALL_OK)
        (self.subs / "erin").mkdir()
        (self.subs / "erin" / "README").write_text("I forgot the code\n")
        make_submission(self.subs / "gina", ["alloc.one ok", "hang"])
        rows, out = self.batch()
        self.assertEqual(list(rows), sorted(rows))
        self.assertEqual(list(rows["alice"]), ["submission", "score",
                                               "max_score", "status", "reason"])

        def check(name, score, max_score, status):
            row = rows[name]
            self.assertEqual((row["score"], row["max_score"], row["status"]),
                             (score, max_score, status), row)
            return row["reason"]

        reason = check("alice", "6", "6", "graded")
        self.assertIn("ignored edits to 2 restored file(s): Makefile, "
                      "tests/manifest/lab0.json", reason)
        self.assertEqual(check("bob", "1", "6", "graded"),
                         "2 of 3 tests failed")
        reason = check("carol", "0", "6", "build_failed")
        self.assertEqual(reason, "build failed (riscv): mm/alloc.c:3:1: "
                         "error: expected ';' before '}' token")
        check("dave", "6", "6", "graded")
        self.assertIn("no Duet tree", check("erin", "0", "6", "no_tree"))
        check("gina", "1", "6", "graded")
        logs = out / "logs"
        self.assertIn("error: expected ';'", (logs / "carol/build.log").read_text())
        self.assertIn("Score: 6/6", (logs / "alice/grade.log").read_text())
        results = json.loads((logs / "carol/results.json").read_text())
        self.assertEqual(results["score"], 0)
        self.assertEqual(len(results["tests"]), 3)
        self.assertTrue(all(t["status"] == "failed" and t["score"] == 0
                            for t in results["tests"]))
        self.assertIn("build failed", results["output"])

    def test_lab_option(self):
        make_submission(self.subs / "alice", ALL_OK)
        rows, _ = self.batch("--lab", "0")
        self.assertEqual((rows["alice"]["score"], rows["alice"]["max_score"]),
                         ("1", "1"))

    def test_a_hung_build_is_killed(self):
        make_submission(self.subs / "frank", ALL_OK, {
            "arch/riscv/arch.mk": "$(shell sleep 60)\n"})
        make_submission(self.subs / "alice", ALL_OK)
        start = time.monotonic()
        rows, _ = self.batch("--timeout", "3")
        self.assertLess(time.monotonic() - start, 30)
        self.assertEqual(rows["frank"]["status"], "timeout")
        self.assertEqual(rows["frank"]["score"], "0")
        self.assertIn("timed out after 3s while building riscv",
                      rows["frank"]["reason"])
        self.assertEqual(rows["alice"]["score"], "6")

    def test_usage_errors(self):
        result = run([PYTHON, TOOL, str(self.tmp / "nowhere"), "--pristine",
                      str(self.course)], env=self.env)
        self.assertEqual(result.returncode, 2)
        result = run([PYTHON, TOOL, "--single", str(self.tmp)], env=self.env)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--single needs --json", result.stderr)


class Helpers(TempDirTest):

    def test_makefile_arches(self):
        tool = load_tool("tools/batch-grade")
        path = self.write("Makefile", "ARCH ?= riscv\nARCHES := riscv\n"
                          "ARCHES += x86_64   # the port\n")
        self.assertEqual(tool.makefile_arches(path), ["riscv", "x86_64"])
        self.assertEqual(tool.makefile_arches(self.tmp / "none"), ["riscv"])

    def test_restore_replaces_and_reports(self):
        tool = load_tool("tools/batch-grade")
        pristine, tree = self.tmp / "pristine", self.tmp / "tree"
        self.write("Makefile", "ours\n", pristine)
        self.write("tests/a.c", "a\n", pristine)
        self.write("tests/tools/fixture.c", "instructor-only\n", pristine)
        self.write("tools/setup", "setup\n", pristine)
        self.write("Makefile", "theirs\n", tree)
        self.write("tests/a.c", "a\n", tree)
        self.write("tests/mine.c", "extra\n", tree)
        self.write("mm/work.c", "student work\n", tree)
        edited = tool.restore(pristine, tree)
        self.assertEqual(edited, ["Makefile", "tests/mine.c"])
        self.assertEqual((tree / "Makefile").read_text(), "ours\n")
        self.assertFalse((tree / "tests/mine.c").exists())
        self.assertFalse((tree / "tests/tools").exists())
        self.assertEqual((tree / "tools/setup").read_text(), "setup\n")
        self.assertEqual((tree / "mm/work.c").read_text(), "student work\n")


if __name__ == "__main__":
    unittest.main()
