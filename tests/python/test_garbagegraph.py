"""pympler.garbagegraph: GarbageGraph, start_debug_garbage, end_debug_garbage.

Finding garbage cycles; by default the collector left as Pympler leaves it
(DEBUG_SAVEALL set, the garbage in gc.garbage), with restore=True as it was
found (docs/refgraph.md, difference 3); print_stats exactly as API.md B.8,
and a small garbage graph against the reference Pympler 1.1.
"""

import gc
import io
import json
import os
import subprocess
import sys
import weakref

import pytest

from pympler import garbagegraph
from pympler.garbagegraph import GarbageGraph, end_debug_garbage, start_debug_garbage
from pympler.refgraph import ReferenceGraph

from reference_paths import REPO, our_path as _our_path, reference_dir as _reference_dir


HAVE_REF = os.path.isfile(os.path.join(_reference_dir(), 'pympler', 'garbagegraph.py'))


def test_the_reference_is_installed():
    assert HAVE_REF, 'reference Pympler 1.1 missing: run make deps (%s)' % _reference_dir()


@pytest.fixture(autouse=True)
def gc_state():
    """Every test starts from a clean, enabled collector and leaves it so."""
    debug, enabled, garbage = gc.get_debug(), gc.isenabled(), list(gc.garbage)
    gc.set_debug(0)
    gc.enable()
    gc.collect()
    del gc.garbage[:]
    yield
    gc.set_debug(debug)
    gc.enable() if enabled else gc.disable()
    gc.garbage[:] = garbage


class Foo:
    def __init__(self, name):
        self.name = name
        self.other = None

    def __repr__(self):
        return 'Foo(%s)' % self.name


def make_cycles():
    """Unreachable cycles: a self-referencing list, two instances, a dict
    with a leaf list hanging off it.  Returns the ids of the instances (the
    collector clears weak references even to the objects it saves)."""
    l = ['self']
    l.append(l)
    a, b = Foo('a'), Foo('b')
    a.other, b.other = b, a
    d = {'name': 'd'}
    d['me'] = d
    d['leaf'] = ['leaf']
    return id(a), id(b)


def pp(i, base=1024):
    """Pympler's util.stringutils.pp."""
    degree = 0
    pattern = '%4d     %s'
    while i > base:
        pattern = '%7.2f %s'
        i = i / float(base)
        degree += 1
    return pattern % (i, ['B', 'KB', 'MB', 'GB', 'TB', 'EB'][degree])


def trunc(s, n):
    s = str(s).replace('\n', '|')
    return s[:n - 3] + '...' if len(s) > n else s


def test_module_exports():
    assert garbagegraph.__all__ == ['GarbageGraph', 'start_debug_garbage', 'end_debug_garbage']
    assert issubclass(GarbageGraph, ReferenceGraph)


def test_finds_the_cycles():
    start_debug_garbage()
    try:
        ida, idb = make_cycles()
        g = GarbageGraph()
    finally:
        end_debug_garbage()
    assert isinstance(g, ReferenceGraph)
    types = sorted(type(o).__name__ for o in g.objects)
    assert types == ['Foo', 'Foo', 'dict', 'list', 'list']
    assert g.count == 5 and len(g.metadata) == 5
    assert g.num_in_cycles == 'N/A'
    assert {id(o) for o in g.objects if type(o) is Foo} == {ida, idb}
    strs = sorted(m.str for m in g.metadata)
    assert strs == sorted(["['leaf']", "['self', [...]]", 'Foo(a)', 'Foo(b)',
                           "{'name': 'd', 'me': {...}, 'leaf': ['leaf']}"])
    assert g.total_size == sum(m.size for m in g.metadata)
    # edges among the garbage: l -> l, a -> b, b -> a, d -> d, d -> leaf
    by = {id(o): o for o in g.objects}
    labels = sorted((repr(by[e.src])[:6], repr(by[e.dst])[:6], e.label) for e in g.edges)
    assert labels == sorted([
        ("['self", "['self", ''), ('Foo(a)', 'Foo(b)', 'other'), ('Foo(b)', 'Foo(a)', 'other'),
        ("{'name", "['leaf", 'leaf'), ("{'name", "{'name", 'me')])
    # as in Pympler, the garbage stays in gc.garbage, and the graph is of it
    assert g.count == len(gc.garbage)
    assert [id(o) for o in g.objects] == [id(o) for o in gc.garbage]
    # with restore=True the graph alone holds it: alive as long as the graph is
    del gc.garbage[:]
    start_debug_garbage()
    try:
        make_cycles()
        g = GarbageGraph(restore=True)
    finally:
        end_debug_garbage()
    assert gc.garbage == []
    gc.collect()
    assert sorted(repr(o) for o in g.objects if type(o) is Foo) == ['Foo(a)', 'Foo(b)']


