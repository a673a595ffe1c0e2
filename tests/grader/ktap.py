"""A forgiving parser for the KTAP (version 1) report printed by ktest.

The serial log is not a clean file: the boot banner comes first, another
CPU may print in the middle, the kernel may crash and stop, or repeat
itself. So the parser never raises on bad input. It records what it saw
and lists every structural problem; Report.complete is true only when the
report is whole and self-consistent.

Shape of the input (nesting is by indentation, 4 spaces in practice):

    KTAP version 1
    1..2                               <- top-level plan: number of suites
        KTAP version 1
        # Subtest: memmap              <- a suite starts
        1..2                           <- its plan: number of tests
        # memmap_test.c:40: expected   <- diagnostics of the NEXT result
        not ok 1 merges_overlaps
        ok 2 skip_me # SKIP reason
    not ok 1 memmap                    <- the suite's own result line
"""

import re
from dataclasses import dataclass, field
from typing import Optional

VERSION_RE = re.compile(r"^(?:KTAP|TAP) version \d+$")
PLAN_RE = re.compile(r"^1\.\.(\d+)\s*(?:#.*)?$")
SUBTEST_RE = re.compile(r"^#\s*Subtest:\s*(\S+)")
RESULT_RE = re.compile(
    r"^(ok|not ok)\s+(\d+)(?:\s+(?:-\s+)?([^#]*?))?\s*(?:#\s*(.*))?$")
# A line saying the kernel died outside a test, e.g. "panic: ..." or
# "trap: ...". Caught panics inside tests are reported as diagnostics
# ("# expected panic: ...") and do not match.
TRAP_RE = re.compile(
    r"^(?:#\s*)?(?:kernel panic\b|(?:panic|trap|unhandled \w+)\s*:)",
    re.IGNORECASE)


@dataclass
class TestResult:
    """One test's result line (or lines, if the kernel repeated it)."""
    suite: str
    name: str
    ok: bool
    skip: bool = False
    directive: str = ""           # text after '#', e.g. "SKIP not on x86"
    diagnostics: list = field(default_factory=list)
    count: int = 1                # more than 1 means duplicated: suspicious

    @property
    def key(self):
        return f"{self.suite}.{self.name}"


@dataclass
class Suite:
    """A KTAP subtest: one ktest suite and its test results."""
    name: str
    plan: Optional[int] = None
    tests: dict = field(default_factory=dict)   # name -> TestResult
    lines: int = 0                # test result lines seen (with duplicates)
    results: int = 0              # the suite's own result lines seen
    ok: Optional[bool] = None


@dataclass
class Report:
    """Everything the parser learned from one serial log."""
    plan: Optional[int] = None    # top-level plan (number of suites)
    suites: dict = field(default_factory=dict)  # name -> Suite
    suite_results: int = 0        # top-level result lines seen
    problems: list = field(default_factory=list)
    trap_line: Optional[str] = None   # last trap/panic line after a result
    open_suite: Optional[str] = None  # suite still open when output ended
    pending_diagnostics: list = field(default_factory=list)
    seen_ktap: bool = False

    def result(self, key):
        """The TestResult for "suite.test", or None if never reported."""
        suite, _, name = key.partition(".")
        found = self.suites.get(suite)
        return found.tests.get(name) if found else None

    def results(self):
        """Every test result, in the order suites were seen."""
        return [t for s in self.suites.values() for t in s.tests.values()]

    @property
    def incomplete_reason(self):
        """Why the report is not whole, or None if it is complete."""
        if self.plan is None:
            return "no top-level KTAP plan"
        if self.suite_results != self.plan:
            return (f"{self.suite_results} of {self.plan} suite results "
                    f"printed")
        for suite in self.suites.values():
            if suite.plan is None:
                return f"suite {suite.name} has no plan"
            if suite.lines != suite.plan:
                return (f"suite {suite.name}: plan 1..{suite.plan} but "
                        f"{suite.lines} result lines")
        return self.problems[0] if self.problems else None

    @property
    def complete(self):
        return self.incomplete_reason is None

    @property
    def any_failed(self):
        """True if any test or suite reported "not ok" (SKIP is not a
        failure), matching the kernel's own pass/fail exit decision."""
        if any(s.ok is False for s in self.suites.values()):
            return True
        return any(not t.ok for t in self.results())


