"""Golden tests: pympler.asizeof against the outputs of the reference Pympler 1.1.

The corpus ``tests/golden/asizeof_golden.json`` is replayed once per session by
``tests/tools/golden_runner.py`` in a child process (``PYTHONHASHSEED=0``, all
cases in order in one process, as ``tests/golden/GOLDEN_README.md`` says), with
``PYTHONPATH`` = the package under test (the ``PYTHONPATH`` given to pytest,
normally ``build/python``; ``<repo>/build/python`` when unset).  Each case is
then one test:

* unflagged cases must equal the golden ``expected`` (using the case's
  ``compare`` mode), unless ``tests/golden/asizeof_overrides.json`` lists the
  case: then the override's ``expected`` is asserted instead.  An override is
  the *stable* answer of the reference (see ``tests/tools/stable_reference.py``:
  keep-alive of temporaries, no recursion limit, fresh typedef cache) and must
  carry a ``reason``;
* flagged cases (unstable in the reference itself) assert their override when
  there is one; otherwise they are informational: a mismatch is reported as a
  skip (``pytest -rs`` shows the values), never a failure;
* cases that use private names (a leading single underscore, e.g.
  ``asizeof._typedefs``, or ``stringutils``) document the reference's
  internals; GOLDEN_README.md says matching them is optional.  Such a case
  passes when it matches, or when it raises AttributeError for the private
  name (docs/asizeof.md lists what we do not provide); anything else fails
  (set ``PYMPLER_GOLDEN_STRICT_PRIVATE=1`` to require the golden value).

On another CPython version than the goldens' (their ``meta.python_version``)
the stored values do not apply (sizes and layouts differ): the expected
values are then those of the live reference Pympler 1.1 on this interpreter,
the corpus replayed by the same runner in one process, and each overridden
case's stable value is recomputed the way ``stable_reference.py`` does
(``--keepalive --deep``, a fresh process per case).

Environment knobs (for validating the harness against the reference itself):

* ``PYMPLER_GOLDEN_RUNNER_OPTS``: extra runner options, e.g.
  ``--keepalive --deep`` to patch the pure-Python reference like
  ``stable_reference.py`` does;
* ``PYMPLER_GOLDEN_TIMEOUT``: seconds for the whole run (default 900);
* ``PYMPLER_GOLDEN_RESUME=1``: after a crash, run the remaining cases in a new
  process (diagnostics only; those results are order-shifted, so their tests
  still fail, but the message shows whether they would have matched).
"""

import difflib
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from golden_replay import reference_path, stored_goldens_apply

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / 'tests' / 'golden' / 'asizeof_golden.json'
OVERRIDES_FILE = REPO / 'tests' / 'golden' / 'asizeof_overrides.json'
RUNNER = REPO / 'tests' / 'tools' / 'golden_runner.py'

with open(GOLDEN, encoding='utf-8') as _fp:
    CASES = json.load(_fp)['cases']
with open(OVERRIDES_FILE, encoding='utf-8') as _fp:
    OVERRIDES = json.load(_fp)


def _pythonpath():
    """The package under test: $PYTHONPATH (made absolute: the children run
    in other directories), else <repo>/build/python."""
    pp = os.environ.get('PYTHONPATH')
    if not pp:
        return str(REPO / 'build' / 'python')
    return os.pathsep.join(os.path.abspath(p) for p in pp.split(os.pathsep) if p)


def _slug(case, n=40):
    text = case.get('id') or (case.get('expr', '') + ' ' + case.get('py', ''))
    s = re.sub(r'[^A-Za-z0-9]+', '_', text).strip('_').lower()
    return s[:n] or 'case'


IDS = ['asizeof-%d-%s' % (i, _slug(c)) for i, c in enumerate(CASES)]

_PRIVATE = re.compile(r'\b_(?!_)\w+|\bstringutils\b')


def private_names(case):
    """The private names a case uses (GOLDEN_README: matching is optional)."""
    return sorted(set(_PRIVATE.findall(case['expr'] + '\n' + case['py'])))


