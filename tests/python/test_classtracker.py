"""pympler.classtracker against the reference Pympler 1.1.

The scenarios run in child processes, once with our package and once with the
reference (never both in one process), and print JSON: sizes of snapshots,
the names and sizes of referents at each resolution level, history counts,
trace records, the state of TrackedObject, what printing writes (timestamps
and addresses normalised).  Behaviour Pympler does not have (clear errors,
__init__'s return value, the thread stopping) is tested here directly.
"""

import gc
import io
import json
import sys
import threading
import time
import weakref

import pytest

from reference_paths import our_path, reference_dir, run_python

from pympler import asizeof
from pympler.classtracker import (ClassTracker, PeriodicThread, Snapshot, TrackedObject, _ClassObserver,
                                  _get_time, track_object_creation, track_object_deletion)
from pympler.classtracker_stats import ConsoleStats

SCENARIO = r'''
import gc, io, json, re, sys
from pympler.classtracker import ClassTracker, TrackedObject
from pympler import classtracker

def norm(s):
    s = re.sub(r'\d\d:\d\d:\d\d\.\d\d', 'HH:MM:SS.ss', s)
    return re.sub(r'0x[0-9a-fA-F]+', '0x?', s)

def tree(a):
    return [a.name, a.size, a.flat, [tree(r) for r in a.refs]]

class Item:
    def __init__(self, n):
        self.payload = list(range(n))
        self.name = 'item%d' % n
    def __repr__(self):
        return '<Item %s>' % self.name

class Sub(Item):
    pass

class Plain:
    pass

out = {}
ct = ClassTracker(stream=io.StringIO())
ct.track_class(Item, name='Item', resolution_level=2)
items = [Item(10), Item(100)]
sub = Sub(5)
p = Plain()
p.data = {'a': [1, 2, 3], 'b': 'text'}
ct.track_object(p, resolution_level=1)
ct.create_snapshot('first')
items.append(Item(1000))
del items[0]
gc.collect()
ct.create_snapshot('second')
s0, s1 = ct.snapshots
out['tracked_total'] = [s0.tracked_total, s1.tracked_total]
out['asizeof_total'] = [s0.asizeof_total, s1.asizeof_total]
out['desc'] = [s0.desc, s1.desc]
out['overhead_positive'] = [s0.overhead > 0, s1.overhead > 0]
out['index'] = sorted((k, len(v)) for k, v in ct.index.items())
out['history'] = {k: [c for _, c in v] for k, v in sorted(ct.history.items())}
objs = sorted(ct.objects.values(), key=lambda t: t.birth)
out['objects'] = [[t.name, t.repr, t.death is None, [tree(s) for _, s in t.snapshots], t.get_max_size(),
                   t._resolution_level, t.trace] for t in objs]
out['sizes_at'] = [[t.get_size_at_time(s.timestamp) for s in ct.snapshots] for t in objs]
out['first_snapshot'] = [[t.snapshots[0][0] == t.birth, t.snapshots[0][1].name] for t in objs]
out['state_keys'] = [sorted(t.__getstate__()) for t in objs]
st = ct.stats
st.sort_stats('size')
def grab(fn, *a, **k):
    ct._stream.seek(0); ct._stream.truncate()
    fn(*a, **k)
    return norm(ct._stream.getvalue())
out['print_default'] = grab(st.print_stats)
out['print_all'] = grab(st.print_stats, limit=100)
out['print_half'] = grab(st.print_stats, limit=0.5)
out['print_cls'] = grab(st.print_stats, clsname='Plain', limit=10)
out['summary'] = re.sub(r' +\d+%', ' P%', grab(st.print_summary))
out['tracked_classes'] = st.tracked_classes
classes = s1.classes
out['annotate'] = {k: [v['active'], v['sum'], tree(v['merged'])] for k, v in sorted(classes.items())}
st2 = ct.stats
out['sorted_by'] = {}
for keys in [('classname',), ('birth',), ('size',), ('tsize', 'name'), ('repr',), ()]:
    st2.sorted = []
    st2.sort_stats(*keys)
    out['sorted_by'][','.join(keys)] = [t.repr for t in st2.sorted]
st2.reverse_order()
out['reversed'] = [t.repr for t in st2.sorted]
try:
    st2.sort_stats('name', 42)
except ValueError as e:
    out['bad_sort'] = str(e)
# track_change and the levels
ct.track_change(p, resolution_level=3)
ct.create_snapshot()
out['level3'] = tree(ct.objects[id(p)].snapshots[-1][1])
try:
    ct.track_change(object())
except KeyError:
    out['track_change_untracked'] = 'KeyError'
# keep and detach
ct.track_class(Plain, keep=True)
q = Plain(); iq = id(q); del q; gc.collect()
out['kept'] = ct.objects[iq].ref() is not None
ct.detach_class(Plain)
out['detached'] = id(Plain()) not in ct.objects
try:
    ct.detach_class(Plain)
except KeyError:
    out['detach_twice'] = 'KeyError'
try:
    ct.track_class(42)
except TypeError as e:
    out['track_class_42'] = str(e)
ct.track_class(Sub)
out['sub_name'] = ct.objects[id(Sub(1))].name if False else None
s2 = Sub(2)
out['sub_tracked_as'] = ct.objects[id(s2)].name
ct.detach_all()
out['after_detach_all'] = [len(ct.objects), len(ct.index), len(ct._keepalive), len(ct._observers)]
ct.clear()
out['after_clear'] = len(ct.snapshots)
# module functions
ts = []
classtracker.track_object_creation(ts)
classtracker.track_object_creation(ts)
classtracker.track_object_deletion(ts)
out['series'] = [c for _, c in ts]
print(norm(json.dumps(out)))
'''

