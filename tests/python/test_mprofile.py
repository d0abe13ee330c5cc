"""pympler.mprofile: MProfiler against the reference Pympler 1.1 (in a
subprocess), and against hostile input.

The totals a census measures differ between the two implementations (and
between any two processes); what is compared exactly is which code points
are met, how often, the shape of each entry and the errors.
"""

import gc
import json
import os
import pickle
import sys

import pytest

from pympler import mprofile
from pympler.mprofile import MProfiler

from reference_paths import our_path, reference_dir, run_python

HAVE_REF = os.path.isfile(os.path.join(reference_dir(), 'pympler', 'mprofile.py'))
needs_ref = pytest.mark.skipif(not HAVE_REF, reason='reference Pympler 1.1 missing: make deps')

# Run in a child (python -c: the program's file name, and the command's, is
# '<string>') with ours or the reference on PYTHONPATH: what profiling a
# small program records, as JSON.  Only the program's own code points are
# kept: Pympler's run() is a Python frame of its own, which records events
# of its own (the c_call of exec, of sys.setprofile); ours has no frame.
PROBE = r'''
import json, sys
from pympler import mprofile

def f(n):
    x = [0] * n
    return len(x)

def g():
    return f(10) + f(20)

def mine(memories):
    return sorted([list(cp), v[0], type(v[1]).__name__, v[1] <= v[2], v[3], len(v)]
                  for cp, v in memories.items() if cp[0] == '<string>')

out = {}
p = mprofile.MProfiler()
out['attrs'] = sorted(vars(p))
out['run_returns_self'] = p.run("import __main__; __main__.g()") is p
out['all'] = mine(p.memories)
q = mprofile.MProfiler(codepoints=[(None, 'f', None)], events=['call'])
q.run("import __main__; __main__.g()")
out['f_calls'] = mine(q.memories)
q = mprofile.MProfiler(events=('return',))
q.run("import __main__; __main__.g()")
out['returns'] = mine(q.memories)
q = mprofile.MProfiler(codepoints=[('<string>', 'g', None), ('nowhere', None, None)])
q.run("import __main__; __main__.g()")
out['in_g'] = mine(q.memories)
p = mprofile.MProfiler()
p.profile(sys._getframe(), 'call', None)
p.profile(sys._getframe(), 'line', 'x')
out['direct'] = [[list(cp[1:]), v[0], v[3]] for cp, v in p.memories.items()]
try:
    p.run("1/0")
except ZeroDivisionError:
    out['after_error'] = sys.getprofile()
p.run("print(type(self).__name__, cmd, sys.__name__, inspect.__name__, muppy.__name__)")
p = mprofile.MProfiler()
def errs(*calls):
    r = []
    for c in calls:
        try:
            r.append(['ok', repr(c())])
        except Exception as e:
            r.append([type(e).__name__, str(e)])
    return r
def with_cps(cps, cp):
    p.codepoints = cps
    return p.codepoint_included(cp)
out['included'] = errs(lambda: with_cps([(None, None, None)], ('a', 'b', 1)),
                       lambda: with_cps([], ('a', 'b', 1)),
                       lambda: with_cps([('a',)], ('a', 'b', 1)),
                       lambda: with_cps([('b',)], ('a', 'b', 1)),
                       lambda: with_cps([('a', 'b', 1, 2)], ('a', 'b', 1)),
                       lambda: with_cps([(None, None, 1.0)], ('a', 'b', 1)),
                       lambda: with_cps([[None, 'b']], ['a', 'b']),
                       lambda: with_cps([(None, 'b', None)], ('a', 'x', 1)),
                       lambda: with_cps(5, ('a', 'b', 1)),
                       lambda: with_cps([5], ('a', 'b', 1)),
                       lambda: p.codepoint_included(codepoint=('a',)),
                       lambda: with_cps(None, 'anything'))
p.codepoints = None
p.events = 7
out['bad_events'] = errs(lambda: p.profile(sys._getframe(), 'call', None))
print(json.dumps(out))
'''


def probe(path):
    return json.loads(run_python(PROBE, path).splitlines()[-1])


@needs_ref
def test_the_same_code_points_counts_and_errors_as_the_reference():
    ours, ref = probe(our_path()), probe(reference_dir())
    assert ours == ref
    # and they are what the program does
    assert [e[0][1:] + [e[1]] for e in ours['f_calls']] == [['f', 5, 2]]  # def f: line 5 of PROBE
    assert ours['after_error'] is None


@needs_ref
def test_run_prints_what_the_command_prints():
    out = run_python(PROBE, our_path())
    assert 'MProfiler print(type(self).__name__, cmd, sys.__name__' in out
    assert out.splitlines()[-2].endswith('sys inspect pympler.muppy')