def test_reduce_counts_the_cycle_members():
    start_debug_garbage()
    try:
        make_cycles()
        g = GarbageGraph(reduce=True)
    finally:
        end_debug_garbage()
    assert g.num_in_cycles == 4        # the leaf list is on no cycle
    assert sorted(type(o).__name__ for o in g.objects) == ['Foo', 'Foo', 'dict', 'list']
    assert g.count == 5                # Pympler: count is taken before reducing


def test_reduce_positional():
    start_debug_garbage()
    try:
        make_cycles()
        g = GarbageGraph(True)
    finally:
        end_debug_garbage()
    assert g.num_in_cycles == 4


def test_nothing_to_find():
    start_debug_garbage()
    try:
        g = GarbageGraph()
        r = GarbageGraph(reduce=True)
    finally:
        end_debug_garbage()
    assert (g.count, g.objects, g.total_size, g.num_in_cycles) == (0, [], 0, 'N/A')
    assert (r.count, r.num_in_cycles) == (0, 0)
    assert g.render('unused.png', format='png') is False


@pytest.mark.parametrize('flags', [0, gc.DEBUG_UNCOLLECTABLE, gc.DEBUG_SAVEALL,
                                   gc.DEBUG_UNCOLLECTABLE | gc.DEBUG_SAVEALL])
@pytest.mark.parametrize('enabled', [True, False])
def test_restore_leaves_the_collector_as_found(flags, enabled):
    gc.set_debug(flags)
    gc.enable() if enabled else gc.disable()
    make_cycles()
    g = GarbageGraph(restore=True)
    assert gc.get_debug() == flags
    assert gc.isenabled() is enabled
    assert g.count == 5
    assert gc.garbage == []
    g2 = GarbageGraph(collectable=False, reduce=True, restore=True)
    assert gc.get_debug() == flags and gc.isenabled() is enabled
    assert g2.count == 0


@pytest.mark.parametrize('flags', [0, gc.DEBUG_UNCOLLECTABLE | gc.DEBUG_SAVEALL])
def test_by_default_the_collector_is_left_as_pymplers(flags):
    gc.set_debug(flags)
    make_cycles()
    g = GarbageGraph()
    assert gc.get_debug() == gc.DEBUG_SAVEALL       # Pympler: gc.set_debug(gc.DEBUG_SAVEALL)
    assert gc.isenabled()
    assert g.count == len(gc.garbage) == 5
    # a second graph sees the same garbage (Pympler's test_prune relies on it)
    g2 = GarbageGraph(reduce=True)
    assert g2.count == 5 and g2.num_in_cycles == 4
    g3 = GarbageGraph(collectable=False)
    assert gc.get_debug() == 0                      # Pympler: gc.set_debug(0)
    assert g3.count == 5


def test_restore_leaves_gc_garbage_as_it_was():
    sentinel1, sentinel2 = ['user entry'], {'user': 'entry'}
    gc.garbage.extend([sentinel1, sentinel2])
    garbage_list = gc.garbage
    before = list(gc.garbage)
    start_debug_garbage()
    try:
        make_cycles()
        g = GarbageGraph(restore=True)
    finally:
        end_debug_garbage()
    assert gc.garbage is garbage_list
    assert len(gc.garbage) == len(before)
    assert all(x is y for x, y in zip(gc.garbage, before))
    # Pympler draws everything in gc.garbage, the user's entries included
    assert g.count == 7
    assert g.objects[0] is sentinel1 and g.objects[1] is sentinel2


