"""muppy.get_objects, summary.summarize and the trackers on live heaps.

The golden cases (test_golden_summary.py) pin Pympler's outputs on fixed
lists; these tests check the census itself: which objects it lists, in which
order, the `untracked` extension, the trackers' self-exclusion, bad input and
hostile objects.
"""

import gc
import io
import sys
import textwrap
from contextlib import redirect_stdout

import pytest

from pympler import muppy, summary, tracker
from reference_paths import our_path, reference_dir, run_python


class Marker:
    pass


class Slotted:
    __slots__ = ('a',)


def _ids(objs):
    return set(map(id, objs))


# ---- get_objects ------------------------------------------------------------

def test_census_lists_tracked_objects_and_their_untracked_referents():
    holder = [Marker() for _ in range(300)]
    strs = ['census-%d' % i for i in range(200)]
    tuples = [(i, float(i)) for i in range(100)]
    gc.collect()
    objs = muppy.get_objects()
    ids = _ids(objs)
    assert all(id(m) in ids for m in holder)
    assert all(id(s) in ids for s in strs)          # untracked, referred to by a list
    assert all(id(t) in ids for t in tuples)        # untracked after a collection
    assert not gc.is_tracked(tuples[0])
    # The floats inside the untracked tuples are two levels down: Pympler
    # does not list them.
    assert not any(id(t[1]) in ids for t in tuples)


def test_census_has_no_frames_no_duplicates_and_untracked_first():
    objs = muppy.get_objects()
    assert len(objs) == len(_ids(objs))
    assert not any(type(o).__name__ == 'frame' for o in objs)
    tracked = [gc.is_tracked(o) for o in objs]
    first_tracked = tracked.index(True)
    assert not any(tracked[:first_tracked])
    assert all(tracked[first_tracked:])


def test_census_collects_garbage_first():
    cyc = [Marker()]
    cyc.append(cyc)
    marker_id = id(cyc[0])
    del cyc
    assert not any(id(o) == marker_id and type(o) is Marker for o in muppy.get_objects())


def test_census_matches_pymplers_rule():
    # Pympler's definition, computed here in Python on the same heap right
    # after our census: every object we list satisfies it, and what it
    # lists beyond ours was created by this test after our census.
    ours = muppy.get_objects()
    gc.collect()
    tracked = [o for o in gc.get_objects() if type(o).__name__ != 'frame']
    rule = {}
    for o in tracked:
        for r in gc.get_referents(o):
            if not gc.is_tracked(r):
                rule[id(r)] = r
    for o in tracked:
        rule[id(o)] = o
    missing = [o for o in ours if id(o) not in rule]
    assert missing == []
    ours_ids = _ids(ours)
    extra = [o for i, o in rule.items() if i not in ours_ids]
    # ours itself, tracked (the list of tracked objects), and the few
    # objects Python created since (ints for ids, method objects...)
    assert len(extra) < 50, [type(o).__name__ for o in extra][:50]


def test_untracked_option_reaches_nested_untracked_objects():
    tuples = [(i, float(i) + 0.5) for i in range(100)]
    small = [{'key-%d' % i: 1.25 * i} for i in range(50)]
    gc.collect()
    default = _ids(muppy.get_objects())
    deep = muppy.get_objects(untracked=True)
    deep_ids = _ids(deep)
    assert default <= deep_ids | {id(deep)}
    assert all(id(t[1]) in deep_ids for t in tuples)
    assert not any(id(t[1]) in default for t in tuples)
    for d in small:
        (k, v), = d.items()
        assert id(v) in deep_ids and id(k) in deep_ids
    assert len(deep) == len(deep_ids)