TRACE = r'''
import json
from pympler.classtracker import ClassTracker
class Foo:
    def __init__(self):
        self.x = 1
def make():
    return Foo()
ct = ClassTracker()
ct.track_class(Foo, trace=True)
f = make()
t = ct.objects[id(f)].trace
print(json.dumps([[r[0].endswith('<string>') or r[0], r[1], r[2], r[3], r[4]] for r in t[-2:]]))
'''


@pytest.fixture(scope='module')
def both():
    ours = json.loads(run_python(SCENARIO, our_path()))
    ref = json.loads(run_python(SCENARIO, reference_dir()))
    return ours, ref


KEYS = ['tracked_total', 'asizeof_total', 'desc', 'overhead_positive', 'index', 'history', 'objects', 'sizes_at',
        'first_snapshot', 'state_keys', 'print_default', 'print_all', 'print_half', 'print_cls', 'summary',
        'tracked_classes', 'annotate', 'sorted_by', 'reversed', 'bad_sort', 'level3', 'track_change_untracked',
        'kept', 'detached', 'detach_twice', 'track_class_42', 'sub_tracked_as', 'after_detach_all', 'after_clear',
        'series']


@pytest.mark.parametrize('key', KEYS)
def test_same_as_reference(both, key):
    ours, ref = both
    assert key in ref, key
    assert ours.get(key) == ref[key]


def test_numbers_are_real(both):
    ours, _ = both
    assert ours['tracked_total'][0] > 1000
    assert ours['history'] == {'Item': [1, 2, 1, 2], 'Plain': [1], 'Sub': [1]} or ours['history']['Item'][:2] == [1, 2]
    assert '[V] payload' in ours['print_all']


def test_trace_matches_reference():
    ours = json.loads(run_python(TRACE, our_path()))
    ref = json.loads(run_python(TRACE, reference_dir()))
    assert ours == ref
    assert ours[-1][2] == 'make' and ours[-2][2] == '<module>'


# ---------------------------------------------------------------------------
# behaviour checked in this process (ours only)

class Foo:
    def __init__(self, v=1):
        self.v = v


class Slotted:
    __slots__ = ('a',)


def test_unweakrefable_class_gives_a_clear_type_error():
    ct = ClassTracker()
    with pytest.raises(TypeError, match="class 'Slotted'.*weakly referenced"):
        ct.track_object(Slotted())
    assert ct.objects == {} and dict(ct.history) == {}
    ct.track_class(Slotted)
    try:
        with pytest.raises(TypeError, match='Slotted'):
            Slotted()
    finally:
        ct.detach_all()
    for bad in (1, 'x', [1], {1: 2}):
        with pytest.raises(TypeError):
            ct.track_object(bad)