def test_a_profiler_is_a_plain_object():
    p = MProfiler([('a', None, None)], events=['call'])
    assert vars(p) == {'memories': {}, 'codepoints': [('a', None, None)], 'events': ['call']}
    p.extra = 1
    q = pickle.loads(pickle.dumps(p))
    assert type(q) is MProfiler and vars(q) == vars(p)

    class Mine(MProfiler):
        def codepoint_included(self, cp):
            self.seen.append(cp)
            return False
    m = Mine()
    m.seen = []
    m.profile(sys._getframe(), 'call', None)
    assert m.seen and m.seen[0][1] == 'test_a_profiler_is_a_plain_object' and m.memories == {}


def a_frame():
    """A finished frame: its line stays put (a running frame's moves on)."""
    return sys._getframe()


def test_an_entry_counts_and_widens_its_bounds():
    p = MProfiler()
    frame = a_frame()
    for _ in range(3):
        p.profile(frame, 'call', None)
    (cp, entry), = p.memories.items()
    assert cp == (__file__, 'a_frame', frame.f_lineno)
    assert entry[0] == 3 and 0 < entry[1] <= entry[2] and entry[3] == 0
    # the census counts live objects: a large one shows in the maximum
    big = [None] * 1000000
    p.profile(frame, 'call', None)
    assert p.memories[cp][2] >= entry[1] + sys.getsizeof(big) - 100000
    del big


def test_a_traceback_counts_as_its_frame():
    try:
        1 / 0
    except ZeroDivisionError as e:
        tb = e.__traceback__
    p = MProfiler()
    p.profile(tb, 'call', None)
    (cp, entry), = p.memories.items()
    assert cp == (__file__, 'test_a_traceback_counts_as_its_frame', tb.tb_lineno)


def test_wrong_arguments():
    p = MProfiler()
    with pytest.raises(TypeError, match='is not a frame or traceback object'):
        p.profile(1, 'call', None)
    with pytest.raises(TypeError):
        p.profile(sys._getframe(), 'call')
    with pytest.raises(TypeError):
        MProfiler(1, 2, 3)
    with pytest.raises(TypeError):
        p.run()
    with pytest.raises(TypeError):
        p.run(42)
    assert sys.getprofile() is None
    assert p.memories == {}


class Hostile:
    """Raises from everything the profiler may ask of it."""

    def __len__(self):
        raise RuntimeError('len')

    def __contains__(self, x):
        raise RuntimeError('contains')

    def __iter__(self):
        raise RuntimeError('iter')

    def __getitem__(self, k):
        raise RuntimeError('getitem')

    def __setitem__(self, k, v):
        raise RuntimeError('setitem')

    def __ne__(self, o):
        raise RuntimeError('ne')

    def __bool__(self):
        raise RuntimeError('bool')


@pytest.mark.parametrize('attr,value,message', [
    ('events', Hostile(), 'contains'),
    ('codepoints', Hostile(), 'iter'),
    ('codepoints', [Hostile()], 'len'),
    ('codepoints', [[Hostile()]], 'ne'),
    ('memories', Hostile(), 'contains'),
])
def test_hostile_attributes_raise_cleanly(attr, value, message):
    p = MProfiler()
    setattr(p, attr, value)
    with pytest.raises(RuntimeError, match=message):
        p.profile(sys._getframe(), 'call', None)
    # under run(), the error ends the profiling, which is removed
    with pytest.raises(RuntimeError, match=message):
        p.run('pass')
    assert sys.getprofile() is None


def test_hostile_entries_raise_cleanly():
    class Entry(list):
        def __getitem__(self, i):
            raise RuntimeError('entry')
    p = MProfiler()
    frame = a_frame()
    p.profile(frame, 'call', None)
    (cp, _), = p.memories.items()
    p.memories[cp] = Entry([0, 0, 0, 0])
    with pytest.raises(RuntimeError, match='entry'):
        p.profile(frame, 'call', None)
    p.memories[cp] = (0, 0, 0, 0)
    with pytest.raises(TypeError):
        p.profile(frame, 'call', None)
    p.memories = {}
    with pytest.raises(AttributeError):
        del p.memories
        p.profile(frame, 'call', None)


def test_missing_attributes_raise_attribute_error():
    p = MProfiler()
    del p.events
    with pytest.raises(AttributeError):
        p.profile(sys._getframe(), 'call', None)
    p = MProfiler()
    del p.codepoints
    with pytest.raises(AttributeError):
        p.codepoint_included(('a', 'b', 1))


def test_the_module_shows_what_pympler_imports():
    assert mprofile.sys is sys
    assert mprofile.inspect.__name__ == 'inspect'
    assert mprofile.muppy.__name__ == 'pympler.muppy'
    gc.collect()