# --------------------------------------------------------------------------
# running the corpus

class GoldenRun:
    """Outcomes of one runner session (possibly cut short by a crash)."""

    def __init__(self):
        self.meta = {}
        self.outcomes = {}       # index -> outcome
        self.resumed = {}        # index -> outcome from a resumed process
        self.crashed_at = None   # index of the case running when the child died
        self.died = None         # description of how the child died
        self.stderr = ''

    def outcome(self, index):
        """The outcome of case ``index``, or fail the calling test clearly."""
        if index in self.outcomes:
            return self.outcomes[index]
        if not self.meta.get('asizeof_file'):
            pytest.fail('pympler.asizeof could not be imported by the golden runner '
                        '(PYTHONPATH=%s); missing=%s broken=%s\nrunner stderr:\n%s'
                        % (_pythonpath(), self.meta.get('missing_modules'),
                           self.meta.get('broken_modules'), self.stderr[-3000:]),
                        pytrace=False)
        if self.crashed_at == index:
            pytest.fail('the golden runner died (%s) while running this case; '
                        'the outcomes before it are kept.\nrunner stderr (tail):\n%s'
                        % (self.died, self.stderr[-3000:]), pytrace=False)
        extra = ''
        if index in self.resumed:
            extra = ('\n(resumed in a new process it gave %s)'
                     % json.dumps(self.resumed[index])[:500])
        if self.died:
            pytest.fail('not run: the golden runner died (%s) at case %s (%s) '
                        'before reaching this case%s'
                        % (self.died, self.crashed_at,
                           IDS[self.crashed_at] if self.crashed_at is not None
                           else '?', extra), pytrace=False)
        pytest.fail('no outcome recorded for this case (runner bug?)', pytrace=False)


def _launch(out, extra_opts, timeout):
    env = dict(os.environ)
    env['PYTHONHASHSEED'] = '0'
    env['PYTHONPATH'] = _pythonpath()
    cmd = [sys.executable, '-X', 'faulthandler', str(RUNNER), str(GOLDEN), str(out)] + extra_opts
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=timeout, cwd=str(REPO))
        return p.returncode, p.stderr, None
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr or ''
        if isinstance(err, bytes):
            err = err.decode('utf-8', 'replace')
        return None, err, 'timed out after %ss' % timeout


def _collect(run, out, rc, stderr, timeout_msg):
    sys.path.insert(0, str(RUNNER.parent))
    try:
        import golden_runner
    finally:
        sys.path.pop(0)
    run.stderr += stderr
    if rc == 0 and timeout_msg is None and os.path.exists(out):
        with open(out, encoding='utf-8') as fp:
            data = json.load(fp)
        meta = data['meta']
        outcomes = {r['index']: r['outcome'] for r in data['outcomes']}
        return meta, outcomes, None, None
    meta, recs, started = golden_runner.read_partial(str(out))
    outcomes = {r['index']: r['outcome'] for r in recs}
    how = timeout_msg or ('exit status %s' % rc if rc is not None and rc >= 0
                          else 'signal %s' % (-rc if rc is not None else '?'))
    return meta, outcomes, started, how


@pytest.fixture(scope='module')
def golden_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('golden_asizeof')
    opts = shlex.split(os.environ.get('PYMPLER_GOLDEN_RUNNER_OPTS', ''))
    timeout = float(os.environ.get('PYMPLER_GOLDEN_TIMEOUT', '900'))
    run = GoldenRun()
    out = tmp / 'out.json'
    rc, stderr, tmo = _launch(out, opts, timeout)
    run.meta, run.outcomes, run.crashed_at, run.died = _collect(run, out, rc, stderr, tmo)
    if run.died and run.crashed_at is None and run.meta.get('asizeof_file'):
        # died outside a case (e.g. at exit): attribute it to the first case
        # without an outcome, if any, else report it against no case
        missing = [i for i in range(len(CASES)) if i not in run.outcomes]
        run.crashed_at = missing[0] if missing else None
        if not missing:
            sys.stderr.write('golden runner: all cases ran but the child %s\n'
                             % run.died)
            run.died = None
    if (run.died and run.crashed_at is not None
            and os.environ.get('PYMPLER_GOLDEN_RESUME') == '1'):
        start = run.crashed_at + 1
        while start < len(CASES):
            out2 = tmp / ('resume_%d.json' % start)
            rc, stderr, tmo = _launch(out2, opts + ['--start', str(start)], timeout)
            _, outs, crashed, how = _collect(run, out2, rc, stderr, tmo)
            run.resumed.update(outs)
            if not how or crashed is None:
                break
            start = crashed + 1
    return run


