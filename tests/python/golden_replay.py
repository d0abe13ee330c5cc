"""Replaying golden cases of tests/golden/*.json in a child process.

Each golden test module picks its cases from a golden file and replays them,
in order and in one process, with ``tests/tools/golden_runner.py`` under
PYTHONHASHSEED=0 (as GOLDEN_README.md says); ``replay`` returns
``{index: outcome}`` for its test functions to compare.

The stored ``expected`` values were made on one CPython version (the file's
``meta.python_version``).  On another version, sizes and layouts differ, so
``expected`` replays the same cases with the live reference Pympler 1.1 on
this interpreter instead (the same runner, procedure and seed): our answers
must equal Pympler's on the same interpreter.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from reference_paths import our_path, reference_dir

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / 'tests' / 'tools' / 'golden_runner.py'
SUMMARY_GOLDEN = REPO / 'tests' / 'golden' / 'summary_golden.json'


def load_cases(golden=SUMMARY_GOLDEN):
    return json.loads(Path(golden).read_text(encoding='utf-8'))['cases']


def golden_version(golden=SUMMARY_GOLDEN):
    """(major, minor) of the CPython the stored golden values were made with."""
    meta = json.loads(Path(golden).read_text(encoding='utf-8'))['meta']
    return tuple(int(x) for x in meta['python_version'].split('.')[:2])


def stored_goldens_apply(golden=SUMMARY_GOLDEN):
    """True when this interpreter is the version the goldens were made with."""
    return sys.version_info[:2] == golden_version(golden)


def reference_path():
    """PYTHONPATH of the reference Pympler 1.1 (checked to be there)."""
    ref = reference_dir()
    assert os.path.isfile(os.path.join(ref, 'pympler', 'asizeof.py')), \
        'reference Pympler 1.1 not installed in %s (make deps)' % ref
    return ref


def replay(workdir, indices, golden=SUMMARY_GOLDEN, expr_filename=None, path=None, opts=()):
    """Run the cases at `indices` of `golden` with the package under test
    (or the one at PYTHONPATH `path`); {index: outcome}.  expr_filename: the
    file name the cases' expr is compiled with (the summary goldens were made
    with '<golden-expr>'); opts: more runner options."""
    out = Path(workdir) / 'out.json'
    env = dict(os.environ, PYTHONHASHSEED='0', PYTHONPATH=path or our_path())
    cmd = [sys.executable, '-P', str(RUNNER), str(golden), str(out),
           '--only', ','.join(map(str, indices))] + list(opts)
    if expr_filename:
        cmd += ['--expr-filename', expr_filename]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=str(workdir))
    assert p.returncode == 0, 'golden runner failed:\n' + p.stderr[-3000:]
    data = json.loads(out.read_text(encoding='utf-8'))
    return {o['index']: o['outcome'] for o in data['outcomes']}


def expected(workdir, indices, golden=SUMMARY_GOLDEN, expr_filename=None):
    """{index: expected outcome} of the cases at `indices`: the stored golden
    values on the interpreter version they were made with, else the live
    reference Pympler 1.1 replaying them on this interpreter."""
    if stored_goldens_apply(golden):
        cases = load_cases(golden)
        return {i: cases[i]['expected'] for i in indices}
    ref = Path(workdir) / 'reference'
    ref.mkdir(exist_ok=True)
    return replay(ref, indices, golden, expr_filename, path=reference_path())


def differs(case, got, expected, reason=None):
    """The assertion message of a case that differs."""
    return 'case %s differs%s:\n got %s\n exp %s' % (
        case['id'], ' (override: %s)' % reason if reason else '',
        json.dumps(got)[:1500], json.dumps(expected)[:1500])
