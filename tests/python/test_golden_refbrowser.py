"""Golden tests: pympler.refbrowser against the reference Pympler 1.1.

The refbrowser cases of ``tests/golden/summary_golden.json`` (28-32) are
replayed in order in one child process by ``tests/tools/golden_runner.py``
(as GOLDEN_README.md says) and compared as each case asks (``exact`` or
``sorted_lines``).  No case needs an override: like Pympler on 3.11 the
browser instance itself is reported as a referrer of its root (it holds the
root), see docs/refbrowser.md; only the browser's internal objects (frames,
lists, sets, the tree under construction) are never referrers.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reference_paths import our_path

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / 'tests' / 'golden' / 'summary_golden.json'
RUNNER = REPO / 'tests' / 'tools' / 'golden_runner.py'

CASES = json.loads(GOLDEN.read_text(encoding='utf-8'))['cases']
INDICES = [i for i, c in enumerate(CASES) if c['id'].startswith('refbrowser')]


def _override(index, expected):
    """(expected, reason): no refbrowser case differs on purpose."""
    return expected, None


def _compare(case, got, expected):
    how = case.get('compare', 'exact')
    if how == 'sorted_lines':
        return isinstance(got, str) and sorted(got.splitlines()) == sorted(expected.splitlines())
    assert how == 'exact', how
    return got == expected


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    out = tmp_path_factory.mktemp('golden_refbrowser') / 'out.json'
    env = dict(os.environ, PYTHONHASHSEED='0', PYTHONPATH=our_path())
    p = subprocess.run([sys.executable, '-P', str(RUNNER), str(GOLDEN), str(out),
                        '--only', ','.join(map(str, INDICES))],
                       env=env, capture_output=True, text=True, timeout=300,
                       cwd=str(out.parent))
    assert p.returncode == 0, 'golden runner failed:\n' + p.stderr[-3000:]
    data = json.loads(out.read_text(encoding='utf-8'))
    return {o['index']: o['outcome'] for o in data['outcomes']}


def test_the_corpus_has_the_refbrowser_cases():
    assert INDICES == [28, 29, 30, 31, 32]
    assert [CASES[i]['id'] for i in INDICES] == [
        'refbrowser_tree_depth2', 'refbrowser_tree_strfunc', 'refbrowser_single_child_chain',
        'refbrowser_live_referrers', 'refbrowser_repeat_false']


@pytest.mark.parametrize('index', INDICES, ids=[CASES[i]['id'] for i in INDICES])
def test_golden_refbrowser(outcomes, index):
    case = CASES[index]
    expected, reason = _override(index, case['expected'])
    got = outcomes[index]
    assert _compare(case, got, expected), 'case %s differs%s:\n got %s\n exp %s' % (
        case['id'], ' (override: %s)' % reason if reason else '',
        json.dumps(got)[:1500], json.dumps(expected)[:1500])
