"""Reference-count leak check of every public API (make test-refcount).

Runs on a debug interpreter (sys.gettotalrefcount, e.g. Debian's
python3.11-dbg) with PYTHONPATH pointing at a build of the package made for
it.  Each API is one small callable that makes its own inputs.  All of them
run in a warm-up pass (caches, interned names, typedef registries fill up),
then each one alone runs ITERATIONS times; the total reference count is read
after iteration FIRST and after the last one, with the collector run before
each reading.  An API whose count grows by more than TOLERANCE over those
iterations leaks (a reference per call shows as ITERATIONS - FIRST).  The
per-API deltas are printed, so a leak is findable; the exit status is 1 when
any API leaks.

    python3.11-dbg -P tests/refcount/loop_apis.py [-v] [NAME-SUBSTRING...]
"""

import contextlib
import gc
import io
import os
import sys
import tempfile

ITERATIONS = 30
FIRST = 10
TOLERANCE = 5   # refs over ITERATIONS - FIRST calls: less than one per call

if not hasattr(sys, 'gettotalrefcount'):
    sys.exit('loop_apis.py needs a debug interpreter (sys.gettotalrefcount), e.g. python3.11-dbg')

from pympler import _stats_io, asizeof, garbagegraph, mprofile, muppy, process, refbrowser, refgraph, summary, tracker  # noqa: E402
from pympler.util import stringutils  # noqa: E402

TMP = tempfile.mkdtemp(prefix='pympler-refcount-')


# ---------------------------------------------------------------- inputs

class Plain:
    def __init__(self):
        self.a = [1, 'two', (3.0, None)]
        self.b = {'k': b'bytes', 2: frozenset({1, 2})}


class Slots:
    __slots__ = ('x', 'y')

    def __init__(self):
        self.x = 'x' * 10
        self.y = [self]


def sample():
    p = Plain()
    cyc = [p, Slots(), {'self': None}]
    cyc[2]['self'] = cyc
    return {'plain': p, 'cycle': cyc, 'ints': list(range(50)), 'text': 'abc' * 20, 'set': {1, 2, 3}}


# the hostile corpus (tests/python/test_hostile_corpus.py): the classes it
# has as source text (hostile_source.py) come from there, below
class Neg:
    def __sizeof__(self):
        return -1


class TE:
    def __sizeof__(self):
        raise TypeError('te')


class RE:
    def __sizeof__(self):
        raise RuntimeError('re')


class VE:
    def __sizeof__(self):
        raise ValueError('ve')


class BadRepr:
    def __repr__(self):
        raise ValueError('no repr')


class BadLen(list):
    def __len__(self):
        raise ValueError('len')


class BadGetattr:
    def __getattribute__(self, name):
        raise ValueError(name)


# the corpus's own classes, from its one source text
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'python'))
from hostile_source import CORPUS  # noqa: E402

_corpus = {'__name__': 'hostile_source'}
exec(compile(CORPUS, 'hostile_source', 'exec'), _corpus)
Big, Huge = _corpus['Big'], _corpus['H30']
EndlessList, EndlessDict, SelfSet = _corpus['EndlessList'], _corpus['EndlessDict'], _corpus['SelfSet']


def hostile():
    return [Big(), Huge(), Neg(), TE(), RE(), VE(), BadRepr(), BadLen([1, 2]), BadGetattr(),
            EndlessList([1, 'a']), EndlessDict(a=1, b='xyz'), SelfSet({1, 2})]


def swallow(f, *args, **kw):
    """f(*args, **kw); an ordinary exception is part of the check."""
    try:
        return f(*args, **kw)
    except Exception:  # noqa: BLE001 -- leaks on error paths are what we look for
        return None


def quiet(f, *args, **kw):
    with contextlib.redirect_stdout(io.StringIO()):
        return f(*args, **kw)


def garbage_cycle():
    a = [EndlessList([1]), EndlessDict(k=1), SelfSet({5})]
    b = {'a': a, 'p': Plain()}
    a.append(b)


# ---------------------------------------------------------------- the APIs

def api_asizeof():
    s = sample()
    asizeof.asizeof(s)
    asizeof.asizeof(s, s['plain'], limit=3, align=16, code=True)
    asizeof.asizesof(s, s['cycle'], [1, 2])
    asizeof.asized(s, detail=3).format()
    asizeof.asized(s['plain'], s['cycle'], detail=2)
    asizeof.flatsize(s)
    asizeof.basicsize(s)
    asizeof.itemsize(s['ints'])
    asizeof.leng(s['ints'])
    asizeof.refs(s)
    list(asizeof.named_refs(s['plain']))
    asizeof.adict(EndlessDict)


