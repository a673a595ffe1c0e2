"""From manifests to boots (jobs), and from judged boots to points.

A test may run in several boots: one per architecture, and one per group
that selects it (e.g. the same suite under two firmwares). It earns its
points only if it passes in every one of them, so a kernel that works on
one machine by luck does not get full marks.
"""

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Optional

import verdict
from verdict import ERROR, FAIL, PASS, SKIP

# When one test has several outcomes on the same arch, show the worst.
SEVERITY = {PASS: 0, SKIP: 1, ERROR: 2, FAIL: 3}


@dataclass
class Job:
    """One QEMU boot: a group of one lab on one architecture."""
    lab: object                   # manifest.Lab
    group: object                 # manifest.Group
    arch: object                  # arches.Arch
    keys: list                    # graded tests this boot must report
    raw: Optional[object] = None      # qemu.RawRun, once it ran
    run: Optional[verdict.RunVerdict] = None
    challenge: Optional[object] = None    # binding.Challenge of its boot

    @property
    def label(self):
        return f"{self.arch.name} lab{self.lab.number}/{self.group.name}"


@dataclass
class TestGrade:
    """One graded test of one lab, with its outcome in every boot."""
    lab: object
    key: str
    points: float
    outcomes: list = field(default_factory=list)  # (Job, TestOutcome)

    @property
    def awarded(self):
        return bool(self.outcomes) and all(
            o.status == PASS for _, o in self.outcomes)

    @property
    def score(self):
        return self.points if self.awarded else 0

    def arch_status(self, arch_name):
        """Worst status on that arch, or None if it did not run there."""
        found = [o.status for job, o in self.outcomes
                 if job.arch.name == arch_name]
        return max(found, key=SEVERITY.get) if found else None

    def passing_arches(self, arch_names):
        return [a for a in arch_names if self.arch_status(a) == PASS]

    def failures(self):
        return [(j, o) for j, o in self.outcomes if o.status != PASS]


def selected_keys(lab, test_glob):
    """The lab's graded tests, filtered by --tests."""
    return [k for k in lab.points if not test_glob or
            any(fnmatchcase(k, g) for g in test_glob.split(","))]


def plan_jobs(labs, arches, test_glob=None):
    """One Job per (lab, group, arch) that runs at least one selected test."""
    jobs = []
    for lab in labs:
        keys = selected_keys(lab, test_glob)
        for group in lab.groups:
            group_keys = [k for k in keys if group.runs(k)]
            for arch in arches:
                if group_keys and arch.name in group.arch:
                    jobs.append(Job(lab, group, arch, group_keys))
    return jobs


def grade(labs, jobs, test_glob=None):
    """TestGrades for every selected test, from jobs that have run.

    A test that no job ran (e.g. riscv-only while grading --arch x86_64)
    is left out rather than failed: it was not selected.
    """
    grades = []
    for lab in labs:
        for key in selected_keys(lab, test_glob):
            g = TestGrade(lab, key, lab.points[key])
            for job in jobs:
                if job.lab is lab and key in job.keys:
                    g.outcomes.append((job, verdict.judge_test(job.run, key)))
            if g.outcomes:
                grades.append(g)
    return grades
