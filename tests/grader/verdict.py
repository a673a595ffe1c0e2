"""Decide what one boot proved: the run's verdict and each test's outcome.

Two witnesses report on a run: the KTAP text and QEMU's exit status. The
grader believes neither alone. A run is "complete" only when the KTAP
report is whole AND the exit status agrees with it. Otherwise the run is
broken, with a one-line reason, and two cases differ:

  * The run stopped early (crash, timeout, flood, early exit): results
    printed before that stand, since the kernel prints a result only after
    the test has finished. Tests without a result fail with the reason.
  * The run contradicts itself (the exit status disagrees with a complete
    report, or the report is corrupt outside any suite): nothing it printed
    can be trusted, so no test passes. A corrupt suite (ktap.py) costs the
    points of that suite's tests only.

Two more witnesses exist when the grader asks for them:

  * the nonce tags (binding.py): a result line without this boot's tag
    earns nothing, and the run is broken with the reason;
  * host checks: for a suite such as pmm_verify the grader re-checks, from
    the trace the test printed, what the kernel claims (pmm_verify.py). An
    "ok" whose trace does not survive the check is a FAIL with its reason.
"""

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import binding
import ktap

PASS, FAIL, SKIP, ERROR = "PASS", "FAIL", "SKIP", "ERROR"
LAST_OUTPUT_CHARS = 60
# Diagnostics starting with this are a trace for a host check, data rather
# than a message for the student: they are not shown under a failure.
TRACE_PREFIX = "# verify:"

# A host check: given the kernel's "ok" TestResult, the reason it fails
# (one line), or None if the host agrees.
HostCheck = Callable[[ktap.TestResult], Optional[str]]


@dataclass
class RunVerdict:
    """The verdict on one QEMU boot."""
    complete: bool
    reason: Optional[str] = None  # one line; set whenever not complete
    trusted: bool = True          # may its "ok" lines earn points?
    report: ktap.Report = field(default_factory=ktap.Report)
    checks: Dict[str, HostCheck] = field(default_factory=dict)  # by suite


@dataclass
class TestOutcome:
    """One test in one run. ERROR means "no usable result": the run broke
    before the test reported (FAIL means the test itself failed)."""
    status: str
    reason: str = ""
    diagnostics: list = field(default_factory=list)


def judge_run(raw, arch, timeout, nonce=None, checks=None):
    """Turn a qemu.RawRun into a RunVerdict, given the arches.Arch.

    nonce: the boot's ktap_nonce; if given, every result line must carry
    its tag. checks: host checks by suite name (see HostCheck).
    """
    if raw.setup_error:
        return RunVerdict(False, raw.setup_error)
    report = ktap.parse(raw.output)
    unbound = binding.verify(report, nonce) if nonce is not None else []
    run = _judge(raw, arch, timeout, report, unbound)
    run.checks = dict(checks or {})
    return run


def _judge(raw, arch, timeout, report, unbound):
    # A report corrupt outside its suites cannot be trusted at all.
    trusted = not report.run_problems
    if raw.flooded:
        return RunVerdict(False, "output flood", trusted, report)
    if raw.timed_out:
        return RunVerdict(False, _timeout(report, raw.output, timeout),
                          trusted, report)
    if not trusted:
        return RunVerdict(False, f"corrupt KTAP: {report.run_problems[0]}",
                          trusted, report)
    if not report.complete:
        return RunVerdict(False, _early_exit(report, raw.status, arch),
                          report=report)
    expected = arch.fail_status if report.any_failed else arch.pass_status
    agrees = raw.status == expected
    if unbound:
        # Say what was fabricated; if the status contradicts the report
        # too, trust none of it.
        return RunVerdict(False, binding.run_reason(
            unbound, len(report.result_lines())), agrees, report)
    if agrees:
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
    if report.corruption:
        return f"corrupt KTAP: {report.corruption}"
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
    shown = _shown(result.diagnostics) if result is not None else []
    if result is not None and result.count > 1:
        return TestOutcome(FAIL, f"result printed {result.count} times "
                           f"(suspicious)", shown)
    if not run.trusted:
        return TestOutcome(ERROR, run.reason)
    suite_name = key.partition(".")[0]
    suite = run.report.suites.get(suite_name)
    if suite is not None and suite.problems:
        return TestOutcome(ERROR, f"corrupt KTAP: {suite.problems[0]}")
    if result is None:
        return _missing(run, key)
    if result.bound is False:
        return TestOutcome(FAIL, "result line not bound to this boot "
                           f"({binding.why_unbound(result)})")
    if not result.ok:
        return TestOutcome(FAIL, "not ok", shown)
    if result.skip:
        why = result.directive.split(None, 1)[1:] or ["no reason given"]
        return TestOutcome(SKIP, f"skipped: {why[0]}", shown)
    check = run.checks.get(suite_name)
    failure = check(result) if check else None
    if failure:
        return TestOutcome(FAIL, f"host check: {failure}", shown)
    return TestOutcome(PASS)


def _shown(diagnostics):
    """The diagnostics worth showing a student (no host-check trace)."""
    return [d for d in diagnostics if not d.startswith(TRACE_PREFIX)]


def _missing(run, key):
    """A test with no result line: blame the run unless it was complete."""
    if run.complete:
        return TestOutcome(FAIL, "missing result")
    report = run.report
    # Diagnostics left at the end belong to the test that was running.
    suite = key.partition(".")[0]
    diagnostics = report.pending_diagnostics if suite == report.open_suite \
        else []
    return TestOutcome(ERROR, run.reason, _shown(diagnostics))
