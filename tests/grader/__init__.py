"""The grader as a package, for test runners that start at the repo root.

tools/run-all-tests discovers these tests with the repository as the top
level, so they are imported as tests.grader.test_*. The grader's modules
import each other by plain name ("import ktap"), as they do when grade.py
runs as a script, so this directory goes on sys.path.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
