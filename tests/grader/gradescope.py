"""Write Gradescope's results.json.

Format (Gradescope autograder specification): a top-level "score",
"output" and "execution_time", and a "tests" list whose entries have
"name", "score", "max_score", "status" ("passed"/"failed"), "output" and
"visibility". Names are stable ("lab1 bump.alloc_aligned") so results can
be compared across submissions.
"""

import json

from verdict import PASS

VISIBILITY = "visible"


def results(grades, jobs, execution_time):
    """The results.json content as a dict."""
    return {
        "score": sum(g.score for g in grades),
        "execution_time": round(execution_time),
        "output": _summary(grades, jobs),
        "tests": [_test(g) for g in grades],
    }


def write(path, grades, jobs, execution_time):
    with open(path, "w") as f:
        json.dump(results(grades, jobs, execution_time), f, indent=2)
        f.write("\n")


def _test(g):
    return {
        "name": f"lab{g.lab.number} {g.key}",
        "score": g.score,
        "max_score": g.points,
        "status": "passed" if g.awarded else "failed",
        "output": _test_output(g),
        "visibility": VISIBILITY,
    }


def _test_output(g):
    """Where the test ran, and for each failure the reason and the
    kernel's diagnostics: what a student needs to start debugging."""
    if not g.outcomes:
        return "not run (no selected architecture runs this test)"
    lines = []
    for job, outcome in g.outcomes:
        where = f"{job.arch.name}/{job.group.name}"
        if outcome.status == PASS:
            lines.append(f"{where}: passed")
            continue
        lines.append(f"{where}: {outcome.reason}")
        lines.extend(f"    {d}" for d in outcome.diagnostics)
    return "\n".join(lines)


def _summary(grades, jobs):
    got = sum(g.score for g in grades)
    total = sum(g.points for g in grades)
    lines = [f"Score: {got:g}/{total:g}"]
    broken = [j for j in jobs if not j.run.complete]
    if broken:
        lines.append("Broken runs:")
        lines.extend(f"  {j.label}: {j.run.reason}" for j in broken)
    return "\n".join(lines)