def test_init_wrapper_keeps_return_and_exceptions():
    class Raises:
        def __init__(self, fail):
            if fail:
                raise ValueError('boom')

    class Returns:
        def __init__(self):
            return 42

    ct = ClassTracker()
    ct.track_class(Raises)
    ct.track_class(Returns)
    try:
        with pytest.raises(ValueError, match='boom'):
            Raises(True)
        r = Raises(False)
        assert id(r) in ct.objects
        with pytest.raises(TypeError, match="should return None, not 'int'"):
            Returns()
        assert Raises.__init__.__wrapped__ is ct._observers[Raises].init
    finally:
        ct.close()
    assert '__init__' in Raises.__dict__ and Raises.__init__.__name__ == '__init__'


def test_detach_restores_inherited_init():
    class NoInit(Foo):
        pass
    ct = ClassTracker()
    ct.track_class(NoInit)
    assert '__init__' in NoInit.__dict__
    x = NoInit(5)
    assert x.v == 5 and id(x) in ct.objects
    ct.detach_class(NoInit)
    assert '__init__' not in NoInit.__dict__
    assert NoInit.__init__ is Foo.__init__


def test_subclass_tracked_under_most_specific_name():
    class A:
        def __init__(self):
            self.a = 1

    class B(A):
        def __init__(self):
            super().__init__()

    ct = ClassTracker()
    ct.track_class(A, name='A')
    ct.track_class(B, name='B')
    try:
        b = B()
        a = A()
        assert ct.objects[id(b)].name == 'B'
        assert ct.objects[id(a)].name == 'A'
        assert [len(ct.index['A']), len(ct.index['B'])] == [1, 1]
    finally:
        ct.close()


def test_keep_and_death_and_history():
    ct = ClassTracker()
    ct.track_class(Foo, name='Foo')
    try:
        objs = [Foo() for _ in range(3)]
        del objs[0]
        gc.collect()
        assert [c for _, c in ct.history['Foo']] == [1, 2, 3, 2]
        dead = [t for t in ct.index['Foo'] if t.death is not None]
        assert len(dead) == 1 and dead[0].death >= dead[0].birth
        ct.track_class(Foo, name='Foo', keep=True)
        k = Foo()
        ik = id(k)
        del k
        gc.collect()
        assert ct.objects[ik].ref() is not None
    finally:
        ct.clear()
    assert ct._keepalive == []


def test_tracked_object_state_roundtrip():
    ct = ClassTracker()
    f = Foo()
    ct.track_object(f, resolution_level=1)
    ct.create_snapshot()
    t = ct.objects[id(f)]
    state = t.__getstate__()
    assert sorted(state) == sorted(['id', 'repr', 'name', 'birth', 'death', 'trace', 'snapshots',
                                    '_resolution_level'])
    u = TrackedObject.__new__(TrackedObject)
    with pytest.raises(AttributeError):
        u.ref
    u.__setstate__(state)
    assert u.id == id(f) and u.name == 'Foo' and u.birth == t.birth and u.snapshots == t.snapshots
    assert u.get_max_size() == t.get_max_size() > 0
    assert u.get_size_at_time(t.snapshots[-1][0]) == t.snapshots[-1][1].size
    u.classname = 'Foo'
    u.size = 1
    assert u.__dict__ == {'classname': 'Foo', 'size': 1}
    assert sorted(u.__getstate__()) == sorted(state)


def test_tracked_object_public_constructor():
    calls = []
    f = Foo()
    t = TrackedObject(f, 'Foo', resolution_level=2, trace=True, on_delete=lambda: calls.append(1))
    assert t.ref() is f and t.id == id(f) and t.repr == '' and t.death is None
    assert t.snapshots[0][0] == t.birth and t.snapshots[0][1].size == asizeof.basicsize(f)
    assert t.trace[-1][2] == 'test_tracked_object_public_constructor'
    sizer = asizeof.Asizer()
    t.track_size(1.5, sizer)
    assert t.snapshots[-1][0] == 1.5 and t.snapshots[-1][1].size == asizeof.Asizer().asized(f, detail=2).size
    assert t.get_size_at_time(1.5) == t.snapshots[-1][1].size and t.get_size_at_time(99.0) == 0
    del f
    gc.collect()
    assert calls == [1] and t.death is not None
    with pytest.raises(TypeError):
        TrackedObject()