class _Parser:
    """Line-by-line state machine behind parse()."""

    def __init__(self):
        self.report = Report()
        self.current = None       # the open Suite, if any
        self.base_indent = None   # indentation of the top-level lines
        self.pending = []         # diagnostics waiting for a result line

    def feed(self, raw):
        line = raw.rstrip()
        body = line.lstrip(" \t")
        if not body:
            return
        indent = len(line) - len(body)
        if VERSION_RE.match(body):
            self._on_version(indent)
        elif PLAN_RE.match(body):
            self._on_plan(int(PLAN_RE.match(body).group(1)))
        elif RESULT_RE.match(body):
            self._on_result(indent, RESULT_RE.match(body))
        elif SUBTEST_RE.match(body):
            self._open_suite(SUBTEST_RE.match(body).group(1))
        else:
            if TRAP_RE.match(body):
                self.report.trap_line = body
            if body.startswith("#") and self.current is not None:
                self.pending.append(body)
            # Anything else is boot noise or another CPU: ignored.

    def _nested(self, indent):
        return self.base_indent is not None and indent > self.base_indent

    def _on_version(self, indent):
        self.report.seen_ktap = True
        if self.base_indent is None:
            self.base_indent = indent

    def _on_plan(self, count):
        self.report.seen_ktap = True
        if self.current is not None and self.current.plan is None:
            self.current.plan = count
        elif self.current is None and self.report.plan is None:
            self.report.plan = count
        else:
            self.report.problems.append(f"unexpected plan 1..{count}")

    def _open_suite(self, name):
        report = self.report
        report.seen_ktap = True
        if self.current is not None:
            report.problems.append(
                f"suite {self.current.name} has no result line")
        suite = report.suites.get(name)
        if suite is None:
            suite = report.suites[name] = Suite(name)
        else:
            report.problems.append(f"suite {name} printed twice")
        self.current = suite
        self.pending = []

    def _on_result(self, indent, match):
        self.report.seen_ktap = True
        self.report.trap_line = None      # the kernel got past any trap
        ok = match.group(1) == "ok"
        name = (match.group(3) or "").strip() or f"#{match.group(2)}"
        directive = (match.group(4) or "").strip()
        cur = self.current
        # A result belongs to the open suite if it is indented, or if its
        # indentation was lost but it does not name the suite itself.
        if cur is not None and (self._nested(indent) or name != cur.name):
            self._test_result(cur, name, ok, directive)
        elif cur is None and self._nested(indent):
            self.report.problems.append(f"result for {name} outside a suite")
        else:
            self._suite_result(name, ok, directive)

    def _test_result(self, suite, name, ok, directive):
        # KTAP allows "not ok N name # SKIP": a skipped test never failed.
        skip = directive.upper().startswith(("SKIP", "TODO"))
        ok = ok or skip
        suite.lines += 1
        if suite.plan is not None and suite.lines > suite.plan:
            self.report.problems.append(
                f"suite {suite.name}: {name} is beyond plan 1..{suite.plan}")
        test = suite.tests.get(name)
        if test is None:
            suite.tests[name] = TestResult(suite.name, name, ok, skip,
                                           directive, self.pending)
        else:
            test.count += 1
            test.ok = test.ok and ok
            test.diagnostics += self.pending
            self.report.problems.append(f"duplicate result for {test.key}")
        self.pending = []

    def _suite_result(self, name, ok, directive):
        report = self.report
        suite = report.suites.get(name)
        if suite is None:                 # e.g. a whole suite skipped
            suite = report.suites[name] = Suite(name, plan=0)
        suite.results += 1
        suite.ok = ok or directive.upper().startswith("SKIP")
        report.suite_results += 1
        if suite.results > 1:
            report.problems.append(f"duplicate result for suite {name}")
        if report.plan is not None and report.suite_results > report.plan:
            report.problems.append(f"suite {name} is beyond plan "
                                   f"1..{report.plan}")
        self.current = None
        self.pending = []

    def finish(self):
        if self.current is not None:
            self.report.open_suite = self.current.name
            self.report.pending_diagnostics = self.pending
        return self.report


def parse(text):
    """Parse a serial log (str) into a Report. Never raises on bad input."""
    parser = _Parser()
    for line in text.splitlines():    # also splits on a lone '\r'
        parser.feed(line)
    return parser.finish()