def api_asizeof_stats():
    s = sample()
    quiet(asizeof.asizeof, s, stats=3.2)
    quiet(asizeof.asizesof, s, s['cycle'], stats=2)
    quiet(asizeof.asized, s, stats=1, detail=2)


def api_asizer():
    s = sample()
    a = asizeof.Asizer()
    a.exclude_types(int)
    a.exclude_refs(s['ints'])
    a.exclude_objs(s['text'])
    a.asizeof(s)
    a.asizesof(s, s['plain'])
    a.asized(s, detail=2)
    a.set(stats=2, detail=1, limit=50)
    a.asizeof(s['cycle'])
    quiet(a.print_summary)
    quiet(a.print_largest)
    quiet(a.print_profiles)
    quiet(a.print_typedefs)
    quiet(a.print_stats, (s,), sized=a.asized(s))
    a.reset(align=8)
    (a.total, a.sized, a.seen, a.duplicate, a.missed, a.ranked, a.excluded)


def api_asizeof_hostile():
    for h in hostile():
        swallow(asizeof.asizeof, h)
        swallow(asizeof.asizeof, [h, 'x'])
        swallow(asizeof.asizesof, h, [h])
        swallow(lambda: asizeof.asized([h], detail=2).format())
        swallow(asizeof.flatsize, h)
        a = asizeof.Asizer()
        swallow(a.asizeof, h)
        swallow(quiet, a.print_stats, (h,))
    swallow(quiet, asizeof.asizeof, [Big(), Big()], stats=3)


def api_muppy():
    s = sample()
    objs = muppy.get_objects()
    muppy.get_size(objs[:2000])
    muppy.sort(s['ints'] + [s['text']])
    muppy.filter(objs[:2000], Type=dict, min=10, max=10000)
    muppy.get_diff(objs[:1000], objs[500:1500])
    muppy.get_referents(s, level=2)
    muppy._remove_duplicates([1, 1, s, s])
    muppy._is_containerobject(s)
    muppy.ignore_object(s)
    del objs
    len(muppy.get_objects(remove_dups=False, include_frames=True))
    len(muppy.get_objects(untracked=True))
    quiet(muppy.print_summary)


def api_muppy_hostile():
    h = hostile()
    swallow(muppy.get_size, h)
    swallow(muppy.sort, h)
    swallow(muppy.filter, h, min=1, max=10 ** 6)
    swallow(muppy.get_size, EndlessList([1, 2]))
    swallow(muppy.sort, EndlessList([3, 1]))


def api_summary():
    s = sample()
    rows = summary.summarize(list(s.values()) + s['ints'])
    rows2 = summary.summarize(s['cycle'])
    d = summary.get_diff(rows, rows2)
    list(summary.format_(d, limit=5, sort='size', order='descending'))
    quiet(summary.print_, rows)
    summary._repr(s)
    summary._repr(api_summary, verbosity=2)


def api_summary_hostile():
    h = hostile()
    swallow(summary.summarize, h)
    swallow(summary.summarize, [Big(), Big(), 1])
    swallow(summary.summarize, EndlessList([1, 'x']))
    swallow(quiet, summary.print_, summary.summarize([Big()]))
    swallow(stringutils.pp, 2 ** 70)


def api_tracker():
    t = tracker.SummaryTracker()
    keep = [sample() for _ in range(3)]
    t.diff()
    quiet(t.print_diff)
    t.format_diff()
    t.store_summary('k')
    del keep
    u = tracker.SummaryTracker(ignore_self=False, untracked=True)
    u.diff()
    o = tracker.ObjectTracker()
    keep = [Plain()]
    o.get_diff()
    quiet(o.print_diff)
    del keep


def api_mprofile():
    p = mprofile.MProfiler(codepoints=[('<string>', None, None)], events=['call', 'return'])
    p.run('sum([1, 2])')
    p.codepoint_included(('a', 'b', 1))
    p.profile(sys._getframe(), 'line', None)
    swallow(p.run, '1/0')
    swallow(p.profile, 1, 'call', None)
    p.codepoints = [('a', 'b', 1, 2)]
    swallow(p.codepoint_included, ('a', 'b', 1))


def api_refbrowser():
    s = sample()
    root = s['plain']
    out = io.StringIO()
    refbrowser.StreamBrowser(root, maxdepth=2, stream=out).print_tree()
    b = refbrowser.RefBrowser(root, maxdepth=2, str_func=repr, repeat=False)
    tree = b.get_tree()
    refbrowser.StreamBrowser(None, maxdepth=2, stream=out).print_tree(tree)
    quiet(refbrowser.ConsoleBrowser(root, maxdepth=1).print_tree)
    refbrowser.FileBrowser(root, maxdepth=1).print_tree(os.path.join(TMP, 'tree.txt'))
    str(tree)


