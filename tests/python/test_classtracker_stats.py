"""pympler.classtracker_stats: the golden console output of Pympler 1.1, the
merge of reference trees against the reference (in child processes), and
the module's own behaviour: errors, hostile objects, the missing pieces
(dump/load without pympler._stats_io, HtmlStats' HTML) saying so.
"""

import io
import json
import sys

import pytest

from golden_replay import differs, expected, load_cases, replay
from reference_paths import our_path, reference_dir, run_python

from pympler import asizeof
from pympler.asizeof import Asized
from pympler.classtracker import ClassTracker, Snapshot, TrackedObject
from pympler.classtracker_stats import (ConsoleStats, HtmlStats, Stats, _format_trace, _merge_asized,
                                        _merge_objects, _ref2key)

CASES = load_cases()
INDICES = [i for i, c in enumerate(CASES) if c['id'].startswith('classtracker')]


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory):
    return replay(tmp_path_factory.mktemp('golden_ct'), INDICES, expr_filename='<golden-expr>')


@pytest.fixture(scope='module')
def expectations(tmp_path_factory):
    return expected(tmp_path_factory.mktemp('golden_ct_ref'), INDICES, expr_filename='<golden-expr>')


def test_the_corpus_has_the_case():
    assert [CASES[i]['id'] for i in INDICES] == ['classtracker_console_stats']


@pytest.mark.parametrize('index', INDICES, ids=[CASES[i]['id'] for i in INDICES])
def test_golden_console_stats(outcomes, expectations, index):
    assert outcomes[index] == expectations[index], differs(CASES[index], outcomes[index], expectations[index])


MERGE = r'''
import json
from pympler.classtracker import ClassTracker
from pympler.classtracker_stats import _merge_asized
from pympler.asizeof import Asized, Asizer

def tree(a):
    return [a.name, a.size, a.flat, [tree(r) for r in a.refs]]

class FooNew(object):
    def __init__(self):
        self.foo = 'foo'

ct = ClassTracker()
ct.track_class(FooNew, name='Foo', resolution_level=3)
f1 = FooNew(); f1.a = list(range(1000)); f1.d = {'k': [1, 2]}
f2 = FooNew(); f2.a = list(range(100)); f2.b = 'This is some stupid spam.'
ct.create_snapshot('Merge test')
st = ct.stats
snap = ct.snapshots[0]
classes = st.annotate_snapshot(snap)
out = {k: [v['active'], v['sum'], v['avg'], tree(v['merged']), sorted(v)] for k, v in classes.items()}
out['again'] = st.annotate_snapshot(snap) is classes
a = Asized(1, 1, [Asized(2, 2, name='x: 1'), Asized(3, 3, name='y')], name='r')
b = Asized(10, 10, [Asized(20, 20, name='x: 2'), Asized(30, 30, [Asized(5, 5, name='z')], name='w')], name='r')
_merge_asized(a, b, level=0)
out['merged'] = tree(a)
out['other_untouched'] = tree(b)
st.annotate()
print(json.dumps(out))
'''


def test_merge_same_as_reference():
    ours = json.loads(run_python(MERGE, our_path()))
    ref = json.loads(run_python(MERGE, reference_dir()))
    assert ours == ref
    assert ours['Foo'][0] == 2 and ours['Foo'][1] > 8000


def test_ref2key_and_format_trace():
    assert _ref2key(Asized(0, 0, name='[V] a: [1, 2]')) == '[V] a'
    assert _ref2key(Asized(0, 0, name='plain')) == 'plain'
    trace = [('f.py', 3, 'main', ['  x = Foo()  \n'], 0), ('g.py', 12, 'make', None, None)]
    assert _format_trace(trace) == '    x = Foo()\n  f.py:   3 in main\n  g.py:  12 in make\n'
    assert _format_trace([]) == ''
    with pytest.raises(ValueError):
        _format_trace([(1, 2)])
    with pytest.raises(TypeError):
        _format_trace(42)


def test_merge_objects_takes_the_snapshot_at_the_time():
    t = TrackedObject.__new__(TrackedObject)
    t.snapshots = [(1.0, Asized(5, 5)), (2.0, Asized(7, 6, [Asized(1, 1, name='n')]))]
    m = Asized(0, 0)
    _merge_objects(2.0, m, t)
    assert (m.size, m.flat, [r.name for r in m.refs]) == (7, 6, ['n'])
    _merge_objects(3.0, m, t)
    assert m.size == 7


