"""Tests of the manifest loader and validator, and the job planner."""

import copy
import json
import tempfile
import unittest
from pathlib import Path

import manifest
import scoring
from arches import ARCHES

GOOD = {
    "lab": 1,
    "title": "Physical memory",
    "groups": [
        {"name": "bump", "tests": "bump,memmap.*"},
        {"name": "smp", "tests": "bump.alloc_*", "smp": 4, "mem": "1G",
         "timeout": 5, "arch": ["riscv"], "cmdline": "quiet",
         "firmware": "fw_jump"},
    ],
    "points": {"bump.alloc_aligned": 2, "memmap.sorts": 1.5},
}


class Loading(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, data, name="lab1.json"):
        path = self.dir / name
        path.write_text(data if isinstance(data, str) else json.dumps(data))
        return path

    def broken(self, change):
        """Load GOOD after change(data); return the ManifestError text."""
        data = copy.deepcopy(GOOD)
        change(data)
        with self.assertRaises(manifest.ManifestError) as caught:
            manifest.load_lab(self.write(data))
        self.assertIn("lab1.json", str(caught.exception))
        return str(caught.exception)

    def test_real_manifests_are_valid(self):
        labs = manifest.load_labs(manifest.LABS)
        self.assertEqual(labs[0].number, 0)
        self.assertIn("ktest_selftest.passes", labs[0].points)
        for lab in labs:
            self.assertTrue(lab.points, f"lab {lab.number} awards no points")

    def test_defaults(self):
        lab = manifest.load_lab(self.write(GOOD))
        bump, smp = lab.groups
        self.assertEqual((bump.mem, bump.smp, bump.timeout, bump.arch,
                          bump.cmdline, bump.firmware),
                         ("128M", 1, 60, tuple(ARCHES), "", "fw_dynamic"))
        self.assertEqual((smp.smp, smp.mem, smp.arch, smp.firmware),
                         (4, "1G", ("riscv",), "fw_jump"))

    def test_kernel_cmdline(self):
        bump, smp = manifest.load_lab(self.write(GOOD)).groups
        self.assertEqual(bump.kernel_cmdline, "test=bump,memmap.*")
        self.assertEqual(smp.kernel_cmdline, "quiet test=bump.alloc_*")

    def test_globs_match_suite_or_full_name(self):
        bump, smp = manifest.load_lab(self.write(GOOD)).groups
        self.assertTrue(bump.runs("bump.anything"))
        self.assertTrue(bump.runs("memmap.sorts"))
        self.assertFalse(bump.runs("bumpy.x"))
        self.assertTrue(smp.runs("bump.alloc_aligned"))
        self.assertFalse(smp.runs("bump.free"))

    def test_point_not_run_by_any_group(self):
        def change(d):
            d["points"]["fdt.parses"] = 1
        self.assertIn("fdt.parses is not run by any group",
                      self.broken(change))

    def test_group_running_nothing_graded(self):
        def change(d):
            d["groups"].append({"name": "x", "tests": "nothing"})
        self.assertIn("runs no test", self.broken(change))

    def test_bad_values(self):
        cases = {
            "unknown key": lambda d: d["groups"][0].update(memory="1G"),
            "missing key": lambda d: d["groups"][0].pop("tests"),
            '"mem"': lambda d: d["groups"][0].update(mem="128"),
            '"smp"': lambda d: d["groups"][0].update(smp=0),
            '"timeout"': lambda d: d["groups"][0].update(timeout="60"),
            '"arch"': lambda d: d["groups"][0].update(arch=["arm"]),
            '"firmware"': lambda d: d["groups"][0].update(firmware="uboot"),
            '"cmdline"': lambda d: d["groups"][0].update(cmdline="test=x"),
            "no spaces": lambda d: d["groups"][0].update(tests="a, b"),
            "unique": lambda d: d["groups"].append(dict(d["groups"][0])),
            "suite.test": lambda d: d["points"].update(nodot=1),
            ">= 0": lambda d: d["points"].update({"bump.x": -1}),
            "file is named": lambda d: d.update(lab=2),
            '"groups"': lambda d: d.update(groups=[]),
        }
        for expected, change in cases.items():
            with self.subTest(expected):
                self.assertIn(expected, self.broken(change))

    def test_not_json(self):
        with self.assertRaises(manifest.ManifestError):
            manifest.load_lab(self.write("{ not json"))

    def test_load_labs_skips_missing(self):
        self.write(GOOD)
        labs = manifest.load_labs(range(8), self.dir)
        self.assertEqual([lab.number for lab in labs], [1])

    def test_settings(self):
        self.write(GOOD)
        self.assertFalse(manifest.load_labs([1], self.dir)[0].require_tags)
        self.write({"require_tags": True}, "grader.json")
        self.assertTrue(manifest.load_labs([1], self.dir)[0].require_tags)
        for bad in ({"require_tag": True}, {"require_tags": 1}, "[", []):
            self.write(bad, "grader.json")
            with self.assertRaises(manifest.ManifestError) as caught:
                manifest.load_labs([1], self.dir)
            self.assertIn("grader.json", str(caught.exception))

    def test_grader_words_are_the_graders(self):
        for word in ("ktap_nonce=1", "verify_seed=2"):
            def change(d, word=word):
                d["groups"][0]["cmdline"] = f"pmm=bump {word}"
            self.assertIn("the grader adds them", self.broken(change))

    def test_real_manifests_require_tags_and_verify_allocators(self):
        labs = {lab.number: lab for lab in manifest.load_labs(manifest.LABS)}
        self.assertTrue(all(lab.require_tags for lab in labs.values()))
        for number, pmm in ((1, "bump"), (2, "bitmap"), (3, "freelist")):
            groups = [g for g in labs[number].groups
                      if g.runs("pmm_verify.seeded_random_sequence")]
            self.assertEqual(len(groups), 1, number)
            self.assertEqual(groups[0].arch, tuple(ARCHES))
            self.assertIn(f"pmm={pmm}", groups[0].cmdline)


class Planning(unittest.TestCase):
    def setUp(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "lab1.json"
            path.write_text(json.dumps(GOOD))
            self.lab = manifest.load_lab(path)

    def test_one_job_per_group_and_arch(self):
        jobs = scoring.plan_jobs([self.lab], list(ARCHES.values()))
        self.assertEqual(sorted(j.label for j in jobs),
                         ["riscv lab1/bump", "riscv lab1/smp",
                          "x86_64 lab1/bump"])

    def test_tests_filter_drops_groups(self):
        jobs = scoring.plan_jobs([self.lab], list(ARCHES.values()),
                                 "memmap.*")
        self.assertEqual(sorted(j.label for j in jobs),
                         ["riscv lab1/bump", "x86_64 lab1/bump"])
        self.assertEqual(jobs[0].keys, ["memmap.sorts"])

    def test_arch_filter(self):
        jobs = scoring.plan_jobs([self.lab], [ARCHES["x86_64"]])
        self.assertEqual([j.label for j in jobs], ["x86_64 lab1/bump"])


if __name__ == "__main__":
    unittest.main()