def test_by_default_the_found_objects_join_gc_garbage():
    sentinel = ['user entry']
    gc.garbage.append(sentinel)
    start_debug_garbage()
    try:
        make_cycles()
        g = GarbageGraph()
    finally:
        end_debug_garbage()
    assert gc.garbage[0] is sentinel
    assert len(gc.garbage) == 6
    assert [id(o) for o in gc.garbage] == [id(o) for o in g.objects]
    assert sorted(type(o).__name__ for o in gc.garbage[1:]) == ['Foo', 'Foo', 'dict', 'list', 'list']
    with pytest.raises(TypeError):
        GarbageGraph(False, True, True)    # restore is keyword-only
    with pytest.raises(TypeError):
        GarbageGraph(keep_garbage=True)     # an earlier name of ours, gone


def test_collectable_false_frees_the_cycles():
    start_debug_garbage()
    try:
        make_cycles()
        g = GarbageGraph(collectable=False)
        assert gc.get_debug() == 0 and not gc.isenabled()
    finally:
        end_debug_garbage()
    assert g.count == 0 and g.objects == []
    assert gc.garbage == []            # collected, not saved
    assert not [o for o in gc.get_objects() if type(o) is Foo]


def test_print_stats_format():
    start_debug_garbage()
    try:
        make_cycles()
        g = GarbageGraph()
    finally:
        end_debug_garbage()
    meta = sorted(list(g.metadata), key=lambda m: -m.size)   # stable, as Pympler's sort
    expected = '%-10s %8s %-12s %-46s\n' % ('id', 'size', 'type', 'representation')
    for m in meta:
        expected += '0x%08x %8d %-12s %-46s\n' % (m.id, m.size, trunc(m.type, 12), trunc(m.str, 46))
    expected += 'Garbage: %8d collected objects (%s in cycles): %12s\n' % (
        5, 'N/A', pp(sum(m.size for m in meta)))
    s = io.StringIO()
    assert g.print_stats(s) is None
    assert s.getvalue() == expected
    lines = s.getvalue().splitlines()
    assert lines[0] == 'id             size type         representation                                '
    assert len(lines) == 7
    assert lines[-1].startswith('Garbage:        5 collected objects (N/A in cycles): ')
    # as Pympler, the metadata is now sorted in place, largest first
    assert [m.id for m in g.metadata] == [m.id for m in meta]


def test_print_stats_reduced_and_to_stdout(capsys):
    start_debug_garbage()
    try:
        make_cycles()
        g = GarbageGraph(reduce=True)
    finally:
        end_debug_garbage()
    g.print_stats()
    out = capsys.readouterr().out
    meta = sorted(g.metadata, key=lambda m: -m.size)
    assert out.splitlines()[-1] == 'Garbage: %8d collected objects (%s in cycles): %12s' % (
        5, 4, pp(g.total_size))
    assert len(out.splitlines()) == 6
    for line, m in zip(out.splitlines()[1:], meta):
        assert line == ('0x%08x %8d %-12s %-46s' % (m.id, m.size, trunc(m.type, 12), trunc(m.str, 46)))


def test_print_stats_long_values_are_truncated():
    class AVeryLongClassNameIndeed:
        def __repr__(self):
            return 'r' * 80 + '\nsecond line'
    start_debug_garbage()
    try:
        x = AVeryLongClassNameIndeed()
        x.me = x
        del x
        g = GarbageGraph()
    finally:
        end_debug_garbage()
    s = io.StringIO()
    g.print_stats(s)
    line = s.getvalue().splitlines()[1]
    m = g.metadata[0]
    assert line == '0x%08x %8d %-12s %s' % (m.id, m.size, 'AVeryLong...', 'r' * 43 + '...')
    assert len(g.metadata) == 1


def test_pp_scales():
    # the footer uses Pympler's pp(): B below 1 KiB, then two decimals
    start_debug_garbage()
    try:
        big = [[] for _ in range(300)]
        big.append(big)
        del big
        g = GarbageGraph()
    finally:
        end_debug_garbage()
    assert g.total_size > 1024
    s = io.StringIO()
    g.print_stats(s)
    footer = s.getvalue().splitlines()[-1]
    assert footer == 'Garbage: %8d collected objects (N/A in cycles): %12s' % (301, pp(g.total_size))
    assert footer.endswith(' KB')