def test_deep_trees_merge_and_print_without_recursion():
    depth = 50000
    a = Asized(1, 1, name='root')
    node = a
    for i in range(depth):
        child = Asized(1, 1, name='n%d' % i)
        node.refs = (child,)
        node = child
    m = Asized(0, 0)
    _merge_asized(m, a)
    _merge_asized(m, a)
    assert m.size == 2
    out = io.StringIO()
    ConsoleStats(stream=out)._print_refs(a.refs, 1)
    assert out.getvalue().count('\n') == depth


class Foo:
    def __init__(self):
        self.foo = 'Foo'

    def __repr__(self):
        return '<%s>' % self.foo


def test_stats_attributes_and_sorting():
    out = io.StringIO()
    ct = ClassTracker(stream=out)
    ct.track_class(Foo, name='Foo')
    foos = [Foo() for _ in range(4)]
    ct.create_snapshot()
    st = ct.stats
    assert isinstance(st, ConsoleStats) and st.tracker is ct and st.stream is out
    assert st.index is ct.index and st.snapshots is ct.snapshots and st.history is ct.history
    assert st.sorted == []
    assert st.sort_stats('size', 'birth') is st
    assert [t.classname for t in st.sorted] == ['Foo'] * 4
    assert all(t.size == t.get_max_size() and t.tsize > 0 for t in st.sorted)
    assert st.reverse_order() is st
    with pytest.raises(ValueError, match='Invalid sort criteria'):
        st.sort_stats('nope')
    with pytest.raises(TypeError):
        st.sort_stats([])
    st.print_stats(limit=2)
    assert out.getvalue().count('<Foo>') == 2
    assert st.tracked_classes == ['Foo']
    ct.clear()
    s = Stats()
    assert s.stream is sys.stdout and s.index == {} and s.snapshots == [] and s.tracker is None
    del foos


def test_dump_and_load_round_trip_through_our_format(tmp_path):
    class Foo:
        def __init__(self, n):
            self.data = list(range(n))
    ct = ClassTracker()
    try:
        ct.track_class(Foo, name='Foo', resolution_level=1)
        foos = [Foo(10 * i) for i in range(5)]
        ct.create_snapshot('one')
        del foos[0]
        ct.create_snapshot('two')
        before = io.StringIO()
        st = ConsoleStats(tracker=ct, stream=before)
        st.print_stats(limit=5)
        st.print_summary()
        path = tmp_path / 'stats.dump'
        st.dump_stats(str(path))
        assert path.read_bytes()[:9] == b'\x89PYMSTATS'      # our format, not a pickle
        after = io.StringIO()
        loaded = ConsoleStats(filename=str(path), stream=after)
        loaded.print_stats(limit=5)
        loaded.print_summary()
        assert after.getvalue() == before.getvalue() and 'Foo' in after.getvalue()
        assert [s.desc for s in loaded.snapshots] == ['one', 'two']
        assert sorted(loaded.index) == ['Foo'] and len(loaded.index['Foo']) == 5
        # a file object too, and loading again replaces what was loaded (as Pympler's load_stats does)
        with open(path, 'rb') as f:
            loaded.load_stats(f)
        assert len(loaded.index['Foo']) == 5 and len(loaded.snapshots) == 2
        (tmp_path / 'cut.dump').write_bytes(path.read_bytes()[:40])
        with pytest.raises(ValueError, match='cut.dump: truncated'):
            Stats(filename=str(tmp_path / 'cut.dump'))
    finally:
        ct.close()


def test_html_stats_writes_the_report_and_names_the_pieces_it_does_not_have(tmp_path):
    h = HtmlStats(tracker=ClassTracker(), stream=io.StringIO())
    assert isinstance(h, Stats) and h.sorted == []
    h.create_html(str(tmp_path / 'x.html'))
    assert 'No snapshots were taken' in (tmp_path / 'x.html').read_text()
    with pytest.raises(NotImplementedError, match='create_html'):
        h.create_pie_chart(None)


def test_hostile_objects_never_crash():
    class BadName:
        def __str__(self):
            raise RuntimeError('no str')

    out = io.StringIO()
    st = ConsoleStats(stream=out)
    with pytest.raises(RuntimeError):
        st._print_refs([Asized(10, 10, name=BadName())], 10)
    with pytest.raises(ZeroDivisionError):
        st._print_refs([Asized(10, 10, name='x')], 0)
    t = TrackedObject.__new__(TrackedObject)
    with pytest.raises(AttributeError):
        st.print_object(t)
    t.snapshots = 42
    with pytest.raises(TypeError):
        _merge_objects(1.0, Asized(0, 0), t)
    snap = Snapshot(1.0)
    st.index = {'X': [t]}
    with pytest.raises((TypeError, AttributeError)):
        st.annotate_snapshot(snap)
