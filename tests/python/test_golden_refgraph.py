"""Golden tests: pympler.refgraph against the reference Pympler 1.1.

The refgraph cases of ``tests/golden/summary_golden.json`` are replayed in
order in one child process by ``tests/tools/golden_runner.py`` (as
GOLDEN_README.md says) and compared exactly, except where our documented
semantics differ (docs/refgraph.md): ``reduce`` keeps exactly the objects on
reference cycles, while Pympler only strips leaves and so keeps objects that
merely point into a cycle.  Those cases assert our value, with the reason.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / 'tests' / 'golden' / 'summary_golden.json'
RUNNER = REPO / 'tests' / 'tools' / 'golden_runner.py'

CASES = json.loads(GOLDEN.read_text(encoding='utf-8'))['cases']
INDICES = [i for i, c in enumerate(CASES) if c['id'].startswith('refgraph')]

# Pympler's reduce keeps [Node(a), Node(b)] (it points into the a<->b cycle)
# and m = [l, 'leaf'] (it points to the self-referencing list l).
CYCLES_ONLY = ('reduce keeps exactly the objects on reference cycles (strongly connected '
               'components of two or more objects, or a self-reference); Pympler strips '
               'leaves only and keeps objects that merely point into a cycle')


def _override(index, expected):
    case = CASES[index]
    exp = json.loads(json.dumps(case['expected']))
    if case['id'] == 'refgraph_dot_instances':
        exp['reduced_num_in_cycles'] = 4
        exp['reduced_dot'] = exp['reduced_dot'].replace(
            '    "X4" [ label = "[Node(a), Node(b)]\\nlist"  ];\n', '').replace(
            '    X4 -> X0 [label=""];\n    X4 -> X1 [label=""];\n', '')
        return exp, CYCLES_ONLY
    if case['id'] == 'refgraph_reduce_flag':
        exp['num_in_cycles'] = 1
        exp['n_objects'] = 1
        exp['dot'] = exp['dot'].replace(
            '    "X1" [ label = "[[[...]], \'leaf\']\\nlist"  ];\n', '').replace(
            '    X1 -> X0 [label=""];\n', '')
        return exp, CYCLES_ONLY
    return expected, None


def _pythonpath():
    pp = os.environ.get('PYTHONPATH') or str(REPO / 'build' / 'python')
    return os.pathsep.join(os.path.abspath(p) for p in pp.split(os.pathsep) if p)


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    out = tmp_path_factory.mktemp('golden_refgraph') / 'out.json'
    env = dict(os.environ, PYTHONHASHSEED='0', PYTHONPATH=_pythonpath())
    p = subprocess.run([sys.executable, '-P', str(RUNNER), str(GOLDEN), str(out),
                        '--only', ','.join(map(str, INDICES))],
                       env=env, capture_output=True, text=True, timeout=300,
                       cwd=str(out.parent))
    assert p.returncode == 0, 'golden runner failed:\n' + p.stderr[-3000:]
    data = json.loads(out.read_text(encoding='utf-8'))
    return {o['index']: o['outcome'] for o in data['outcomes']}


def test_the_corpus_has_the_refgraph_cases():
    assert [CASES[i]['id'] for i in INDICES] == [
        'refgraph_dot_small', 'refgraph_dot_instances', 'refgraph_reduce_flag',
        'refgraph_empty_render']


@pytest.mark.parametrize('index', INDICES, ids=[CASES[i]['id'] for i in INDICES])
def test_golden_refgraph(outcomes, index):
    expected, reason = _override(index, CASES[index]['expected'])
    got = outcomes[index]
    assert got == expected, 'case %s differs%s:\n got %s\n exp %s' % (
        CASES[index]['id'], ' (override: %s)' % reason if reason else '',
        json.dumps(got)[:1500], json.dumps(expected)[:1500])
