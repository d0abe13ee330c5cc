"""pympler.util.stringutils and pympler.util.compat against Pympler 1.1.

Every case is a Python expression evaluated in a child process, once with
our package and once with the reference (never both in one process); the
outcome is the repr and type of the result, or the exception's type and
message, and both must be equal.  The setup defines hostile objects:
__repr__/__str__ that raise (even KeyboardInterrupt) or return non-str,
clip/max/left objects whose __bool__, comparisons or __index__ misbehave.

Cases where the reference never returns (pp of inf, or with base <= 1) are
tested on our side only: we raise its eventual IndexError at once.
"""

import json
import os
import subprocess
import sys

import pytest

from reference_paths import our_path, reference_dir

SETUP = r'''
import sys, weakref
from decimal import Decimal
from fractions import Fraction
from pympler.util import stringutils, compat
from pympler.util.stringutils import safe_repr, trunc, pp, pp_timestamp

class RaisingRepr:
    def __repr__(self): raise ValueError('no repr')
class KIRepr:
    def __repr__(self): raise KeyboardInterrupt
class ExitRepr:
    def __repr__(self): raise SystemExit(3)
class MemRepr:
    def __repr__(self): raise MemoryError
class IntRepr:
    def __repr__(self): return 42
class NoneRepr:
    def __repr__(self): return None
class S(str):
    pass
class SubRepr:
    def __repr__(self): return S('a subclass repr that is long')
class LongRepr:
    def __repr__(self): return 'L' * 50 + '\n' + 'tail'
class RaisingStr:
    def __str__(self): raise RuntimeError('no str')
class IntStr:
    def __str__(self): return 1
class SubStr:
    def __str__(self): return S('sub\nclass\nstr value')
class BadBool:
    def __bool__(self): raise RuntimeError('no bool')
class Idx:
    def __init__(self, v): self.v = v
    def __index__(self): return self.v
class IdxCmp(Idx):
    def __bool__(self): return self.v != 0
    def __le__(self, o): return self.v <= o
    def __ge__(self, o): return self.v >= o
    def __lt__(self, o): return self.v < o
    def __gt__(self, o): return self.v > o
    def __sub__(self, o): return Idx(self.v - o)
    def __rsub__(self, o): return o - self.v
class Truthy:
    def __bool__(self): return True
class Falsy:
    def __bool__(self): return False
class BadIter:
    def __iter__(self): raise OSError('no iter')
class Boom:
    def __iter__(self):
        yield 1
        raise ValueError('mid-iteration')
class Eq:
    def __eq__(self, o): return True
    __hash__ = object.__hash__
    def __repr__(self): return 'Eq()'
class Weak:
    pass
w1, w2 = Weak(), Weak()
ws = weakref.WeakSet([w1])
eq, one = Eq(), 1
big = 2 ** 2000
'''

CHILD = r'''
import json, sys
ns = {}
exec(sys.argv[1], ns)
out = []
for expr in json.loads(sys.stdin.read()):
    try:
        r = eval(expr, ns)
        out.append({'value': repr(r), 'type': type(r).__name__})
    except BaseException as e:
        out.append({'raises': type(e).__name__, 'message': str(e)})
print(json.dumps(out))
'''

TEXTS = ["42", "'Clipped text'", "[1, 2, 3, 4]", "'x' * 200", "''", "'a'", "'ab'",
         "'abc'", "'abcde'", "'multi\\nline'", "RaisingRepr()", "IntRepr()", "NoneRepr()",
         "SubRepr()", "LongRepr()", "KIRepr()", "ExitRepr()", "MemRepr()", "None",
         "1.5", "float('nan')", "big"]
CLIPS = ["None", "0", "1", "2", "3", "4", "5", "8", "-1", "-4", "-100", "True", "False",
         "2**100", "-2**100", "8.0", "0.0", "2.5", "'8'", "Idx(8)", "IdxCmp(8)", "IdxCmp(2)",
         "IdxCmp(0)", "BadBool()", "Truthy()", "Falsy()", "Decimal(8)", "Fraction(16, 2)"]

SAFE_REPR = (["safe_repr(%s)" % t for t in TEXTS] +
             ["safe_repr(%s, clip=%s)" % (t, c) for t in TEXTS for c in CLIPS] +
             ["safe_repr(%s, %s)" % (t, c) for t in TEXTS[:4] for c in CLIPS[:8]])