def api_refgraph():
    s = sample()
    objs = [s, s['plain'], s['plain'].__dict__, s['cycle'], s['cycle'][2]] + s['plain'].a
    g = refgraph.ReferenceGraph(objs)
    g.metadata
    g.edges
    g.total_size
    for part in g.split():
        part.objects
    g.split_and_sort()
    r = g.reduce_to_cycles()
    r.num_in_cycles
    refgraph.ReferenceGraph(objs, reduce=True)
    g.write_graph(os.path.join(TMP, 'g.dot'))
    g.render(os.path.join(TMP, 'g.svg'), format='svg')
    g.render_bytes(format='svg', unflatten=True)
    g._get_graphviz_data()


def api_refgraph_hostile():
    h = hostile()
    swallow(refgraph.ReferenceGraph, h + [h])   # Huge, Neg...: asizeof's errors, as in Pympler
    h = [o for o in h if swallow(asizeof.asizeof, o) is not None]
    g = refgraph.ReferenceGraph(h + [h])
    g.metadata
    g.write_graph(os.path.join(TMP, 'h.dot'))
    refgraph.ReferenceGraph(EndlessList([1, 'a', (2,)]))


def api_garbagegraph():
    garbage_cycle()
    g = garbagegraph.GarbageGraph()
    g.print_stats(stream=io.StringIO())
    g.write_graph(os.path.join(TMP, 'garbage.dot'))
    garbage_cycle()
    garbagegraph.GarbageGraph(reduce=True, collectable=True)
    # by default DEBUG_SAVEALL stays set and the garbage in gc.garbage, as
    # Pympler leaves them: put both back
    gc.set_debug(0)
    del gc.garbage[:]
    garbagegraph.start_debug_garbage()
    garbagegraph.end_debug_garbage()
    garbage_cycle()
    garbagegraph.GarbageGraph(restore=True)


def api_process():
    p = process.ProcessMemoryInfo()
    p.update()
    (p.vsz, p.rss, p.pagesize, p.os_specific)
    process.get_current_threads()
    process.get_current_thread_id()
    process.is_available()


# A dump as Pympler 1.1 writes it (two protocol-2 pickles), by hand: one
# TrackedObject whose snapshots hold an Asized, one Snapshot with a
# ProcessMemoryInfo.
_ASIZED = (b'cpympler.asizeof\nAsized\n)\x81N}(X\x04\x00\x00\x00sizeK\x08X\x04\x00\x00\x00flatK\x04'
           b'X\x04\x00\x00\x00refs)X\x04\x00\x00\x00nameNu\x86b')
_PYMPLER_DUMP = (
    b'\x80\x02ccollections\ndefaultdict\nc__builtin__\nlist\n\x85R'
    b'X\x01\x00\x00\x00C](cpympler.classtracker\nTrackedObject\n)\x81}(X\x04\x00\x00\x00reprX\x01\x00\x00\x00r'
    b'X\x09\x00\x00\x00snapshots]G?\xf0\x00\x00\x00\x00\x00\x00' + _ASIZED + b'\x86aub' + b'es.'
    b'\x80\x02](cpympler.classtracker\nSnapshot\n)\x81}(X\x0c\x00\x00\x00system_total'
    b'cpympler.process\n_ProcessMemoryInfoProc\n)\x81}X\x03\x00\x00\x00rssK\x05sbub' + b'e.')


def api_stats_io():
    a = asizeof.Asized(2 ** 70, 3, (asizeof.Asized(1, 1, (), 'x \ud800'),), 'root')
    pm = process._ProcessMemoryInfoProc.__new__(process._ProcessMemoryInfoProc)
    pm.rss = 5
    index = {'C': [{'id': 1, 'repr': 'r', 'snapshots': [(1.5, a)], 'trace': [('f', 1, 'g', None, 0)]}]}
    snaps = [{'system_total': pm, 'classes': {'C': {'merged': a, 'pct': float('nan')}}}]
    f = io.BytesIO()
    _stats_io.dump(f, index, snaps)
    data = f.getvalue()
    _stats_io.load(io.BytesIO(data))
    path = os.path.join(TMP, 'stats.dat')
    _stats_io.dump(path, index, snaps)
    _stats_io.load(path)
    _stats_io.load(io.BytesIO(_PYMPLER_DUMP))
    for bad in (data[:-3], data[:20], data[:40] + b'Z' + data[41:], b'junk', b'\x80\x02cos\nsystem\n.',
                _PYMPLER_DUMP[:-20], _PYMPLER_DUMP.replace(b'rssK', b'rssc'), b'\x80\x02(' + b'(' * 50 + b'N' + b't' * 51 + b'.'):
        swallow(_stats_io.load, io.BytesIO(bad))
    swallow(_stats_io.load, os.path.join(TMP, 'no', 'such'))
    swallow(_stats_io.dump, os.path.join(TMP, 'no', 'such'), index, snaps)
    swallow(_stats_io.dump, path, {'C': [{'x': {1, 2}}]}, [])
    swallow(_stats_io.dump, io.BytesIO(), {1: []}, [])
    swallow(_stats_io._scan_pickle, b'\x80\x02N')


