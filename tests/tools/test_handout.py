"""Tests of tools/handout: the marker transformation, its refusals, the
leak check, the output directory rules and the handout-check verdict.

Fast: no QEMU, except EndToEndCheck, which runs only with DUET_E2E=1.
"""

import os
import re
import shutil
import unittest

from toolslib import (FIXTURES, PYTHON, REPO, TempDirTest, clean_env,
                      load_tool, run)

handout = load_tool("tools/handout")
FIXTURE = FIXTURES / "handout-src"
TOOL = str(REPO / "tools" / "handout")


def build(source, out, *extra):
    return run([PYTHON, TOOL, "build", "--source", str(source), "--out",
                str(out), *extra])


def strip_markers(text):
    """What the reference becomes when every region is kept."""
    text = re.sub(r"^/\* SOLUTION FILE lab\d \*/\n", "", text)
    text = re.sub(r"^[ \t]*/\* STUB\n.*?^[ \t]*END SOLUTION \*/\n", "", text,
                  flags=re.M | re.S)
    return re.sub(r"^[ \t]*/\* (BEGIN SOLUTION lab\d|END SOLUTION) \*/\n",
                  "", text, flags=re.M)


BUMP_LAB0 = """\
/* Fixture: a bump allocator with solution regions of labs 1 to 3. */
#include "kernel/panic.h"

static paddr_t next_free;
static paddr_t limit;

paddr_t bump_alloc(size_t npages, size_t align_pages)
{
\t(void)npages;
\t(void)align_pages;
\tpanic("%s: not implemented (lab 1)", __func__);
}

size_t bump_remaining(void)
{
\treturn 0;
}

void bump_init(paddr_t start,
\t       paddr_t end)
{
\tnext_free = start;
\tif (end > start) {
\t        limit = start;
\t}
}

int bump_check(paddr_t pa, void (*report)(paddr_t))
{
\t(void)pa;
\t(void)report;
\tpanic("%s: not implemented (lab 2)", __func__);
}
"""


class FixtureHandout(TempDirTest):
    """The fixture tree (tests/tools/fixtures/handout-src) at several LABs."""

    def make(self, lab):
        src = self.tmp / "src"
        if not src.exists():
            shutil.copytree(FIXTURE, src)
            # Junk a directory walk must leave out.
            self.write("build/riscv/kernel.elf", "junk", src)
            self.write("mm/__pycache__/x.pyc", "junk", src)
        out = self.tmp / f"out{lab}"
        result = build(src, out, "--lab", str(lab))
        self.assertEqual(result.returncode, 0, result.stderr)
        return out

    def files(self, out):
        return sorted(str(p.relative_to(out)) for p in out.rglob("*")
                      if p.is_file())

    def test_lab0_stubs_every_region(self):
        out = self.make(0)
        self.assertEqual((out / "mm/bump.c").read_text(), BUMP_LAB0)
        self.assertEqual((out / "arch/riscv/entry.S").read_text(),
                         "/* Fixture: assembly with a region that gives its "
                         "own stub. */\n\t.globl fixture_entry\n"
                         "fixture_entry:\n\tnop\n\tret\n")

    def test_lab0_file_set(self):
        out = self.make(0)
        self.assertEqual(self.files(out), [
            ".github/workflows/classroom.yml", "Makefile", "README.md",
            "arch/riscv/entry.S", "docs/students.md", "kernel/panic.h",
            "kernel/plain.c", "labs/README.md", "mm/buddy.c", "mm/bump.c",
            "tests/manifest/lab0.json", "tests/manifest/lab1.json"])
        self.assertEqual((out / "mm/buddy.c").read_text(),
                         (FIXTURE / "mm/buddy.c.stub").read_text())
        self.assertEqual((out / "kernel/plain.c").read_bytes(),
                         (FIXTURE / "kernel/plain.c").read_bytes())

    @unittest.skipUnless(shutil.which("gcc"), "needs gcc")
    def test_stubs_compile_without_warnings(self):
        for lab in (0, 2, 3, 8):
            out = self.make(lab)
            sources = sorted(str(p) for p in out.glob("*/*.c"))
            result = run(["gcc", "-std=gnu11", "-fsyntax-only", "-Wall",
                          "-Wextra", "-Werror", "-I", str(out), *sources])
            self.assertEqual(result.returncode, 0,
                             f"LAB={lab}:\n{result.stderr}")

    def test_lab2_keeps_lab1_and_stubs_the_rest(self):
        text = (self.make(2) / "mm/bump.c").read_text()
        self.assertIn("\tnext_free = start + npages * 4096;\n", text)
        self.assertIn("return (size_t)((limit - next_free) / 4096);", text)
        self.assertIn('panic("%s: not implemented (lab 2)", __func__);', text)
        self.assertNotIn("round_up_to_pages", text)
        self.assertNotIn("upside down", text)
        self.assertNotIn("SOLUTION", text)
        self.assertNotIn("STUB", text)

    def test_lab6_keeps_lab5_files(self):
        out = self.make(6)
        self.assertEqual((out / "mm/secret.c").read_text(), strip_markers(
            (FIXTURE / "mm/secret.c").read_text()))
        self.assertIn("csrw\tsatp", (out / "arch/riscv/entry.S").read_text())
        self.assertEqual((out / "mm/buddy.c").read_text(),
                         (FIXTURE / "mm/buddy.c.stub").read_text())

    def test_lab8_is_the_reference_without_markers(self):
        out = self.make(8)
        for rel in ("mm/bump.c", "mm/buddy.c", "mm/secret.c",
                    "arch/riscv/entry.S", "kernel/plain.c"):
            self.assertEqual((out / rel).read_text(),
                             strip_markers((FIXTURE / rel).read_text()), rel)
        self.assertFalse((out / "mm/buddy.c.stub").exists())

    def test_classroom_workflow_has_one_step_per_lab(self):
        text = (self.make(0) / ".github/workflows/classroom.yml").read_text()
        self.assertIn("make grade GRADE_FLAGS='--only-lab 0'", text)
        self.assertIn("make grade GRADE_FLAGS='--only-lab 1'", text)
        self.assertIn("max-score: 3\n", text)
        self.assertIn("max-score: 4.5\n", text)
        self.assertIn("runners: lab0,lab1\n", text)
        self.assertIn('LAB1_RESULTS: "${{steps.lab1.outputs.result}}"', text)
        self.assertNotRegex(text, r"@[A-Z]+@|#@")

    def test_modes_are_kept(self):
        src = self.tmp / "src"
        shutil.copytree(FIXTURE, src)
        os.chmod(src / "mm/bump.c", 0o755)
        result = build(src, self.tmp / "out")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(os.access(self.tmp / "out/mm/bump.c", os.X_OK))

    def test_list(self):
        result = run([PYTHON, TOOL, "list", "--source", str(FIXTURE)])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("lab1  mm/bump.c:17-23", result.stdout)
        self.assertRegex(result.stdout, r"lab7  mm/buddy.c .*replaced by .stub")
        self.assertRegex(result.stdout, r"lab5  mm/secret.c .*omitted")