def test_untracked_descent_follows_nested_untracked_tuples():
    # tuples of tuples of a float, untracked by the collector three levels
    # deep, held by tracked lists: the descent (the engine's graph walk)
    # lists every level, each object once; without remove_dups, once per
    # tracked referrer (Pympler's per-referrer lists)
    leaves = [(((float(i) + 0.5,),),) for i in range(1000)]
    shared = (((str(12345),),),)   # built at run time: no code constant holds it
    holders = []
    for t in leaves[:3]:      # no comprehension: a closure cell would refer to `shared`
        holders.append([t, shared])
    for _ in range(4):   # a collection untracks a tuple once its items are
        gc.collect()
    assert not any(gc.is_tracked(t) for t in leaves)
    deep = muppy.get_objects(untracked=True)
    ids = _ids(deep)
    for t in leaves:
        assert id(t) in ids and id(t[0]) in ids and id(t[0][0]) in ids
        assert id(t[0][0][0]) in ids       # the float, three levels down
    assert len(deep) == len(ids)
    del deep, ids
    # the three holders are the only tracked referrers of `shared` but the
    # frame (no nested scope of this function names it)
    per = muppy.get_objects(remove_dups=False, untracked=True)
    count = 0
    for o in per:
        count += o is shared[0][0]
    assert count == 3
    del per, holders


def test_remove_dups_false_keeps_pymplers_per_referrer_lists():
    shared = 'shared-%d' % 12345
    holders = [[shared] for _ in range(5)]
    objs = muppy.get_objects(remove_dups=False)
    # listed once per list that refers to it (and once per other referrer)
    assert sum(1 for o in objs if o is shared) >= len(holders) == 5


def test_include_frames_appends_the_callers_callers():
    def inner():
        return muppy.get_objects(include_frames=True)

    def outer():
        return inner()

    objs = outer()
    frames = [o for o in objs if type(o).__name__ == 'frame']
    names = [f.f_code.co_name for f in frames]
    # stack()[2:] of Pympler's get_objects: not inner (the caller) but outer
    # and everything above it.
    assert names[0] == 'outer'
    assert 'inner' not in names
    assert names[1] == sys._getframe().f_code.co_name


def test_get_objects_bad_arguments():
    with pytest.raises(TypeError):
        muppy.get_objects(1, 2, 3)
    with pytest.raises(TypeError):
        muppy.get_objects(nope=True)


# ---- muppy helpers ----------------------------------------------------------

def test_get_referents_levels_and_cycles():
    a = [1]
    b = [a, 'x']
    a.append(b)  # a cycle: Pympler's get_referents never ends on it
    # level 1 is gc.get_referents, deduplicated: a list reports its items last first
    assert [id(o) for o in muppy.get_referents(b)] == [id(b[1]), id(a)]
    two = muppy.get_referents(b, level=2)
    assert _ids(two) == {id(a), id('x'), id(1), id(b)}
    assert muppy.get_referents(b, level=0) == muppy.get_referents(b, level=1)


def test_get_referents_deep_chain_is_iterative():
    chain = []
    for _ in range(200000):
        chain = [chain]
    got = muppy.get_referents(chain, level=10**6)
    assert len(got) == 200000


def test_get_referents_bad_arguments():
    with pytest.raises(ValueError, match='level must be >= 0'):
        muppy.get_referents([], level=-1)
    with pytest.raises(TypeError, match='level must be an int'):
        muppy.get_referents([], level='2')


def test_filter_sort_size_bad_arguments():
    with pytest.raises(ValueError, match='minimum must be smaller than maximum'):
        muppy.filter([], min=10, max=5)
    with pytest.raises(TypeError, match='min must be an int'):
        muppy.filter([], min='a')
    with pytest.raises(TypeError):
        muppy.filter([1], Type=5)
    with pytest.raises(TypeError, match='needs a list of objects'):
        muppy.get_size(5)
    with pytest.raises(TypeError, match='needs a list of objects'):
        muppy.sort('abc')


def test_sort_is_stable_by_size():
    objs = ['bb', 'a', [1, 2, 3], 'c', 7, ()]
    got = muppy.sort(objs)
    assert got == sorted(objs, key=sys.getsizeof)
    assert [id(o) for o in got] == [id(o) for o in sorted(objs, key=sys.getsizeof)]


def test_get_diff_by_identity_linear():
    left = [object() for _ in range(20000)]
    right = left[5000:] + [object() for _ in range(10)]
    d = muppy.get_diff(left, right)
    assert d['-'] == left[:5000]
    assert d['+'] == right[-10:]


# ---- summarize and hostile objects ----------------------------------------

class BadSizeof:
    def __sizeof__(self):
        raise RuntimeError('no size')


class LyingSizeof:
    def __sizeof__(self):
        return 'big'


class BadReprMeta(type):
    def __repr__(cls):
        raise ValueError('no repr for you')


