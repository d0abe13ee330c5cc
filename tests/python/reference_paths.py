"""Where the package under test and the reference Pympler 1.1 live, for tests
that run either in a subprocess (never both in one process)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def reference_dir():
    """The reference install: $PYMPLER_REFERENCE, else .deps/pympler-1.1 (make deps)."""
    return os.environ.get('PYMPLER_REFERENCE') or str(REPO / '.deps' / 'pympler-1.1')


def our_path():
    """PYTHONPATH of the package under test, made absolute."""
    pp = os.environ.get('PYTHONPATH') or str(REPO / 'build' / 'python')
    return os.pathsep.join(os.path.abspath(p) for p in pp.split(os.pathsep) if p)


def run_python(code, path, *args, env=None, timeout=300):
    """python3 -P -c code (dedented) *args with PYTHONPATH=path (and env
    added): its stdout, after checking that it exited with 0."""
    e = dict(os.environ, PYTHONPATH=path, PYTHONHASHSEED='0')
    e.update(env or {})
    p = subprocess.run([sys.executable, '-P', '-c', textwrap.dedent(code)] + [str(a) for a in args], env=e,
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-3000:]
    return p.stdout
