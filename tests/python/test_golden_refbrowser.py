"""Golden tests: pympler.refbrowser against the reference Pympler 1.1.

The refbrowser cases of ``tests/golden/summary_golden.json`` (28-32) are
replayed in order in one child process by ``tests/tools/golden_runner.py``
(as GOLDEN_README.md says) and compared as each case asks (``exact`` or
``sorted_lines``).  No case needs an override: like Pympler on 3.11 the
browser instance itself is reported as a referrer of its root (it holds the
root), see docs/refbrowser.md; only the browser's internal objects (frames,
lists, sets, the tree under construction) are never referrers.
"""

import pytest

from golden_replay import differs, expected, load_cases, replay

CASES = load_cases()
INDICES = [i for i, c in enumerate(CASES) if c['id'].startswith('refbrowser')]


def _compare(case, got, expected):
    how = case.get('compare', 'exact')
    if how == 'sorted_lines':
        return isinstance(got, str) and sorted(got.splitlines()) == sorted(expected.splitlines())
    assert how == 'exact', how
    return got == expected


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    return replay(tmp_path_factory.mktemp('golden_refbrowser'), INDICES)


@pytest.fixture(scope='module')
def expectations(tmp_path_factory):
    """The stored goldens, or Pympler 1.1 live on another CPython version."""
    return expected(tmp_path_factory.mktemp('golden_refbrowser_ref'), INDICES)


def test_the_corpus_has_the_refbrowser_cases():
    assert INDICES == [28, 29, 30, 31, 32]
    assert [CASES[i]['id'] for i in INDICES] == [
        'refbrowser_tree_depth2', 'refbrowser_tree_strfunc', 'refbrowser_single_child_chain',
        'refbrowser_live_referrers', 'refbrowser_repeat_false']


@pytest.mark.parametrize('index', INDICES, ids=[CASES[i]['id'] for i in INDICES])
def test_golden_refbrowser(outcomes, expectations, index):
    case = CASES[index]
    assert _compare(case, outcomes[index], expectations[index]), differs(
        case, outcomes[index], expectations[index])
