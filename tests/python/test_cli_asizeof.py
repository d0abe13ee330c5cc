"""The command: ``pympler asizeof`` (``$PYMPLER_BIN``, default build/bin/pympler).

Its output is ``asized(value, ...).format()`` per expression, as the package
prints it; ``make example`` must print what the reference Pympler 1.1 prints
for ``asized(data, detail=2).format()``.
"""

import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from pympler import asizeof

from cli_helpers import BIN, REPO
from reference_paths import reference_dir

EXAMPLE = REPO / 'examples' / 'structure.py'


def _norm(s):
    return re.sub(r'0x[0-9a-fA-F]+', '0x?', s)


def cli(*args, timeout=60):
    env = dict(os.environ, PYTHONHASHSEED='0')
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=str(REPO))


def _printed(fn):
    buf = io.StringIO()
    with redirect_stdout(buf):
        fn()
    return buf.getvalue()


def test_c_expression():
    p = cli('asizeof', '-c', '[1, 2, 3]')
    assert p.returncode == 0, p.stderr
    assert p.stdout == asizeof.asized([1, 2, 3]).format() + '\n'
    assert p.stdout == '[1, 2, 3] size=184 flat=88\n'
    assert p.stderr == ''


def test_positional_expressions_and_repeated_c():
    p = cli('asizeof', '-c', '[1]', '-c', '{"a": (1, 2)}')
    assert p.returncode == 0, p.stderr
    assert p.stdout == (asizeof.asized([1]).format() + '\n' +
                        asizeof.asized({'a': (1, 2)}).format() + '\n')
    q = cli('asizeof', '[1]', '{"a": (1, 2)}')
    assert q.returncode == 0 and q.stdout == p.stdout


def test_detail():
    value = {'k': [1, (2, 'three')], 'z': 'x' * 50}
    p = cli('asizeof', '--detail', '1', '-c', repr(value))
    assert p.returncode == 0, p.stderr
    assert p.stdout == asizeof.asized(value, detail=1).format() + '\n'
    assert p.stdout.count('\n') == 1 + 4
    p3 = cli('asizeof', '--detail', '3', repr(value))
    assert p3.stdout == asizeof.asized(value, detail=3).format() + '\n'


def test_setup_and_several_expressions():
    setup = 'x = [1, 2, 3]\ny = {"a": x, "b": "text" * 10}\nclass C:\n    pass\nc = C()\nc.v = y'
    ns = {'__name__': '__main__'}  # else C.__module__ is 'builtins': ignored by asizeof
    exec(setup, ns)
    p = cli('asizeof', '--setup', setup, '--detail', '2', 'x', 'y', 'c', 'len(y)')
    assert p.returncode == 0, p.stderr
    expected = ''.join(asizeof.asized(ns[n], detail=2).format() + '\n' for n in ('x', 'y', 'c'))
    expected += asizeof.asized(2, detail=2).format() + '\n'
    assert _norm(p.stdout) == _norm(expected)


def test_limit():
    deep = '[[[[[[1]]]]]]'
    for limit in ('0', '1', '3', '100'):
        p = cli('asizeof', '--limit', limit, '--detail', '9', deep)
        assert p.returncode == 0, p.stderr
        assert p.stdout == asizeof.asized(eval(deep), detail=9, limit=int(limit)).format() + '\n'
    assert cli('asizeof', '--limit', '1', deep).stdout != cli('asizeof', deep).stdout


def test_stats_output():
    p = cli('asizeof', '--stats', '1', '[1, 2, 3]', '"x" * 2000')
    assert p.returncode == 0, p.stderr

    def both():
        for v in ([1, 2, 3], 'x' * 2000):
            print(asizeof.asized(v, stats=1).format())
    assert p.stdout == _printed(both)
    assert 'asized(stats=1): size 184, flat 88' in p.stdout
    assert ' objects sized' in p.stdout


def test_help():
    for args in (('asizeof', '--help'), ('asizeof', '-h')):
        p = cli(*args)
        assert p.returncode == 0, args
        assert p.stdout.startswith('usage: pympler asizeof')
        assert '--detail N' in p.stdout and '--setup CODE' in p.stdout
        assert p.stderr == ''


@pytest.mark.parametrize('args', [
    (),
    ('bogus',),
    ('asizeof',),
    ('asizeof', '--bogus', '1'),
    ('asizeof', '--detail'),
    ('asizeof', '--detail', 'x', '1'),
    ('asizeof', '--limit', '-', '1'),
    ('asizeof', '--stats', '1.5x', '1'),
    ('asizeof', '-c'),
])
def test_bad_usage_exits_2_with_one_line(args):
    p = cli(*args)
    assert p.returncode == 2, (args, p.stdout, p.stderr)
    assert p.stdout == ''
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert re.match(r'pympler( asizeof)?: ', lines[0]), lines[0]


@pytest.mark.parametrize('args, exc', [
    (('asizeof', '1/0'), 'ZeroDivisionError: division by zero'),
    (('asizeof', '--setup', 'raise KeyError("k")', '1'), "KeyError: 'k'"),
    (('asizeof', 'x y'), 'SyntaxError'),
    (('asizeof', 'undefined_name'), "NameError: name 'undefined_name' is not defined"),
])
def test_raising_expression_exits_1_with_traceback(args, exc):
    p = cli(*args)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert exc in p.stderr
    assert p.stderr.startswith('Traceback (most recent call last):') or 'SyntaxError' in exc


def test_output_before_failure_is_kept():
    p = cli('asizeof', '[1, 2, 3]', '1/0')
    assert p.returncode == 1
    assert p.stdout == '[1, 2, 3] size=184 flat=88\n'
    assert 'ZeroDivisionError' in p.stderr


def test_make_example_matches_reference():
    setup = EXAMPLE.read_text()
    p = cli('asizeof', '--detail', '2', '--setup', setup, 'data')
    assert p.returncode == 0, p.stderr
    code = ('from pympler import asizeof\nexec(compile(open(%r).read(), "structure", "exec"))\n'
            'print(asizeof.asized(data, detail=2).format())\n' % str(EXAMPLE))
    env = dict(os.environ, PYTHONPATH=reference_dir(), PYTHONHASHSEED='0')
    r = subprocess.run([sys.executable, '-P', '-c', code], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert _norm(p.stdout) == _norm(r.stdout)
    assert p.stdout.startswith('{')
    assert len(p.stdout.splitlines()) > 10