class Hostile(metaclass=BadReprMeta):
    def __repr__(self):
        raise ValueError('nope')


def test_summarize_matches_getsizeof_per_type():
    objs = [Marker() for _ in range(10)] + ['x' * i for i in range(10)] + [{}, {'a': 1}, [1, 2]]
    rows = {r[0]: r[1:] for r in summary.summarize(objs)}
    assert rows[__name__ + '.Marker'] == [10, 10 * sys.getsizeof(Marker())]
    assert rows['str'] == [10, sum(sys.getsizeof('x' * i) for i in range(10))]
    assert rows['dict'] == [2, sys.getsizeof({}) + sys.getsizeof({'a': 1})]


def test_summarize_survives_hostile_objects():
    objs = [BadSizeof(), BadSizeof(), LyingSizeof(), Hostile(), 1]
    rows = {r[0]: r[1:] for r in summary.summarize(objs)}
    # object.__sizeof__ plus the pre-header: what a plain instance weighs
    assert rows[__name__ + '.BadSizeof'] == [2, 2 * sys.getsizeof(Marker())]
    assert rows[__name__ + '.LyingSizeof'][0] == 1
    assert rows['Hostile'][0] == 1  # the type's own name, its repr raising
    assert rows['int'] == [1, sys.getsizeof(1)]
    # Pympler's _repr itself lets the metaclass error through.
    with pytest.raises(ValueError, match='no repr for you'):
        summary._repr(Hostile())


def test_summarize_honours_user_representations():
    def name_it(o):
        return 'marker #%d' % len(o.__dict__)

    summary.representations[Marker] = [name_it]
    try:
        m = Marker()
        m.x = 1
        rows = summary.summarize([m, Marker()])
        assert sorted(rows) == [['marker #0', 1, sys.getsizeof(m)], ['marker #1', 1, sys.getsizeof(m)]]
    finally:
        del summary.representations[Marker]
    assert summary.summarize([Marker()])[0][0] == __name__ + '.Marker'


def test_summarize_representation_that_raises_falls_back():
    summary.representations[Marker] = [lambda o: 1 / 0]
    try:
        assert summary.summarize([Marker()])[0][:2] == [__name__ + '.Marker', 1]
        with pytest.raises(ZeroDivisionError):
            summary._repr(Marker())
    finally:
        del summary.representations[Marker]


def test_summary_bad_arguments():
    with pytest.raises(TypeError):
        summary.summarize(5)
    with pytest.raises(ValueError, match="invalid sort"):
        summary.format_([], sort='name')
    with pytest.raises(ValueError, match="invalid order"):
        summary.print_([], order='up')
    with pytest.raises(TypeError, match='verbosity must be an int'):
        summary._repr(1, 'x')


def test_format_limit_and_huge_sizes():
    rows = [['a', 1, 10], ['b', 2, 2 ** 55], ['c', 3, 5]]
    lines = list(summary.format_(rows, limit=None))
    assert len(lines) == 5
    # Pympler's units skip PB: 2**55 bytes is 32 "EB"
    assert lines[2] == '      b |           2 |     32.00 EB'
    assert list(summary.format_(rows, limit=-1))[-1].split('|')[0].strip() == 'a'
    with pytest.raises(IndexError):
        list(summary.format_([['x', 1, 2 ** 70]]))


def test_summarize_deep_nesting():
    deep = []
    for _ in range(10 ** 6):
        deep = [deep]
    rows = summary.summarize(muppy.get_referents(deep, level=10 ** 6))
    assert rows[0][0] == 'list' and rows[0][1] == 10 ** 6


# ---- trackers ---------------------------------------------------------------

def test_summary_tracker_ignores_itself():
    # (Each diff is stored before the assert: pytest's assertion rewriting
    # would keep the bound method tr.diff alive during the census.)
    tr = tracker.SummaryTracker()
    first = tr.diff()
    first_len = len(first)
    del first  # a live empty list otherwise: the next diff would show it
    second = tr.diff()
    assert (first_len, second) == (0, [])
    del second
    tr.store_summary('one')
    tr.store_summary('two')
    third = tr.diff()
    assert third == []