class MarkerErrors(TempDirTest):
    """Bad markers are refused with file:line, and nothing is written."""

    def refuse(self, files, *expected):
        src = self.tmp / "src"
        self.write("Makefile", "ARCHES := riscv\n", src)
        for rel, text in files.items():
            self.write(rel, text, src)
        out = self.tmp / "out"
        result = build(src, out)
        self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
        for text in expected:
            self.assertIn(text, result.stderr)
        self.assertFalse(out.exists())
        return result.stderr

    def test_never_closed(self):
        self.refuse({"a.c": "int x;\nvoid f(void)\n{\n\t/* BEGIN SOLUTION lab1 */\n"
                     "\tx = 1;\n}\n"}, "a.c:4: BEGIN SOLUTION lab1 is never closed")

    def test_end_without_begin(self):
        self.refuse({"a.c": "int x;\n/* END SOLUTION */\n"},
                    "a.c:2: END SOLUTION without a BEGIN SOLUTION")

    def test_nested(self):
        self.refuse({"a.c": "/* BEGIN SOLUTION lab1 */\n/* BEGIN SOLUTION lab2 */\n"
                     "/* END SOLUTION */\n/* END SOLUTION */\n"},
                    "a.c:2: nested BEGIN SOLUTION", "a.c:4: END SOLUTION without")

    def test_unknown_lab(self):
        self.refuse({"a.c": "/* BEGIN SOLUTION lab9 */\nint x;\n/* END SOLUTION */\n"},
                    "a.c:1: unknown lab lab9")

    def test_stub_outside_region(self):
        self.refuse({"a.c": "int x;\n/* STUB\n   END SOLUTION */\n"},
                    "a.c:2: /* STUB outside a solution region",
                    "a.c:3: 'END SOLUTION */' without")

    def test_solution_file_not_first(self):
        self.refuse({"a.c": "int x;\n/* SOLUTION FILE lab7 */\n"},
                    "a.c:2: SOLUTION FILE must be the very first line")

    def test_malformed_markers(self):
        err = self.refuse({"a.c": "/* BEGIN SOLUTION lab 1 */\nint x;\n"
                           "/* begin solution lab1 */\n"},
                          "a.c:1: malformed solution marker",
                          "a.c:3: malformed solution marker")

    def test_stub_must_not_close_the_comment(self):
        self.refuse({"a.c": "void f(void)\n{\n\t/* BEGIN SOLUTION lab1 */\n"
                     "\tg();\n\t/* STUB\n\th(); /* no */\n\t   END SOLUTION */\n}\n"},
                    "a.c:6: a STUB cannot contain '*/'")

    def test_stub_closed_like_a_region(self):
        self.refuse({"a.c": "/* BEGIN SOLUTION lab1 */\nint x;\n/* STUB\n"
                     "int y;\n/* END SOLUTION */\n"},
                    "a.c:5: a STUB comment ends with a line 'END SOLUTION */'")

    def test_markers_outside_c_files(self):
        self.refuse({"notes.md": "# Notes\n/* BEGIN SOLUTION lab1 */\n"},
                    "notes.md:2: solution markers are only understood in "
                    "C-family files")

    def test_orphan_stub_file(self):
        self.refuse({"mm/x.c": "int x;\n", "mm/x.c.stub": "int x;\n"},
                    "mm/x.c.stub:1: a .stub file needs")

    def test_indented_asm_region_needs_a_stub(self):
        self.refuse({"e.S": "f:\n\t/* BEGIN SOLUTION lab5 */\n\tnop\n"
                     "\t/* END SOLUTION */\n"},
                    "e.S:2: an indented region in a .S file needs a /* STUB")

    def test_every_error_is_listed(self):
        self.refuse({"a.c": "/* END SOLUTION */\n",
                     "b/c.h": "/* BEGIN SOLUTION lab12 */\n/* END SOLUTION */\n"},
                    "a.c:1:", "b/c.h:1: unknown lab lab12")


