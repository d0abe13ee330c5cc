"""Replaying golden cases of tests/golden/*.json in a child process.

Each golden test module picks its cases from a golden file and replays them,
in order and in one process, with ``tests/tools/golden_runner.py`` under
PYTHONHASHSEED=0 (as GOLDEN_README.md says); ``replay`` returns
``{index: outcome}`` for its test functions to compare.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from reference_paths import our_path

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / 'tests' / 'tools' / 'golden_runner.py'
SUMMARY_GOLDEN = REPO / 'tests' / 'golden' / 'summary_golden.json'


def load_cases(golden=SUMMARY_GOLDEN):
    return json.loads(Path(golden).read_text(encoding='utf-8'))['cases']


def replay(workdir, indices, golden=SUMMARY_GOLDEN, expr_filename=None):
    """Run the cases at `indices` of `golden` with the package under test;
    {index: outcome}.  expr_filename: the file name the cases' expr is
    compiled with (the summary goldens were made with '<golden-expr>')."""
    out = Path(workdir) / 'out.json'
    env = dict(os.environ, PYTHONHASHSEED='0', PYTHONPATH=our_path())
    cmd = [sys.executable, '-P', str(RUNNER), str(golden), str(out),
           '--only', ','.join(map(str, indices))]
    if expr_filename:
        cmd += ['--expr-filename', expr_filename]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=str(workdir))
    assert p.returncode == 0, 'golden runner failed:\n' + p.stderr[-3000:]
    data = json.loads(out.read_text(encoding='utf-8'))
    return {o['index']: o['outcome'] for o in data['outcomes']}


def differs(case, got, expected, reason=None):
    """The assertion message of a case that differs."""
    return 'case %s differs%s:\n got %s\n exp %s' % (
        case['id'], ' (override: %s)' % reason if reason else '',
        json.dumps(got)[:1500], json.dumps(expected)[:1500])