def _reference_outcomes(out, opts):
    """The reference Pympler 1.1 replaying the corpus (runner options opts)
    on this interpreter: {index: outcome}."""
    env = dict(os.environ, PYTHONHASHSEED='0', PYTHONPATH=reference_path())
    cmd = [sys.executable, '-X', 'faulthandler', str(RUNNER), str(GOLDEN), str(out)] + opts
    p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                       timeout=float(os.environ.get('PYMPLER_GOLDEN_TIMEOUT', '900')), cwd=str(REPO))
    assert p.returncode == 0, 'reference golden run failed:\n' + p.stderr[-3000:]
    with open(out, encoding='utf-8') as fp:
        return {r['index']: r['outcome'] for r in json.load(fp)['outcomes']}


@pytest.fixture(scope='module')
def expectations(tmp_path_factory):
    """({index: golden value}, {index: override value}): the stored ones on
    the goldens' CPython version, else the live reference's (module doc)."""
    if stored_goldens_apply(GOLDEN):
        return ({i: c['expected'] for i, c in enumerate(CASES)},
                {int(k): ov['expected'] for k, ov in OVERRIDES.items()})
    tmp = tmp_path_factory.mktemp('golden_asizeof_ref')
    golden = _reference_outcomes(tmp / 'plain.json', [])
    stable = {}
    for k in OVERRIDES:
        stable.update(_reference_outcomes(tmp / ('stable_%s.json' % k),
                                          ['--keepalive', '--deep', '--only', k]))
    return golden, stable


# --------------------------------------------------------------------------
# comparing