class LeakCheck(TempDirTest):
    """The written handout is grepped for markers and solution lines."""

    def source(self, extra):
        src = self.tmp / "src"
        shutil.copytree(FIXTURE, src)
        for rel, text in extra.items():
            self.write(rel, text, src)
        return src

    def test_a_solution_line_elsewhere_is_a_leak(self):
        src = self.source({"labs/notes.md": "Hint:\n\tnext_free = start + "
                          "npages * 4096;\n"})
        out = self.tmp / "out"
        out.mkdir()
        (out / "Makefile").write_text("old handout\n")
        (out / "kernel").mkdir()
        result = build(src, out)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("labs/notes.md:2: repeats a solution line from "
                      "mm/bump.c:21 (lab 1)", result.stderr)
        # The previous handout is left as it was; no staging dir remains.
        self.assertEqual((out / "Makefile").read_text(), "old handout\n")
        self.assertEqual(sorted(p.name for p in self.tmp.iterdir()),
                         ["out", "src"])

    def test_the_leak_is_fine_once_that_lab_is_kept(self):
        src = self.source({"labs/notes.md":
                          "\tnext_free = start + npages * 4096;\n"})
        self.assertEqual(build(src, self.tmp / "out", "--lab", "2")
                         .returncode, 0)

    def test_lines_also_in_code_outside_regions_are_not_distinctive(self):
        shared = "\tif (start + npages * 4096 > limit)\n"
        src = self.source({"kernel/other.c": "int g(unsigned long start, "
                           "unsigned long npages, unsigned long limit)\n{\n" +
                           shared + "\t\treturn 1;\n\treturn 0;\n}\n"})
        result = build(src, self.tmp / "out")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_short_lines_are_not_distinctive(self):
        src = self.source({"labs/notes.md": "\treturn start;\n"})
        self.assertEqual(build(src, self.tmp / "out").returncode, 0)

    def test_a_stubbed_solution_file_is_checked_too(self):
        src = self.source({"labs/notes.md": "return order > 10 ? PHYS_NONE : "
                           "(paddr_t)0x80000000UL << order;\n"})
        result = build(src, self.tmp / "out")
        self.assertEqual(result.returncode, 1)
        self.assertIn("mm/buddy.c:7 (lab 7)", result.stderr)

    def test_verify_catches_a_rendering_bug(self):
        """Even if render() leaked a region, verify() would catch it."""
        plan = handout.plan_handout(FIXTURE, 0)
        dest = self.tmp / "dest"
        handout.write_tree(plan, dest)
        self.assertEqual(handout.verify(dest, plan)[0], [])
        region = next(r for r in plan.stubbed if r.function == "bump_alloc")
        with open(dest / "mm/bump.c", "a") as f:
            f.writelines(region.body)
        problems, _ = handout.verify(dest, plan)
        self.assertTrue(any("repeats a solution line" in p for p in problems))
        (dest / "x.txt").write_text("a\n" + "/* END " + "SOLUTION */\n")
        problems, _ = handout.verify(dest, plan)
        self.assertIn("x.txt:2: contains 'END SOLUTION'", problems)