OBJS = ["'This is a long text.'", "'short'", "'multi\\nline\\ntext that is long'",
        "12345678901", "''", "'\\n' * 10", "'abc'", "None", "[1, 2, 3] * 5", "SubStr()",
        "S('a\\nb\\nc\\nd\\ne\\nf')", "RaisingStr()", "IntStr()", "LongRepr()"]
MAXES = ["8", "0", "1", "2", "3", "4", "5", "-1", "-5", "-1000", "2**100", "-2**100", "True",
         "False", "8.0", "2.5", "-2.5", "None", "'8'", "Idx(8)", "IdxCmp(5)", "IdxCmp(50)",
         "Decimal(5)", "Fraction(5)", "BadBool()"]
LEFTS = ["False", "True", "0", "1", "None", "''", "'x'", "BadBool()", "Truthy()", "Falsy()"]

TRUNC = (["trunc(%s, %s)" % (o, m) for o in OBJS for m in MAXES] +
         ["trunc(%s, %s, left=%s)" % (o, m, l) for o in OBJS[:4] + OBJS[9:12]
          for m in MAXES[:17] for l in LEFTS] +
         ["trunc(%s, %s, %s)" % (o, m, l) for o in OBJS[:2] for m in MAXES[:4]
          for l in LEFTS[:2]] +
         ["trunc(obj=%s, max=%s, left=%s)" % (o, m, l) for o in OBJS[:2] for m in MAXES[:3]
          for l in LEFTS[:2]])

NUMBERS = ["0", "1", "1023", "1024", "1025", "1536", "1048576", "10**9", "1024**4", "1024**5",
           "1024**6", "1024**6 + 1", "2**60", "2**70", "2**100", "-5000", "-2**70", "0.5",
           "1024.5", "1e18", "1e30", "1e300", "-1e300", "float('nan')", "float('-inf')",
           "True", "False", "big", "-big", "Decimal(5000)", "Decimal(10)", "Fraction(5000, 3)",
           "Fraction(1, 3)", "'12'", "None", "1j", "[1]", "-0.0", "1023.999", "1024.0000001"]
BASES = ["1024", "1000", "1000.0", "2", "10", "-5", "0", "0.0", "'10'", "None", "big",
         "1e308", "Decimal(1000)", "Fraction(1000)", "True", "1.5"]

# base True (1): the reference divides forever unless i <= 1 at once
BASE_ONE_OK = ("0", "1", "-5000", "0.5", "float('nan')", "'x'", "big")
# base -5: a quotient in (-5, 0] stays greater than the base forever
NEGATIVE_BASE_OK = ("5000", "-5000", "2**20", "2**70", "123456789.0", "big", "float('nan')",
                    "'x'")
PP = (["pp(%s)" % n for n in NUMBERS] +
      ["pp(%s, %s)" % (n, b) for n in ["0", "1", "5000", "-5000", "2**20", "2**70", "0.5",
                                       "123456789.0", "big", "float('nan')", "'x'",
                                       "Fraction(7, 2)"]
       for b in BASES if (b != "True" or n in BASE_ONE_OK) and
       (b != "-5" or n in NEGATIVE_BASE_OK)] +
      ["pp(i=5000, base=1000)", "pp(5000, base=1000)"])

TIMES = ["None", "0", "1.5", "59.999", "61.25", "3600", "3725.5", "90061.0", "-1", "-3725.5",
         "0.004", "0.005", "59.995", "1e20", "1e300", "-1e300", "float('nan')", "float('inf')",
         "float('-inf')", "big", "-big", "10**20", "True", "False", "Decimal('3725.5')",
         "Fraction(7451, 2)", "'10'", "[1]", "1j", "-0.0", "86399.999"]
PP_TIMESTAMP = ["pp_timestamp(%s)" % t for t in TIMES] + ["pp_timestamp(t=61)"]

COMPAT = ["compat.object_in_list(one, [1, 2, one])", "compat.object_in_list(1.0, [1, 2])",
          "compat.object_in_list(eq, [eq])", "compat.object_in_list(Eq(), [eq, eq])",
          "compat.object_in_list(w1, ws)", "compat.object_in_list(w2, ws)",
          "compat.object_in_list(w1, iter([w2, w1]))", "compat.object_in_list(None, [])",
          "compat.object_in_list(None, (x for x in [None]))", "compat.object_in_list(1, 5)",
          "compat.object_in_list(1, BadIter())", "compat.object_in_list(1, Boom())",
          "compat.object_in_list(2, Boom())", "compat.object_in_list('a', 'abc')",
          "compat.object_in_list(obj=one, l=[one])",
          "type(compat.tkinter).__name__", "getattr(compat.tkinter, '__name__', None)",
          "compat.Any", "compat.Iterable", "stringutils.Any", "stringutils.Optional",
          "stringutils.Union",
          "sorted(n for n in dir(stringutils) if not n.startswith('_'))",
          "sorted(n for n in dir(compat) if not n.startswith('_'))",
          "stringutils.__name__", "compat.__name__"]

