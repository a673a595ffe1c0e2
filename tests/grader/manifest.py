"""Load and check the per-lab manifests (tests/manifest/labN.json).

A manifest says which test groups to boot (each group is one QEMU run
with its own memory size, CPU count, timeout and command line) and how
many points each test is worth. A mistake in a manifest would silently
cost students points, so every manifest is checked fully before anything
boots, and any problem stops the grader with a clear message.

Settings that hold for every lab of a course live beside the manifests in
grader.json (optional; absent means the defaults below):

    {"require_tags": true}    every result line must carry the boot's
                              nonce tag (binding.py); a kernel tree that
                              predates tags would score 0, hence a switch
"""

import json
import re
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path

from arches import ARCHES, FIRMWARES

MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifest"
LABS = range(0, 8)

GROUP_DEFAULTS = {"mem": "128M", "smp": 1, "timeout": 60,
                  "arch": list(ARCHES), "cmdline": "",
                  "firmware": "fw_dynamic"}
GROUP_KEYS = {"name", "tests"} | set(GROUP_DEFAULTS)
LAB_KEYS = {"lab", "title", "groups", "points"}
SETTINGS_FILE = "grader.json"
SETTINGS_DEFAULTS = {"require_tags": False}
# Command-line words only the grader may set (it adds them to every boot).
GRADER_WORDS = ("test=", "ktap_nonce=", "verify_seed=")
NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
TEST_RE = re.compile(r"^[A-Za-z0-9_]+\.[A-Za-z0-9_]+$")
MEM_RE = re.compile(r"^[1-9][0-9]*[MG]$")


class ManifestError(Exception):
    """A manifest is malformed; the message names the file and the fix."""


@dataclass(frozen=True)
class Group:
    """One QEMU boot: a set of ktest globs and the machine to run them on."""
    name: str
    tests: tuple          # globs, as passed to the kernel's test=
    mem: str
    smp: int
    timeout: float
    arch: tuple
    cmdline: str
    firmware: str

    def runs(self, key):
        """Does this group run test "suite.test"? Same rule as the
        kernel: a glob may match the suite name or the full name."""
        suite = key.partition(".")[0]
        return any(fnmatchcase(suite, g) or fnmatchcase(key, g)
                   for g in self.tests)

    @property
    def kernel_cmdline(self):
        """The command line the kernel boots with."""
        selection = "test=" + ",".join(self.tests)
        return f"{self.cmdline} {selection}" if self.cmdline else selection


@dataclass(frozen=True)
class Lab:
    number: int
    title: str
    groups: tuple
    points: dict          # "suite.test" -> points, in manifest order
    require_tags: bool = False    # from grader.json: see the top

    def groups_for(self, key):
        return [g for g in self.groups if g.runs(key)]


def load_lab(path):
    """Read and validate one manifest file; raise ManifestError if bad."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ManifestError(f"{path}: cannot read: {err}") from None
    try:
        return _lab_from(data, path)
    except ManifestError as err:
        raise ManifestError(f"{path}: {err}") from None


def load_labs(numbers, manifest_dir=MANIFEST_DIR):
    """Load the manifests for the given lab numbers that exist, with the
    directory's grader.json settings applied to each."""
    settings = load_settings(manifest_dir)
    paths = [Path(manifest_dir) / f"lab{n}.json" for n in numbers]
    return [replace(load_lab(p), **settings) for p in paths if p.is_file()]


def load_settings(manifest_dir=MANIFEST_DIR):
    """grader.json of a manifest directory, checked, with defaults."""
    path = Path(manifest_dir) / SETTINGS_FILE
    if not path.is_file():
        return dict(SETTINGS_DEFAULTS)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ManifestError(f"{path}: cannot read: {err}") from None
    try:
        _require(isinstance(data, dict), "the top level must be an object")
        _check_keys(data, set(SETTINGS_DEFAULTS), set(), "settings")
        _require(all(type(v) is bool for v in data.values()),
                 "settings: values must be true or false")
    except ManifestError as err:
        raise ManifestError(f"{path}: {err}") from None
    return {**SETTINGS_DEFAULTS, **data}


