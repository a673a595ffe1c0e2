"""Decide what one boot proved: the run's verdict and each test's outcome.

Two witnesses report on a run: the KTAP text and QEMU's exit status. The
grader believes neither alone. A run is "complete" only when the KTAP
report is whole AND the exit status agrees with it. Otherwise the run is
broken, with a one-line reason, and two cases differ:

  * The run stopped early (crash, timeout, flood, early exit): results
    printed before that stand, since the kernel prints a result only after
    the test has finished. Tests without a result fail with the reason.
  * The run contradicts itself (the exit status disagrees with a complete
    report): nothing it printed can be trusted, so no test passes.
"""

from dataclasses import dataclass, field
from typing import Optional

import ktap

PASS, FAIL, SKIP, ERROR = "PASS", "FAIL", "SKIP", "ERROR"
LAST_OUTPUT_CHARS = 60


@dataclass
class RunVerdict:
    """The verdict on one QEMU boot."""
    complete: bool
    reason: Optional[str] = None  # one line; set whenever not complete
    trusted: bool = True          # may its "ok" lines earn points?
    report: ktap.Report = field(default_factory=ktap.Report)


@dataclass
class TestOutcome:
    """One test in one run. ERROR means "no usable result": the run broke
    before the test reported (FAIL means the test itself failed)."""
    status: str
    reason: str = ""
    diagnostics: list = field(default_factory=list)


def judge_run(raw, arch, timeout):
    """Turn a qemu.RawRun into a RunVerdict, given the arches.Arch."""
    if raw.setup_error:
        return RunVerdict(False, raw.setup_error)
    report = ktap.parse(raw.output)
    if raw.flooded:
        return RunVerdict(False, "output flood", report=report)
    if raw.timed_out:
        return RunVerdict(False, _timeout(report, raw.output, timeout),
                          report=report)
    if not report.complete:
        return RunVerdict(False, _early_exit(report, raw.status, arch),
                          report=report)
    expected = arch.fail_status if report.any_failed else arch.pass_status
    if raw.status == expected:
        return RunVerdict(True, report=report)
    return RunVerdict(False, _contradiction(report, raw.status, arch),
                      trusted=False, report=report)


def _timeout(report, output, timeout):
    """Reason for a run we had to kill; a trap explains the hang best."""
    if report.trap_line and not report.complete:
        return (f"kernel trapped: {report.trap_line} "
                f"(then hung: timeout after {timeout:g}s)")
    return f"timeout after {timeout:g}s (last output: {_last_line(output)})"


def _early_exit(report, status, arch):
    """Reason for a run whose process ended before the KTAP was whole."""
    if report.trap_line:
        return f"kernel trapped: {report.trap_line}"
    if arch.reset_status is not None and status == arch.reset_status:
        return "triple fault / reset"
    if not report.seen_ktap:
        return f"no KTAP output (exited with status {status})"
    return (f"exited with status {status} before completing KTAP "
            f"({report.incomplete_reason})")


def _contradiction(report, status, arch):
    """Reason for a complete report whose exit status disagrees."""
    if report.trap_line:
        return f"kernel trapped: {report.trap_line}"
    if arch.reset_status is not None and status == arch.reset_status:
        return "triple fault / reset"
    if status == arch.pass_status:
        return "exit status says pass but KTAP reports failures"
    if status == arch.fail_status:
        return "exit status says fail but KTAP reports no failures"
    return f"exited with unexpected status {status} after complete KTAP"


def _last_line(output):
    lines = [l.strip() for l in output.splitlines() if l.strip()]
    if not lines:
        return "none"
    last = lines[-1]
    if len(last) > LAST_OUTPUT_CHARS:
        last = last[:LAST_OUTPUT_CHARS] + "..."
    return repr(last)


def judge_test(run, key):
    """The outcome of test "suite.test" in a judged run."""
    result = run.report.result(key)
    if result is not None and result.count > 1:
        return TestOutcome(FAIL, f"result printed {result.count} times "
                           f"(suspicious)", result.diagnostics)
    if not run.trusted:
        return TestOutcome(ERROR, run.reason)
    if result is None:
        return _missing(run, key)
    if not result.ok:
        return TestOutcome(FAIL, "not ok", result.diagnostics)
    if result.skip:
        why = result.directive.split(None, 1)[1:] or ["no reason given"]
        return TestOutcome(SKIP, f"skipped: {why[0]}", result.diagnostics)
    return TestOutcome(PASS)


def _missing(run, key):
    """A test with no result line: blame the run unless it was complete."""
    if run.complete:
        return TestOutcome(FAIL, "missing result")
    report = run.report
    # Diagnostics left at the end belong to the test that was running.
    suite = key.partition(".")[0]
    diagnostics = report.pending_diagnostics if suite == report.open_suite \
        else []
    return TestOutcome(ERROR, run.reason, diagnostics)