class OutDir(TempDirTest):
    """Where a handout may be written, and what survives a rewrite."""

    def src(self):
        src = self.tmp / "src"
        shutil.copytree(FIXTURE, src)
        return src

    def test_refuses_dangerous_places(self):
        src = self.src()
        for out, why in ((src, "contains the source tree"),
                         (self.tmp, "contains the source tree"),
                         (src / "handout", "inside the source tree")):
            result = build(src, out)
            self.assertEqual(result.returncode, 2)
            self.assertIn(why, result.stderr)
        self.assertEqual(build(src, src / "build" / "handout").returncode, 0)

    def test_refuses_a_non_empty_foreign_directory(self):
        src = self.src()
        out = self.tmp / "elsewhere"
        self.write("precious.txt", "keep me", out)
        result = build(src, out)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--force", result.stderr)
        self.assertTrue((out / "precious.txt").exists())
        self.assertEqual(build(src, out, "--force").returncode, 0)
        self.assertFalse((out / "precious.txt").exists())

    def test_rewrite_keeps_git_and_drops_stale_files(self):
        src = self.src()
        out = self.tmp / "starter"
        self.assertEqual(build(src, out).returncode, 0)
        self.write(".git/HEAD", "ref: refs/heads/main\n", out)
        self.write("mm/stale.c", "old\n", out)
        self.assertEqual(build(src, out, "--lab", "2").returncode, 0)
        self.assertTrue((out / ".git/HEAD").exists())
        self.assertFalse((out / "mm/stale.c").exists())
        self.assertIn("next_free = start + npages", (out / "mm/bump.c").read_text())


@unittest.skipUnless(shutil.which("git"), "needs git")
class GitSource(TempDirTest):
    """In a git tree only tracked files are copied (untracked on request)."""

    def test_tracked_files_only(self):
        src = self.tmp / "src"
        shutil.copytree(FIXTURE, src)
        self.write(".gitignore", "/build/\n", src)
        git = ["git", "-C", str(src)]
        self.assertEqual(run(git + ["init", "-q"]).returncode, 0)
        self.assertEqual(run(git + ["add", "."]).returncode, 0)
        self.write("mm/scratch.c", "int scratch;\n", src)
        self.write("build/riscv/kernel.elf", "junk", src)
        out = self.tmp / "out"
        result = build(src, out)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("left out 1 untracked file(s)", result.stderr)
        self.assertIn("mm/scratch.c", result.stderr)
        self.assertFalse((out / "mm/scratch.c").exists())
        self.assertTrue((out / ".gitignore").exists())
        self.assertEqual(build(src, out, "--untracked").returncode, 0)
        self.assertTrue((out / "mm/scratch.c").exists())
        self.assertFalse((out / "build").exists())


class Signatures(unittest.TestCase):
    """Which parameters the default stub must (void)."""

    def test_signatures(self):
        sig = handout._signature
        self.assertEqual(sig("paddr_t bump_alloc(size_t npages, size_t a)"),
                         ("bump_alloc", ["npages", "a"]))
        self.assertEqual(sig("static noreturn void f(void)"), ("f", []))
        self.assertEqual(sig("int g(void (*fn)(void), char buf[16], "
                             "const struct x *const *pp, ...)"),
                         ("g", ["fn", "buf", "pp"]))
        self.assertEqual(sig("__attribute__((unused)) int h(int a /* x */)"),
                         ("h", ["a"]))
        self.assertEqual(sig("KTEST(bitmap, alloc)"), ("KTEST", []))

    def test_params_used_outside_the_region_are_left_alone(self):
        src = handout.parse("x.c", "int f(int a, int b,\n      int c)\n{\n"
                            "\tif (a)\n\t\treturn 0;\n"
                            "\t/* BEGIN SOLUTION lab1 */\n\treturn b + c;\n"
                            "\t/* END SOLUTION */\n}\n")
        self.assertEqual(src.regions[0].params, ["b", "c"])
        text, _ = handout.render(src, 0)
        self.assertIn("\t(void)b;\n\t(void)c;\n\tpanic(", text)

    def test_crlf_files_stay_crlf(self):
        src = handout.parse("x.c", "void f(void)\r\n{\r\n\t/* BEGIN SOLUTION "
                            "lab1 */\r\n\tg();\r\n\t/* END SOLUTION */\r\n}\r\n")
        text, _ = handout.render(src, 0)
        self.assertEqual(text, 'void f(void)\r\n{\r\n\tpanic("%s: not '
                         'implemented (lab 1)", __func__);\r\n}\r\n')