def _lab_from(data, path):
    _require(isinstance(data, dict), "the top level must be an object")
    _check_keys(data, LAB_KEYS, LAB_KEYS, "manifest")
    number = data["lab"]
    _require(type(number) is int and path.stem == f"lab{number}",
             f'"lab" is {number!r} but the file is named {path.name}')
    _require(isinstance(data["title"], str), '"title" must be a string')
    groups = data["groups"]
    _require(isinstance(groups, list) and groups,
             '"groups" must be a non-empty list')
    groups = tuple(_group_from(g) for g in groups)
    names = [g.name for g in groups]
    _require(len(set(names)) == len(names), "group names must be unique")
    lab = Lab(number, data["title"], groups, _points_from(data["points"]))
    _check_coverage(lab)
    return lab


def _group_from(data):
    _require(isinstance(data, dict), "each group must be an object")
    _check_keys(data, GROUP_KEYS, {"name", "tests"}, "group")
    g = {**GROUP_DEFAULTS, **data}
    where = f"group {g['name']!r}"
    _require(isinstance(g["name"], str) and NAME_RE.match(g["name"]),
             f"{where}: name must be letters, digits, '_' or '-'")
    _require(isinstance(g["tests"], str) and g["tests"]
             and not any(c.isspace() for c in g["tests"]),
             f'{where}: "tests" must be comma-separated globs, no spaces')
    _require(isinstance(g["mem"], str) and MEM_RE.match(g["mem"]),
             f'{where}: "mem" must look like "128M" or "1G"')
    _require(type(g["smp"]) is int and 1 <= g["smp"] <= 64,
             f'{where}: "smp" must be an integer from 1 to 64')
    _require(type(g["timeout"]) in (int, float) and g["timeout"] > 0,
             f'{where}: "timeout" must be a positive number of seconds')
    _require(isinstance(g["arch"], list) and g["arch"]
             and all(a in ARCHES for a in g["arch"]),
             f'{where}: "arch" must be a non-empty list from {list(ARCHES)}')
    _require(isinstance(g["cmdline"], str) and
             not any(w in g["cmdline"] for w in GRADER_WORDS),
             f'{where}: "cmdline" must be a string without '
             f'{", ".join(GRADER_WORDS)} (the grader adds them)')
    _require(g["firmware"] in FIRMWARES,
             f'{where}: "firmware" must be one of {list(FIRMWARES)}')
    return Group(g["name"], tuple(g["tests"].split(",")), g["mem"],
                 g["smp"], g["timeout"], tuple(g["arch"]), g["cmdline"],
                 g["firmware"])


def _points_from(data):
    _require(isinstance(data, dict) and data,
             '"points" must be a non-empty object')
    for key, value in data.items():
        _require(TEST_RE.match(key),
                 f'points: {key!r} is not of the form "suite.test"')
        _require(type(value) in (int, float) and value >= 0,
                 f"points: {key}: must be a number >= 0")
    return dict(data)


def _check_coverage(lab):
    """Every graded test must be run by a group, and every group must run
    at least one graded test (otherwise it is a wasted boot or a typo)."""
    for key in lab.points:
        _require(lab.groups_for(key),
                 f"points: {key} is not run by any group")
    for group in lab.groups:
        _require(any(group.runs(k) for k in lab.points),
                 f"group {group.name!r} runs no test listed in points")


def _check_keys(data, allowed, required, what):
    unknown = sorted(set(data) - allowed)
    _require(not unknown, f"{what}: unknown key(s) {unknown} "
             f"(allowed: {sorted(allowed)})")
    missing = sorted(set(required) - set(data))
    _require(not missing, f"{what}: missing key(s) {missing}")


def _require(condition, message):
    if not condition:
        raise ManifestError(message)