def test_summary_tracker_sees_what_the_program_allocates():
    tr = tracker.SummaryTracker()
    tr.diff()
    kept = [Marker() for _ in range(1000)]
    d = {r[0]: r[1:] for r in tr.diff()}
    assert d[__name__ + '.Marker'] == [1000, 1000 * sys.getsizeof(kept[0])]
    del kept
    d = {r[0]: r[1:] for r in tr.diff()}
    assert d[__name__ + '.Marker'] == [-1000, -1000 * sys.getsizeof(Marker())]


def test_summary_tracker_without_ignore_self_counts_its_summaries():
    tr = tracker.SummaryTracker(ignore_self=False)
    tr.diff()
    tr.store_summary('x')
    d = {r[0]: r[1] for r in tr.diff()}
    assert d.get('list', 0) > 10  # the stored summary's rows


def test_summary_tracker_print_and_format():
    tr = tracker.SummaryTracker()
    tr.diff()
    kept = ['tracked-%d' % i for i in range(500)]
    out = io.StringIO()
    with redirect_stdout(out):
        tr.print_diff()
    tr.diff()  # what printing into `out` left behind
    formatted = tr.format_diff()
    again = list(formatted)
    lines = out.getvalue().splitlines()
    assert lines[0].split('|')[0].strip() == 'types'
    assert any(line.split('|')[0].strip() == 'str' and line.split('|')[1].strip() == '500'
               for line in lines)
    assert again == ['  types |   # objects |   total size', '======= | =========== | ============']
    with pytest.raises(ValueError, match='summary2 without summary1'):
        tr.diff(summary2=[])
    del kept  # alive until here


def test_object_tracker_diff():
    ot = tracker.ObjectTracker()
    ot.get_diff()
    new = [Marker() for _ in range(50)]
    d = ot.get_diff()
    assert not any(o is ot.o0 for o in d['+'])
    plus = _ids(d['+'])
    assert all(id(m) in plus for m in new)
    lines = ot.format_diff()
    assert lines[0] == 'Added objects:' and 'Removed objects:' in lines
    with pytest.raises(TypeError, match='ignore must be a tuple'):
        ot.get_diff(ignore=5)


def test_tracker_doc_example_runs_in_a_fresh_process():
    # Pympler's documentation: two print_diff() calls with nothing in
    # between; here the first one is empty too.
    code = textwrap.dedent('''
        from pympler import tracker
        tr = tracker.SummaryTracker()
        tr.print_diff()
        tr.print_diff()
        print('done')
    ''')
    header = ['  types |   # objects |   total size', '======= | =========== | ============']
    assert run_python(code, our_path()).splitlines() == header + header + ['done']


def test_summarize_survives_a_representation_that_rebinds_the_dict():
    calls = []

    def vandal(o):
        calls.append(1)
        summary.representations = {}   # the dict in use goes away
        return 'vandal'

    saved = summary.representations
    saved[Marker] = [vandal]
    try:
        rows = summary.summarize([Marker(), Marker(), Marker()])
        assert rows == [['vandal', 3, 3 * sys.getsizeof(Marker())]]
        assert calls == [1, 1, 1]
    finally:
        summary.representations = saved
        del saved[Marker]


def test_summarize_survives_a_sizeof_that_mutates_the_list():
    objs = []

    class Mutator:
        def __sizeof__(self):
            objs.clear()
            return 100

    objs.extend([Mutator(), 'a', 'b', 'c'])
    rows = summary.summarize(objs)
    assert rows[0][0].endswith('<locals>.Mutator') and rows[0][1:] == [1, 100 + sys.getsizeof(Marker()) - Marker().__sizeof__()]
    assert objs == []


def test_get_size_and_filter_survive_a_sizeof_that_mutates_the_list():
    # get_size and filter read the caller's list in place (no copy of a
    # census of millions): a __sizeof__ emptying it ends the loop early.
    objs = []

    class Mutator:
        def __sizeof__(self):
            objs.clear()
            return 100

    expected = 100 + sys.getsizeof(Marker()) - Marker().__sizeof__()
    objs.extend([Mutator(), 'a', 'b'])
    assert muppy.get_size(objs) == expected
    m = Mutator()
    objs.extend([m, 'a', 'b'])
    assert muppy.filter(objs, min=10) == [m]