def test_start_and_end_restore_what_start_found():
    gc.set_debug(gc.DEBUG_UNCOLLECTABLE)
    gc.enable()
    start_debug_garbage()
    assert not gc.isenabled()
    assert gc.get_debug() == gc.DEBUG_UNCOLLECTABLE
    gc.set_debug(gc.DEBUG_SAVEALL)     # the user changes them meanwhile
    end_debug_garbage()
    assert gc.get_debug() == gc.DEBUG_UNCOLLECTABLE
    assert gc.isenabled()


def test_end_restores_a_disabled_collector():
    gc.disable()
    gc.set_debug(gc.DEBUG_UNCOLLECTABLE | gc.DEBUG_SAVEALL)
    start_debug_garbage()
    assert not gc.isenabled()
    gc.enable()
    end_debug_garbage()
    assert not gc.isenabled()
    assert gc.get_debug() == gc.DEBUG_UNCOLLECTABLE | gc.DEBUG_SAVEALL


def test_end_without_start_does_what_pympler_does():
    start_debug_garbage()
    end_debug_garbage()                # consumes the saved state
    gc.disable()
    gc.set_debug(gc.DEBUG_UNCOLLECTABLE)
    end_debug_garbage()
    assert gc.get_debug() == 0
    assert gc.isenabled()


def test_start_collects_first():
    l = ['pre-existing']
    l.append(l)
    x = Foo('in cycle')
    x.other = x
    wx = weakref.ref(x)
    del l, x
    start_debug_garbage()
    try:
        assert wx() is None            # collected by start_debug_garbage
        g = GarbageGraph()
    finally:
        end_debug_garbage()
    assert g.count == 0                # the earlier cycles are gone, not garbage


# --------------------------------------------------------------------------
# against the reference Pympler 1.1 (plain GarbageGraph, no render)

_CHILD = r'''
import json, re, sys, gc
from pympler.garbagegraph import GarbageGraph, start_debug_garbage, end_debug_garbage
class K:
    pass
start_debug_garbage()
def make():
    l1 = ['l1']; l1.append(l1)
    d1 = {'name': 'd1'}; d1['me'] = d1; d1['leaf'] = ['leafd']
    a = ['a']; b = ['b', a]; a.append(b)
    t = ('t', a)
    k = K(); k.__dict__['self'] = k; k.__dict__
make()
g = GarbageGraph()
r = GarbageGraph(reduce=True)   # the same garbage: it stays in gc.garbage, as Pympler's
names = {}
def norm(s):
    return re.sub(r'0x[0-9a-f]+', '0x?', s)
for o, m in zip(g.objects, g.metadata):
    names[m.id] = '%s:%s' % (m.type, norm(m.str))
dot = g._get_graphviz_data()
for k in sorted(names, key=lambda k: -k):
    dot = dot.replace(hex(k)[1:], '<' + names[k] + '>')
print(json.dumps({
    'count': g.count, 'total_size': g.total_size, 'nic': g.num_in_cycles,
    'reduced': [r.count, r.num_in_cycles, len(gc.garbage), gc.get_debug() == gc.DEBUG_SAVEALL],
    'meta': sorted([names[m.id], m.size] for m in g.metadata),
    'edges': sorted([names[e.src], names[e.dst], str(e.label)] for e in g.edges),
    'dot': sorted(dot.splitlines())}))
'''


def _run_child(path):
    env = dict(os.environ, PYTHONPATH=path, PYTHONHASHSEED='0')
    p = subprocess.run([sys.executable, '-P', '-c', _CHILD], env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)


def _materialised_dict_is_a_referent():
    """True where an instance refers to its __dict__ once it exists (3.11);
    on 3.13 the dict shares the instance's inline values, which the
    collector keeps seeing instead."""
    class P:
        pass
    p = P()
    p.__dict__
    return any(type(r) is dict for r in gc.get_referents(p))


def test_against_reference():
    ours = _run_child(_our_path())
    ref = _run_child(_reference_dir())
    # l1, d1, d1['leaf'], a, b, k, and k's __dict__ when k refers to it
    assert ours['count'] == (7 if _materialised_dict_is_a_referent() else 6)
    assert ours == ref