def api_stringutils():
    stringutils.pp(123456789)
    stringutils.pp(12.5, base=1000)
    stringutils.pp_timestamp(3725.5)
    stringutils.pp_timestamp(None)
    stringutils.safe_repr(BadRepr(), clip=10)
    stringutils.safe_repr('x' * 500, clip=40)
    stringutils.trunc('abcdef' * 20, 30, left=True)
    swallow(stringutils.pp, 2 ** 70)


def api_errors():
    """Invalid arguments: the error paths release what they took."""
    x = [1, 2]
    swallow(asizeof.asizeof, x, limit='a')
    swallow(asizeof.asizeof, x, align=3)
    swallow(asizeof.asizeof, x, bogus=1, zz=2)
    swallow(asizeof.asizesof, x, all=True)
    swallow(asizeof.flatsize, x, align=6)
    swallow(asizeof.Asizer, bogus=1)
    swallow(asizeof.Asizer().set, align=3)
    swallow(asizeof.Asized)
    swallow(asizeof.basicsize, x, nonsense=1)
    swallow(muppy.filter, x, min=5, max=1)
    swallow(muppy.filter, x, min='a')
    swallow(muppy.get_size, 'text')
    swallow(muppy.get_referents, x, level=-1)
    swallow(summary.summarize, 42)
    swallow(lambda: list(summary.format_([['a', 1, 2]], sort='nope')))
    swallow(summary.get_diff, [['a', 1]], None)
    swallow(refgraph.ReferenceGraph, 42)
    swallow(refgraph.ReferenceGraph([x]).render, os.path.join(TMP, 'x.svg'), format='nope')
    swallow(refgraph.ReferenceGraph([x]).render, os.path.join(TMP, 'x.svg'), cmd='nope')

    def bad_str(o):
        raise ValueError('str')
    swallow(refbrowser.StreamBrowser(x, maxdepth=2, str_func=bad_str, stream=io.StringIO()).print_tree)
    swallow(refbrowser.StreamBrowser(x).print_tree)
    swallow(refbrowser.FileBrowser(x).print_tree, os.path.join(TMP, 'no', 'such', 'dir'))
    swallow(stringutils.pp, 'text')
    swallow(stringutils.pp_timestamp, 'text')
    swallow(stringutils.trunc, None, 3)
    swallow(garbagegraph.GarbageGraph, bogus=1)


_KEPT = []


def leaky():
    """Not an API: keeps one list per call, so that the check can be seen to
    fail (the first thing main() does)."""
    _KEPT.append([])


def growth(f):
    """(refs gained by calls 1..FIRST, refs gained by calls FIRST+1..ITERATIONS)"""
    t0 = total()
    for _ in range(FIRST):
        f()
    t1 = total()
    for _ in range(ITERATIONS - FIRST):
        f()
    return t1 - t0, total() - t1


def total():
    gc.collect()
    gc.collect()
    return sys.gettotalrefcount()


def main(argv):
    verbose = '-v' in argv
    wanted = [a for a in argv if not a.startswith('-')]
    every = [(n[4:], f) for n, f in sorted(globals().items()) if n.startswith('api_') and callable(f)]
    apis = [(n, f) for n, f in every if not wanted or any(w in n for w in wanted)]
    if not apis:
        sys.exit('no API matches %s' % wanted)
    # the check itself: a leak of one reference per call is seen
    _, grow = growth(leaky)
    if grow <= TOLERANCE:
        sys.exit('refcount: a leak of one list per call was not seen (growth %d)' % grow)
    del _KEPT[:]
    for _ in range(2):   # warm-up of everything, in one process
        for _, f in apis:
            f()
    leaks = []
    print('%-20s %10s %10s   (refs over calls %d..%d; tolerance %d)' % (
        'api', 'warm', 'growth', FIRST, ITERATIONS, TOLERANCE))
    for name, f in apis:
        warm, grow = growth(f)
        bad = grow > TOLERANCE
        if bad:
            leaks.append(name)
        print('%-20s %10d %10d%s' % (name, warm, grow, '   LEAK' if bad else ''))
        if verbose:
            sys.stdout.flush()
    if leaks:
        print('refcount: leaks in %s' % ', '.join(leaks))
        return 1
    print('refcount: no leak in %d APIs' % len(apis))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