def test_a_big_census_list_starts_in_the_oldest_generation():
    # Young collections must not walk millions of items while the caller
    # works with the census (summarize, keep it for a diff...).
    filler = [(i, str(i)) for i in range(150000)]
    objs = muppy.get_objects()
    assert len(objs) > 100000
    assert any(o is objs for o in gc.get_objects(generation=2))
    assert not any(o is objs for o in gc.get_objects(generation=0))
    del filler  # alive until here


DICT_OBJECTS = r'''
import copy, gc, pickle, sys, threading
from pympler import process, tracker
# Python subclasses of the C classes: creating and dropping instances must
# leave the class's reference count alone, and the class is a referent once
class T(process.ThreadInfo):
    pass
class P(process._ProcessMemoryInfoProc):
    pass
before = sys.getrefcount(T), sys.getrefcount(P)
for _ in range(5):
    t, p = T(threading.current_thread()), P()
    del t, p
print(before == (sys.getrefcount(T), sys.getrefcount(P)))
print(sum(x is T for x in gc.get_referents(T(threading.current_thread()))), sum(x is P for x in gc.get_referents(P())))
# trackers keep their state in a __dict__, and pickle and copy as Pympler's do
st = tracker.SummaryTracker()
print(sorted(vars(st)), sorted(copy.copy(tracker.ObjectTracker()).__dict__))
for proto in range(pickle.HIGHEST_PROTOCOL + 1):
    c = pickle.loads(pickle.dumps(st, proto))
    print(proto, type(c).__name__, c.s0 == st.s0, c.ignore_self)
class U(tracker.SummaryTracker):
    pass
print(type(pickle.loads(pickle.dumps(U(), 0))).__name__)
'''


def test_c_classes_with_a_dict_subclass_pickle_and_copy_as_pymplers():
    ours = run_python(DICT_OBJECTS, our_path())
    assert ours.splitlines()[:3] == ['True', '1 1', "['ignore_self', 's0', 'summaries'] ['o0']"]
    assert '5 SummaryTracker True True' in ours and ours.endswith('U\n')
    assert ours == run_python(DICT_OBJECTS, reference_dir())


def test_traverse_gives_each_call_its_own_arguments():
    # the function may keep what it is given (here as exception args)
    kept = []
    summary._traverse([['a', 1, 2]], lambda *a: kept.append(a), 'x')
    assert kept == [([['a', 1, 2]], 'x'), (['a', 1, 2], 'x'), ('a', 'x'), (1, 'x'), (2, 'x')]
    class Kept(Exception):
        made = []

        def __init__(self, *args):
            Kept.made.append(self)   # its .args is the very tuple it was called with

    summary._traverse([['k', 3, 4]], Kept)
    assert [e.args for e in Kept.made] == [([['k', 3, 4]],), (['k', 3, 4],), ('k',), (3,), (4,)]


def test_object_tracker_default_ignore_leaks_nothing():
    tr = tracker.ObjectTracker()
    tr._get_objects()
    before = sys.getrefcount(())
    for _ in range(100):
        tr._get_objects()    # ignore=(): one reference to () leaked per call, once
    assert sys.getrefcount(()) - before < 10   # a leak would be 100; others may hold a few


def test_get_usage_with_a_sweep_that_fails():
    real = summary._sweep
    summary._sweep = lambda rows: iter(list(rows))   # iterable, but no len()
    try:
        with pytest.raises(TypeError, match='has no len'):
            muppy._get_usage(lambda: [1, 2, 3])
    finally:
        summary._sweep = real


def test_summary_tracker_untracked_sees_floats_in_tuples():
    plain, deep = tracker.SummaryTracker(), tracker.SummaryTracker(untracked=True)
    heap = [(i, float(i)) for i in range(20000)]
    floats = {t: sum(r[1] for r in t.diff() if r[0] == 'float') for t in (plain, deep)}
    assert floats[deep] >= 20000 and floats[plain] < 100
    assert deep.untracked is True and 'untracked' not in vars(plain)
    # its own summaries stay out of its census (in a fresh process, once what
    # the first diffs make on first use has settled)
    code = '''
        from pympler import tracker
        deep = tracker.SummaryTracker(untracked=True)
        for _ in range(4):
            print(deep.diff() == [])
    '''
    assert run_python(code, our_path()).split()[2:] == ['True', 'True']
    with pytest.raises(TypeError):
        tracker.SummaryTracker(True, True)   # keyword only
    del heap
