"""Golden tests: pympler.util.stringutils against Pympler 1.1.

The stringutils cases of ``tests/golden/summary_golden.json`` (pp_values,
pp_overflow, pp_timestamp, safe_repr, trunc) are replayed in order in one
child process by ``tests/tools/golden_runner.py`` (PYTHONHASHSEED=0, as
GOLDEN_README.md says) and compared exactly.  GOLDEN_README.md calls them
optional (Pympler's private module); this package has the module, so they
are a bar here.
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
IDS = ('pp_values', 'pp_overflow', 'pp_timestamp', 'safe_repr', 'trunc')
INDICES = [i for i, c in enumerate(CASES) if c['id'] in IDS]


def _pythonpath():
    pp = os.environ.get('PYTHONPATH') or str(REPO / 'build' / 'python')
    return os.pathsep.join(os.path.abspath(p) for p in pp.split(os.pathsep) if p)


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    out = tmp_path_factory.mktemp('golden_stringutils') / 'out.json'
    env = dict(os.environ, PYTHONHASHSEED='0', PYTHONPATH=_pythonpath())
    p = subprocess.run([sys.executable, '-P', str(RUNNER), str(GOLDEN), str(out),
                        '--only', ','.join(map(str, INDICES)),
                        '--expr-filename', '<golden-expr>'],
                       env=env, capture_output=True, text=True, timeout=300,
                       cwd=str(out.parent))
    assert p.returncode == 0, 'golden runner failed:\n' + p.stderr[-3000:]
    data = json.loads(out.read_text(encoding='utf-8'))
    return {o['index']: o['outcome'] for o in data['outcomes']}


def test_the_corpus_has_the_cases():
    assert INDICES == [16, 17, 18, 19, 20]
    assert [CASES[i]['id'] for i in INDICES] == list(IDS)


@pytest.mark.parametrize('index', INDICES, ids=[CASES[i]['id'] for i in INDICES])
def test_golden_stringutils(outcomes, index):
    expected = CASES[index]['expected']
    got = outcomes[index]
    assert got == expected, 'case %s differs:\n got %s\n exp %s' % (
        CASES[index]['id'], json.dumps(got)[:1500], json.dumps(expected)[:1500])