# Exceptions of the argument parsers: the types agree, the messages are
# CPython's for C functions.
ARGS = ["safe_repr()", "safe_repr(1, 2, 3)", "safe_repr(1, clp=3)", "trunc('x')",
        "trunc()", "trunc('x', 1, 2, 3)", "trunc('x', 1, right=True)", "pp()", "pp(1, 2, 3)",
        "pp(1, bas=2)", "pp_timestamp()", "pp_timestamp(1, 2)", "compat.object_in_list(1)",
        "safe_repr(obj=1, clip=3, x=1)"]

ALL = SAFE_REPR + TRUNC + PP + PP_TIMESTAMP + COMPAT


def run(pythonpath, exprs):
    env = dict(os.environ, PYTHONPATH=pythonpath, PYTHONHASHSEED='0')
    p = subprocess.run([sys.executable, '-P', '-c', CHILD, SETUP], input=json.dumps(exprs),
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


@pytest.fixture(scope='module')
def outcomes():
    exprs = ALL + ARGS
    ours, ref = run(our_path(), exprs), run(reference_dir(), exprs)
    return dict(zip(exprs, ours)), dict(zip(exprs, ref))


def test_the_cases_are_many():
    assert len(ALL) > 1000 and len(set(ALL)) == len(ALL)


@pytest.mark.parametrize('expr', ALL)
def test_same_as_reference(outcomes, expr):
    ours, ref = outcomes
    assert ours[expr] == ref[expr], expr


@pytest.mark.parametrize('expr', ARGS)
def test_bad_arguments_raise_the_same_type(outcomes, expr):
    ours, ref = outcomes
    assert ref[expr]['raises'] == 'TypeError'
    assert ours[expr]['raises'] == 'TypeError', ours[expr]
    # the message names the function
    name = expr.split('(')[0].split('.')[-1]
    assert name in ours[expr]['message'], ours[expr]['message']


# ---- our side only ----------------------------------------------------------

NEVER_RETURN_IN_REFERENCE = ["pp(float('inf'))", "pp(5, 1)", "pp(5, 0.5)", "pp(5, True)",
                             "pp(float('inf'), 1e308)", "pp(0, -1)", "pp(0, -5)",
                             "pp(Fraction(7, 2), -5)"]


@pytest.mark.parametrize('expr', NEVER_RETURN_IN_REFERENCE)
def test_where_the_reference_loops_forever_we_raise_index_error(expr):
    (out,) = run(our_path(), [expr])
    assert out == {'raises': 'IndexError', 'message': 'list index out of range'}


def test_clear_messages_for_bad_values():
    outs = run(our_path(), ["trunc('abc', 'x')", "trunc('abcdef', 2.5)", "pp('12')",
                            "pp_timestamp('10')", "safe_repr(1, 'x')"])
    assert outs[0] == {'raises': 'TypeError',
                       'message': "'>' not supported between instances of 'int' and 'str'"}
    assert outs[1] == {'raises': 'TypeError', 'message':
                       'slice indices must be integers or None or have an __index__ method'}
    assert outs[2] == {'raises': 'TypeError',
                       'message': "'>' not supported between instances of 'str' and 'int'"}
    assert outs[3] == {'raises': 'TypeError',
                       'message': "unsupported operand type(s) for /: 'str' and 'int'"}
    assert outs[4] == {'value': "'N/A'", 'type': 'str'}  # int <= str raised: caught


def test_summary_pp_is_unchanged():
    (out,) = run(our_path(), [
        "list(__import__('pympler.summary').summary.format_([['int', 3, 2**20 + 2**19]]))"])
    assert '1.50 MB' in out['value'], out


def test_the_modules_are_c_extensions():
    (out,) = run(our_path(), ["[m.__file__.rsplit('.', 1)[-1] for m in (stringutils, compat)]"])
    assert out['value'] == "['so', 'so']"
