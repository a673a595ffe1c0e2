"""Tests of the Gradescope autograder: build the zip from a miniature
course, unpack it the way Gradescope does, and run run_autograder against
fixture submissions with the paths moved by environment variables.
The results.json is checked against Gradescope's format. No QEMU."""

import json
import stat
import unittest
import zipfile

from toolslib import (PYTHON, REPO, TempDirTest, make_course,
                      make_submission, run)

BUILDER = str(REPO / "tools" / "gradescope" / "build-autograder")


class Autograder(TempDirTest):

    def setUp(self):
        super().setUp()
        self.course, self.env = make_course(self.tmp)

    def build_zip(self, *extra):
        out = self.tmp / "autograder.zip"
        result = run([PYTHON, BUILDER, "--source", str(self.course), "--out",
                      str(out), *extra], env=self.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return out

    def unpack(self, zip_path):
        """/autograder as Gradescope lays it out, under self.tmp/ag."""
        root = self.tmp / "ag"
        with zipfile.ZipFile(zip_path) as zf:
            for info in zf.infolist():
                zf.extract(info, root / "source")
                mode = info.external_attr >> 16
                if mode:
                    (root / "source" / info.filename).chmod(mode & 0o777)
        return root

    def grade(self, root, submission_lines, files=None, **env):
        make_submission(root / "submission", submission_lines, files)
        result = run(["bash", str(root / "source" / "run_autograder")],
                     env=dict(self.env, AUTOGRADER_ROOT=str(root), **env),
                     cwd=root)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return json.loads((root / "results" / "results.json").read_text()), \
            result.stdout

    def check_format(self, results):
        """Gradescope's results.json: score and tests with the fields."""
        self.assertIsInstance(results["score"], (int, float))
        self.assertIsInstance(results["output"], str)
        for test in results["tests"]:
            self.assertIsInstance(test["name"], str)
            self.assertIsInstance(test["score"], (int, float))
            self.assertIsInstance(test["max_score"], (int, float))
            self.assertIn(test["status"], ("passed", "failed"))
        self.assertEqual(results["score"],
                         sum(t["score"] for t in results["tests"]))

    def test_zip_layout(self):
        with zipfile.ZipFile(self.build_zip("--lab", "1")) as zf:
            names = zf.namelist()
            modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
            conf = zf.read("autograder.conf").decode()
        self.assertIn("setup.sh", names)
        self.assertIn("run_autograder", names)
        self.assertTrue(modes["run_autograder"] & stat.S_IXUSR)
        self.assertTrue(modes["setup.sh"] & stat.S_IXUSR)
        for rel in ("Makefile", "tests/grader/grade.py", "tools/setup",
                    "tools/batch-grade", "tests/manifest/lab0.json"):
            self.assertIn(f"pristine/{rel}", names)
        self.assertFalse(any("__pycache__" in n for n in names))
        self.assertIn("GRADE_LAB=1\n", conf)
        setup = (REPO / "tools/gradescope/setup.sh").read_text()
        self.assertIn("pristine/tools/setup", setup)

    def test_a_submission_is_graded_with_pristine_tests(self):
        root = self.unpack(self.build_zip())
        results, stdout = self.grade(root, [
            "alloc.one ok", "alloc.two ok", "alloc.three fail"], {
                "tests/manifest/lab1.json": "{}",   # tampering is ignored
                "Makefile": "kernel:\n\tfalse\n"})
        self.check_format(results)
        self.assertEqual(results["score"], 3)
        by_name = {t["name"]: t for t in results["tests"]}
        self.assertEqual(sorted(by_name), ["lab0 alloc.one", "lab1 alloc.three",
                                           "lab1 alloc.two"])
        self.assertEqual((by_name["lab1 alloc.three"]["status"],
                          by_name["lab1 alloc.three"]["max_score"]), ("failed", 3))
        self.assertEqual(by_name["lab1 alloc.two"]["score"], 2)
        self.assertIn("were replaced: Makefile, tests/manifest/lab1.json",
                      results["output"])
        self.assertIn("Score: 3/6", stdout)

    def test_a_build_failure_scores_zero_with_every_test(self):
        root = self.unpack(self.build_zip())
        results, _ = self.grade(root, ["BROKEN"])
        self.check_format(results)
        self.assertEqual(results["score"], 0)
        self.assertEqual(len(results["tests"]), 3)
        self.assertIn("build failed (riscv)", results["output"])
        self.assertIn("error: expected ';'", results["output"])
        self.assertTrue(all(t["output"].startswith("not run: build failed")
                            for t in results["tests"]))

    def test_lab_from_the_environment(self):
        root = self.unpack(self.build_zip("--lab", "1"))
        results, _ = self.grade(root, ["alloc.one ok"], GRADE_LAB="0")
        self.check_format(results)
        self.assertEqual([t["name"] for t in results["tests"]],
                         ["lab0 alloc.one"])
        self.assertEqual(results["score"], 1)

    def test_autograder_failure_still_writes_results(self):
        root = self.unpack(self.build_zip())
        (root / "source" / "pristine" / "tools" / "batch-grade").write_text(
            "import sys; sys.exit(3)\n")
        results, _ = self.grade(root, ["alloc.one ok"])
        self.assertEqual(results["score"], 0)
        self.assertIn("autograder failed (status 3)", results["output"])

    def test_refuses_solution_code_in_restored_files(self):
        (self.course / "tests" / "kernel").mkdir()
        (self.course / "tests" / "kernel" / "x.c").write_text(
            "void f(void)\n{\n\t/* BEGIN SOLUTION lab1 */\n\tg();\n"
            "\t/* END SOLUTION */\n}\n")
        result = run([PYTHON, BUILDER, "--source", str(self.course), "--out",
                      str(self.tmp / "a.zip")], env=self.env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("tests/kernel/x.c: has solution regions", result.stderr)


if __name__ == "__main__":
    unittest.main()
