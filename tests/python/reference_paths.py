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


# Evaluates expressions after a source text, in the child: each outcome is
# ['ok', repr] or ['exc', type name, message], addresses normalised.  The
# source sees `asizeof` already imported.
_OUTCOMES = r'''
import json, re, sys
from pympler import asizeof
SRC, EXPRS = json.loads(sys.argv[1])
def norm(s):
    return re.sub(r'0x[0-9a-fA-F]+', '0x?', s)
ns = {'__name__': '__main__', 'asizeof': asizeof}
exec(compile(SRC, '<source>', 'exec'), ns)
out = []
for e in EXPRS:
    try:
        out.append(['ok', norm(repr(eval(e, ns)))])
    except BaseException as x:
        out.append(['exc', type(x).__name__, norm(str(x))])
print(json.dumps(out))
'''


def outcomes(path, src, exprs, timeout=120):
    """[outcome of each expression of exprs after src] as tuples, evaluated
    in a child with PYTHONPATH=path (ours or the reference's)."""
    import json
    out = run_python(_OUTCOMES, path, json.dumps([src, exprs]), timeout=timeout)
    return [tuple(x) for x in json.loads(out.splitlines()[-1])]
