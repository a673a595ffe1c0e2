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

A result line may end in " # tag:<hex>", the boot's nonce tag (binding.py):
it is taken off before anything else is parsed, so "# SKIP" still works.

Problems come in two kinds. A suite that breaks its own structure (more or
fewer results than its plan once it closed, a duplicate, a second plan) is
"corrupt": nothing it reported can be trusted, since the line that is
missing or doubled may be any of them. A problem outside every suite (a
top-level result beyond the plan, a suite result printed twice) makes the
whole report corrupt. A report that merely stops is not corrupt: it is
incomplete, and what it printed before stopping stands.
"""

import re
from dataclasses import dataclass, field
from typing import Optional

VERSION_RE = re.compile(r"^(?:KTAP|TAP) version \d+$")
PLAN_RE = re.compile(r"^1\.\.(\d+)\s*(?:#.*)?$")
SUBTEST_RE = re.compile(r"^#\s*Subtest:\s*(\S+)")
RESULT_RE = re.compile(
    r"^(ok|not ok)\s+(\d+)(?:\s+(?:-\s+)?([^#]*?))?\s*(?:#\s*(.*))?$")
# The nonce tag at the very end of a result line. Any characters after
# "tag:" count, so that a garbled tag is "wrong" rather than "missing".
TAG_RE = re.compile(r"(?:^|\s)#\s*tag:(\S*)\s*$")
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
    number: int = 0               # the number printed on the line
    verdict: str = "ok"           # "ok", "not ok" or "skip", as printed
    tag: Optional[str] = None     # the nonce tag, if the line had one
    line: str = ""                # the line itself, for messages
    bound: Optional[bool] = None  # tag checked by binding.verify()?

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
    problems: list = field(default_factory=list)  # non-empty: corrupt
    # The suite's own result line, as for TestResult:
    number: int = 0
    verdict: str = ""
    tag: Optional[str] = None
    line: str = ""
    bound: Optional[bool] = None


@dataclass
class Report:
    """Everything the parser learned from one serial log."""
    plan: Optional[int] = None    # top-level plan (number of suites)
    suites: dict = field(default_factory=dict)  # name -> Suite
    suite_results: int = 0        # top-level result lines seen
    problems: list = field(default_factory=list)   # every problem
    run_problems: list = field(default_factory=list)  # outside any suite
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
    def corruption(self):
        """The first problem that makes the report (or a suite) corrupt,
        rather than merely cut short; None if there is none."""
        return self.problems[0] if self.problems else None

    def result_lines(self):
        """Every TestResult and Suite that printed a result line."""
        lines = []
        for suite in self.suites.values():
            lines.extend(suite.tests.values())
            if suite.results:
                lines.append(suite)
        return lines

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
            tag = TAG_RE.search(body)
            bare = body[:tag.start()].rstrip() if tag else body
            self._on_result(indent, RESULT_RE.match(bare) or
                            RESULT_RE.match(body),
                            tag.group(1) if tag else None, body)
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

    def _suite_problem(self, suite, problem):
        suite.problems.append(problem)
        self.report.problems.append(problem)

    def _run_problem(self, problem):
        self.report.run_problems.append(problem)
        self.report.problems.append(problem)

    def _on_plan(self, count):
        self.report.seen_ktap = True
        if self.current is not None and self.current.plan is None:
            self.current.plan = count
        elif self.current is None and self.report.plan is None:
            self.report.plan = count
        elif self.current is not None:
            self._suite_problem(self.current, f"suite {self.current.name}: "
                                f"unexpected plan 1..{count}")
        else:
            self._run_problem(f"unexpected plan 1..{count}")

    def _open_suite(self, name):
        report = self.report
        report.seen_ktap = True
        if self.current is not None:
            self._suite_problem(self.current,
                                f"suite {self.current.name} has no result "
                                f"line")
        suite = report.suites.get(name)
        if suite is None:
            suite = report.suites[name] = Suite(name)
        else:
            self._suite_problem(suite, f"suite {name} printed twice")
        self.current = suite
        self.pending = []

    def _on_result(self, indent, match, tag, line):
        self.report.seen_ktap = True
        self.report.trap_line = None      # the kernel got past any trap
        ok = match.group(1) == "ok"
        number = int(match.group(2))
        name = (match.group(3) or "").strip() or f"#{match.group(2)}"
        directive = (match.group(4) or "").strip()
        skip = directive.upper().startswith(("SKIP", "TODO"))
        seen = dict(number=number, tag=tag, line=line,
                    verdict="skip" if skip else match.group(1))
        cur = self.current
        # A result belongs to the open suite if it is indented, or if its
        # indentation was lost but it does not name the suite itself.
        if cur is not None and (self._nested(indent) or name != cur.name):
            self._test_result(cur, name, ok, skip, directive, seen)
        elif cur is None and self._nested(indent):
            self._run_problem(f"result for {name} outside a suite")
        else:
            self._suite_result(name, ok, skip, seen)

    def _test_result(self, suite, name, ok, skip, directive, seen):
        # KTAP allows "not ok N name # SKIP": a skipped test never failed.
        ok = ok or skip
        suite.lines += 1
        if suite.plan is not None and suite.lines > suite.plan:
            self._suite_problem(suite, f"suite {suite.name}: {name} is "
                                f"beyond plan 1..{suite.plan}")
        test = suite.tests.get(name)
        if test is None:
            suite.tests[name] = TestResult(suite.name, name, ok, skip,
                                           directive, self.pending, **seen)
        else:
            test.count += 1
            test.ok = test.ok and ok
            test.diagnostics += self.pending
            self._suite_problem(suite, f"duplicate result for {test.key}")
        self.pending = []

    def _suite_result(self, name, ok, skip, seen):
        report = self.report
        suite = report.suites.get(name)
        if suite is None:                 # e.g. a whole suite skipped
            suite = report.suites[name] = Suite(name, plan=0)
        suite.results += 1
        suite.ok = ok or skip
        if suite.results == 1:
            vars(suite).update(seen)
        report.suite_results += 1
        if suite.results > 1:
            self._run_problem(f"duplicate result for suite {name}")
        if report.plan is not None and report.suite_results > report.plan:
            self._run_problem(f"suite {name} is beyond plan "
                              f"1..{report.plan}")
        # A closed suite must have kept its promise.
        if suite.plan is None:
            self._suite_problem(suite, f"suite {name} has no plan")
        elif suite.lines < suite.plan:
            self._suite_problem(suite, f"suite {name}: plan 1..{suite.plan} "
                                f"but {suite.lines} result lines")
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
