"""Where the package under test and the reference Pympler 1.1 live, for tests
that run either in a subprocess (never both in one process)."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def reference_dir():
    """The reference install: $PYMPLER_REFERENCE, else .deps/pympler-1.1 (make deps)."""
    return os.environ.get('PYMPLER_REFERENCE') or str(REPO / '.deps' / 'pympler-1.1')


def our_path():
    """PYTHONPATH of the package under test, made absolute."""
    pp = os.environ.get('PYTHONPATH') or str(REPO / 'build' / 'python')
    return os.pathsep.join(os.path.abspath(p) for p in pp.split(os.pathsep) if p)
