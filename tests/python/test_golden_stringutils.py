"""Golden tests: pympler.util.stringutils against Pympler 1.1.

The stringutils cases of ``tests/golden/summary_golden.json`` (pp_values,
pp_overflow, pp_timestamp, safe_repr, trunc) are replayed in order in one
child process by ``tests/tools/golden_runner.py`` (PYTHONHASHSEED=0, as
GOLDEN_README.md says) and compared exactly.  GOLDEN_README.md calls them
optional (Pympler's private module); this package has the module, so they
are a bar here.
"""

import pytest

from golden_replay import differs, expected, load_cases, replay

CASES = load_cases()
IDS = ('pp_values', 'pp_overflow', 'pp_timestamp', 'safe_repr', 'trunc')
INDICES = [i for i, c in enumerate(CASES) if c['id'] in IDS]


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    return replay(tmp_path_factory.mktemp('golden_stringutils'), INDICES,
                  expr_filename='<golden-expr>')


@pytest.fixture(scope='module')
def expectations(tmp_path_factory):
    """The stored goldens, or Pympler 1.1 live on another CPython version."""
    return expected(tmp_path_factory.mktemp('golden_stringutils_ref'), INDICES,
                    expr_filename='<golden-expr>')


def test_the_corpus_has_the_cases():
    assert INDICES == [16, 17, 18, 19, 20]
    assert [CASES[i]['id'] for i in INDICES] == list(IDS)


@pytest.mark.parametrize('index', INDICES, ids=[CASES[i]['id'] for i in INDICES])
def test_golden_stringutils(outcomes, expectations, index):
    exp = expectations[index]
    assert outcomes[index] == exp, differs(CASES[index], outcomes[index], exp)