def strict_equal(a, b):
    """JSON equality that keeps bool, int and float apart (True != 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    return a == b


def _sorted_lines(s):
    return sorted(s.splitlines()) if isinstance(s, str) else s


def compare(mode, expected, got):
    """True if ``got`` matches ``expected`` under the golden compare ``mode``."""
    mode = mode or 'exact'
    if mode == 'exact':
        return strict_equal(expected, got)
    if mode == 'sorted_lines':
        if not (isinstance(expected, str) and isinstance(got, str)):
            return strict_equal(expected, got)
        return _sorted_lines(expected) == _sorted_lines(got)
    if mode.startswith('sorted_lines_in:'):
        key = mode.split(':', 1)[1]
        if not (isinstance(expected, dict) and isinstance(got, dict)):
            return strict_equal(expected, got)
        if expected.keys() != got.keys():
            return False
        for k in expected:
            if k == key and isinstance(expected[k], str) and isinstance(got[k], str):
                if _sorted_lines(expected[k]) != _sorted_lines(got[k]):
                    return False
            elif not strict_equal(expected[k], got[k]):
                return False
        return True
    raise ValueError('unknown compare mode %r' % (mode,))


def describe(expected, got):
    """A readable diff of two JSON values."""
    e = json.dumps(expected, indent=1, sort_keys=True, ensure_ascii=False)
    g = json.dumps(got, indent=1, sort_keys=True, ensure_ascii=False)
    if isinstance(expected, str) and isinstance(got, str):
        e, g = expected, got
    lines = list(difflib.unified_diff(e.splitlines(), g.splitlines(),
                                      'expected', 'got', lineterm='', n=2))
    text = '\n'.join(lines[:80])
    return 'expected: %s\n     got: %s\n%s' % (json.dumps(expected)[:800],
                                                json.dumps(got)[:800], text)


def _source(case):
    return '--- expr:\n%s\n--- py:\n%s' % (case['expr'], case['py'])


# --------------------------------------------------------------------------
# the tests

def test_overrides_file_is_consistent():
    """Every override names a real case, keeps the golden value it replaces
    (so a regenerated corpus makes stale overrides visible) and says why."""
    for key, ov in OVERRIDES.items():
        i = int(key)
        assert 0 <= i < len(CASES), 'override %s: no such case' % key
        case = CASES[i]
        assert ov.get('reason', '').strip(), 'override %s has no reason' % key
        assert 'expected' in ov, 'override %s has no expected value' % key
        assert ov.get('id', case['id']) == case['id'], \
            'override %s: id %r != case id %r' % (key, ov.get('id'), case['id'])
        assert strict_equal(ov.get('golden'), case['expected']), \
            'override %s: recorded golden %r != corpus expected %r' % (
                key, ov.get('golden'), case['expected'])
        assert not strict_equal(ov['expected'], case['expected']), \
            'override %s is useless: same as the golden value' % key


def test_runner_imported_the_package_under_test(golden_run):
    """The child imported pympler.asizeof from PYTHONPATH, not from elsewhere."""
    f = golden_run.meta.get('asizeof_file')
    assert f, 'pympler.asizeof not imported: %s' % golden_run.meta
    roots = [os.path.realpath(p) for p in _pythonpath().split(os.pathsep) if p]
    assert any(os.path.realpath(f).startswith(r + os.sep) for r in roots), \
        'pympler.asizeof came from %s, not from PYTHONPATH=%s' % (f, _pythonpath())


@pytest.mark.parametrize('index', range(len(CASES)), ids=IDS)
def test_golden(golden_run, expectations, index):
    case = CASES[index]
    got = golden_run.outcome(index)
    mode = case.get('compare', 'exact')
    flags = case.get('flags') or []
    override = OVERRIDES.get(str(index))
    golden, stable = expectations[0][index], expectations[1].get(index)

    if override is not None:
        expected = stable
        if not compare(mode, expected, got):
            pytest.fail('case %s (%s): override (stable value) not matched\n'
                        'reason for the override: %s\ngolden (reference, unstable): %s\n%s\n%s'
                        % (index, case['id'], override['reason'],
                           json.dumps(override.get('golden'))[:300],
                           describe(expected, got), _source(case)), pytrace=False)
        return

    if compare(mode, golden, got):
        return
    private = private_names(case)
    if private and os.environ.get('PYMPLER_GOLDEN_STRICT_PRIVATE') != '1':
        # Matching the reference's internals is optional (GOLDEN_README.md);
        # docs/asizeof.md says which private names we do not provide.  Such a
        # case must then fail cleanly on that name, nothing else.
        missing = ["module 'pympler.asizeof' has no attribute '%s'" % n.split('.')[-1]
                   for n in private]
        if isinstance(got, dict) and got.get('raises') == 'AttributeError' \
                and got.get('message') in missing:
            return
        pytest.fail('case %s (%s) uses private names %s: expected the golden value or an '
                    'AttributeError for a private name we do not provide\n%s\n%s'
                    % (index, case['id'], ', '.join(private),
                       describe(golden, got), _source(case)), pytrace=False)
    if flags:
        alts = {k: case[k] for k in ('expected_fresh', 'expected_other_seeds')
                if k in case}
        pytest.skip('informational (flags %s): golden %s, got %s%s; note: %s'
                    % (','.join(flags), json.dumps(golden)[:200],
                       json.dumps(got)[:200],
                       (', alternatives %s' % json.dumps(alts)[:200]) if alts else '',
                       case.get('note', '-')))
    pytest.fail('case %s (%s) differs from the golden value\n%s\n%s'
                % (index, case['id'], describe(golden, got), _source(case)),
                pytrace=False)
