"""What the grader prints: progress, the results table, logs and the score.

The table is for students: one row per graded test, one column per
architecture, and under a failed test the reason and the kernel's own
diagnostics (the "# file:line: expected ..." lines). A run that broke
(crash, timeout, missing image) is explained once, under "Broken runs",
rather than under every test it took down.
"""

import os
import sys

from verdict import ERROR, FAIL, PASS, SKIP

COLOURS = {PASS: "32", FAIL: "31", ERROR: "35", SKIP: "33", "bold": "1"}
DIAGNOSTIC_LINES = 12         # per failure, in the table
LOG_LINES = 200               # per run, with --verbose


def use_colour():
    """ANSI colour only on a terminal, and never when NO_COLOR is set."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def paint(text, style, colour):
    code = COLOURS.get(style)
    return f"\033[{code}m{text}\033[0m" if colour and code else text


def number(value):
    """2.0 -> "2", 1.5 -> "1.5"."""
    return f"{value:g}"


def progress(done, total, job, colour):
    """One line as each boot finishes, so a long run never looks hung."""
    run = job.run
    state = paint("complete", PASS, colour) if run.complete else \
        paint("broken", FAIL, colour) + f": {run.reason}"
    elapsed = f" ({job.raw.elapsed:.1f}s)" if job.raw.elapsed else ""
    print(f"[{done}/{total}] {job.label}{elapsed}: {state}", flush=True)


def table(labs, grades, arch_names, colour):
    """The per-lab results table with reasons under failed tests."""
    width = max([len(g.key) for g in grades] + [len("test")])
    for lab in labs:
        rows = [g for g in grades if g.lab is lab]
        if not rows:
            continue
        print()
        print(paint(f"Lab {lab.number}: {lab.title}", "bold", colour))
        header = "".join(f"{a:<8}" for a in arch_names)
        print(f"  {'test':<{width}}  {header}points")
        for g in rows:
            _row(g, width, arch_names, colour)
        got = sum(g.score for g in rows)
        total = sum(g.points for g in rows)
        print(f"  Lab {lab.number} total: {number(got)}/{number(total)}")


def _row(g, width, arch_names, colour):
    cells = ""
    for arch in arch_names:
        status = g.arch_status(arch) or "-"
        cells += paint(f"{status:<8}", status, colour)
    points = f"{number(g.score)}/{number(g.points)}"
    line = f"  {g.key:<{width}}  {cells}{points:<7}{_flag(g, arch_names)}"
    print(line.rstrip())
    for job, outcome in g.failures():
        if outcome.status == ERROR and not outcome.diagnostics:
            continue              # explained once under "Broken runs"
        reason = outcome.reason or outcome.status.lower()
        print(f"      {job.arch.name}/{job.group.name}: {reason}")
        for line in _capped(outcome.diagnostics, DIAGNOSTIC_LINES):
            print(f"        {line}")


def _flag(g, arch_names):
    """Point out a test that passes on some architectures only."""
    ran = [a for a in arch_names if g.arch_status(a)]
    passing = g.passing_arches(arch_names)
    if passing and len(passing) < len(ran):
        return f" <- passes on {', '.join(passing)} only"
    return ""


def _capped(lines, limit):
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"... ({len(lines) - limit} more lines)"]


def broken_runs(jobs, colour):
    """Each broken run once, with its reason; these are the ERROR cells."""
    broken = [j for j in jobs if not j.run.complete]
    if broken:
        print()
        print(paint("Broken runs", FAIL, colour) +
              " (ERROR = no usable result because the run broke):")
    for job in broken:
        print(f"  {job.label}: {job.run.reason}")


def serial_logs(jobs, grades):
    """--verbose: the tail of the serial log of every run that failed."""
    failing = {id(j) for g in grades for j, _ in g.failures()}
    for job in jobs:
        if id(job) not in failing or job.raw is None:
            continue
        lines = job.raw.output.splitlines()
        shown = lines[-LOG_LINES:]
        print(f"\n----- serial log: {job.label} -----")
        if len(lines) > len(shown):
            print(f"... ({len(lines) - len(shown)} earlier lines omitted)")
        for line in shown or ["(no output at all)"]:
            print(line)
        print(f"----- end of {job.label} -----")


def score_line(grades, colour):
    got = sum(g.score for g in grades)
    total = sum(g.points for g in grades)
    style = PASS if got == total else FAIL
    print()
    print(paint(f"Score: {number(got)}/{number(total)}", style, colour))