class Judge(unittest.TestCase):
    """handout-check's rule: infrastructure and solved labs pass, stubbed
    labs fail, nothing hangs."""

    def results(self, passing, output="Score: 1/9"):
        names = ["lab0 ktest_selftest.passes", "lab0 memmap.sorted",
                 "lab1 bump.alloc", "lab2 bitmap.alloc"]
        return {"score": 1, "output": output, "tests": [
            {"name": n, "status": "passed" if n in passing else "failed",
             "output": "riscv/g: FAIL: not ok"} for n in names]}

    def test_starter(self):
        problems, counts = handout.judge(
            self.results({"lab0 ktest_selftest.passes"}), 0, ["ktest_selftest.*"])
        self.assertEqual(problems, [])
        self.assertEqual(counts, {"infra": [1, 1], "solved": [0, 0],
                                  "stubbed": [0, 3]})

    def test_per_lab_handout(self):
        passing = {"lab0 ktest_selftest.passes", "lab0 memmap.sorted",
                   "lab1 bump.alloc"}
        problems, _ = handout.judge(self.results(passing), 2, ["ktest_selftest.*"])
        self.assertEqual(problems, [])
        problems, _ = handout.judge(self.results(passing), 1, ["ktest_selftest.*"])
        self.assertEqual(problems, [
            "lab 1 is stubbed, yet 1 of its test(s) pass (the starter earns "
            "points for free: mark the solution, make the stubs panic, or "
            "test more): bump.alloc"])

    def test_failures(self):
        problems, _ = handout.judge(self.results(set()), 1, ["ktest_selftest.*"])
        self.assertEqual(problems, [
            "lab 0: 1 infrastructure test(s) fail, and must pass in every "
            "handout: ktest_selftest.passes",
            "lab 0 is solved in a LAB=1 handout, yet 1 of its test(s) fail: "
            "memmap.sorted"])
        problems, _ = handout.judge(self.results(
            {"lab0 ktest_selftest.passes"}, "Score: 1/9\nBroken runs:\n  riscv "
            "lab1/g: timeout after 30s (last output: 'x')"), 0, ["ktest_selftest.*"])
        self.assertEqual(len(problems), 1)
        self.assertIn("hung until its timeout", problems[0])
        self.assertEqual(handout.judge({"tests": []}, 0, [])[0],
                         ["the grader reported no tests"])


class Arches(TempDirTest):
    def test_makefile_and_arch_dirs(self):
        self.write("Makefile", "ARCH ?= riscv\nARCHES := riscv  # the list\n")
        self.assertEqual(handout.tree_arches(self.tmp), ["riscv"])
        self.write("arch/x86_64/arch.mk", "")
        self.write("arch/riscv/arch.mk", "")
        self.assertEqual(handout.tree_arches(self.tmp), ["riscv", "x86_64"])


class RealTree(TempDirTest):
    """make handout on this very tree (no QEMU): it must succeed."""

    def test_real_tree(self):
        out = self.tmp / "handout"
        result = run([PYTHON, TOOL, "build", "--out", str(out), "--untracked"])
        self.assertEqual(result.returncode, 0, result.stderr)
        for rel in ("tools/handout", "tools/batch-grade", "tools/gradescope",
                    "tools/instructor.mk", "tests/tools", "docs/instructors.md",
                    "build"):
            self.assertFalse((out / rel).exists(), rel)
        self.assertTrue((out / ".github/workflows/classroom.yml").is_file())
        self.assertTrue((out / "Makefile").is_file())


@unittest.skipUnless(os.environ.get("DUET_E2E") == "1",
                     "end-to-end handout check boots QEMU: set DUET_E2E=1")
class EndToEndCheck(TempDirTest):
    """OPTIONAL, SLOW, BOOTS QEMU: tools/handout check on this tree
    (build both arches, boot to duet>, grade: infrastructure passes, every
    lab test fails)."""

    def test_starter_tree(self):
        result = run([PYTHON, TOOL, "check", "--lab", "0", "--untracked",
                      "--out", str(self.tmp / "handout")], timeout=3600,
                     env=clean_env())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("handout-check PASSED", result.stdout)


if __name__ == "__main__":
    unittest.main()