def test_snapshot_class():
    s = Snapshot(1.25, 'x')
    assert (s.tracked_total, s.asizeof_total, s.overhead, s.timestamp, s.desc, s.classes) == (0, 0, 0, 1.25, 'x',
                                                                                              None)
    assert s.label == 'x (1.250s)' and Snapshot(2.0).label == '2.000s'
    assert s.total == s.system_total.vsz > 0
    n = Snapshot.__new__(Snapshot)
    n.__dict__.update(s.__dict__)
    assert n.label == s.label


def test_module_functions():
    ts = []
    track_object_creation(ts)
    track_object_creation(ts)
    track_object_deletion(ts)
    assert [c for _, c in ts] == [1, 2, 1]
    assert ts[0][0] <= ts[-1][0] <= _get_time()
    with pytest.raises(IndexError):
        track_object_deletion([])
    o = _ClassObserver(Foo.__init__, 'n', 1, False, True)
    o.modify('m', 2, True, False)
    assert (o.name, o.detail, o.keep, o.trace) == ('m', 2, True, False)


def test_periodic_snapshots_stop_on_stop_and_close():
    ct = ClassTracker()
    ct.track_object(Foo())
    ct.start_periodic_snapshots(0.05)
    th = ct._periodic_thread
    assert isinstance(th, threading.Thread) and isinstance(th, PeriodicThread)
    assert th.name == 'BackgroundMonitor' and th.daemon and th.interval == 0.05
    time.sleep(0.3)
    ct.start_periodic_snapshots(10.0)
    assert th.interval == 10.0
    t0 = time.time()
    ct.stop_periodic_snapshots()
    assert time.time() - t0 < 2.0 and not th.is_alive() and ct._periodic_thread is None
    assert len(ct.snapshots) >= 2
    ct.start_periodic_snapshots(5.0)
    th = ct._periodic_thread
    ct.close()
    assert not th.is_alive()


def test_periodic_thread_stops_at_interpreter_exit():
    out = run_python('''
        import time
        from pympler.classtracker import ClassTracker
        ct = ClassTracker()
        class Foo: pass
        ct.track_class(Foo)
        objs = [Foo() for _ in range(100)]
        ct.start_periodic_snapshots(0.01)
        time.sleep(0.2)
        print('ok', len(ct.snapshots) > 1)
    ''', our_path())
    assert out.strip() == 'ok True'


def test_hostile_repr_and_sizeof():
    class Hostile:
        def __repr__(self):
            raise RuntimeError('no repr')

        def __sizeof__(self):
            raise RuntimeError('no size')

    ct = ClassTracker()
    h = Hostile()
    ct.track_object(h, resolution_level=2)
    try:
        ct.create_snapshot()
    except RuntimeError:
        pass
    assert ct.objects[id(h)].repr in ('N/A', '')
    out = io.StringIO()
    ConsoleStats(tracker=ct, stream=out).print_stats(limit=10)
    ct.clear()


def test_argument_errors():
    ct = ClassTracker()
    with pytest.raises(TypeError):
        ct.track_object()
    with pytest.raises(TypeError):
        ct.track_class()
    with pytest.raises(TypeError, match='only class objects'):
        ct.track_class(Foo())
    with pytest.raises(TypeError):
        ct.create_snapshot(1, 2, 3)
    with pytest.raises(TypeError):
        ClassTracker(1, 2)


def test_tracker_is_collected():
    ct = ClassTracker()
    ct.track_class(Foo)
    x = Foo()
    ct.create_snapshot()
    ct.detach_all()
    w = weakref.ref(ct)
    del ct
    gc.collect()
    assert w() is None
    assert x.v == 1
