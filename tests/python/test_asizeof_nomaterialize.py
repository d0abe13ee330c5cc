"""Sizing does not change the objects it sizes (docs/asizeof.md item 5).

On CPython 3.11 an instance keeps its attributes as inline values until
something reads ``obj.__dict__``, which creates a dict and attaches it for
good.  Pympler reads ``obj.__dict__``; we size the dict that reading it would
create, without creating it.  The detector: ``gc.get_referents(obj)`` lists
the inline values (and no dict) until the dict exists (3.11).  On 3.13 the
dict made from inline values shares them and the instance keeps listing the
values (the dict does not): the dict is then found among the collector's
objects as the one holding exactly the instance's values.  (On
3.13 only instances whose class adds nothing to object's layout have inline
values: with __slots__ the dict is made at the first attribute assignment.)

Sizes are compared with the reference Pympler 1.1 run in a child process that
performs the same steps on the same objects (would-be dict sizes depend on the
class's shared-keys history, so both sides follow the same sequence).
Also checked: no leaked references, no objects left alive, stable answers.
"""

import gc
import io
import json
import os
import subprocess
import sys
import textwrap
from contextlib import redirect_stdout
from pathlib import Path


from pympler import asizeof

REPO = Path(__file__).resolve().parents[2]


def _reference_dir():
    return os.environ.get('PYMPLER_REFERENCE') or str(REPO / '.deps' / 'pympler-1.1')




def with_dict(objs):
    """The indices of objs whose __dict__ exists as a dict (module doc)."""
    found, values = set(), {}
    for i, o in enumerate(objs):
        refs = gc.get_referents(o)
        if any(type(r) is dict for r in refs):
            found.add(i)
        else:
            values[i] = [r for r in refs if not isinstance(r, type)]
    if values:
        # a dict holding exactly an instance's values is that instance's (it
        # does not list the values it shares, so it is no referrer of them;
        # the collector tracks it as it holds a container, Plain.b)
        want = {frozenset(map(id, vs)) for vs in values.values() if vs}
        sizes = {len(w) for w in want}
        dicts = {frozenset(map(id, d.values())) for d in gc.get_objects()
                 if type(d) is dict and len(d) in sizes}
        found.update(i for i, vs in values.items() if vs and frozenset(map(id, vs)) in dicts)
    return found


def has_dict(o):
    return bool(with_dict([o]))


# The steps, executed here and by the reference: build, size in every way,
# report the sizes (addresses normalised).
SRC = textwrap.dedent('''
    import io, re
    from contextlib import redirect_stdout
    from pympler import asizeof

    class Plain:
        def __init__(self, i):
            self.a = 'x' * i
            self.b = [i, i + 1]
            self.c = i / 3.0

    class L(list):
        pass

    class LA(list):
        pass

    class SD:
        __slots__ = ('s', '__dict__')

    def norm(s):
        return re.sub(r'0x[0-9a-fA-F]+', '0x?', s)

    def size_all_ways(o):
        out = {}
        out['asizeof'] = asizeof.asizeof(o)
        out['asized3'] = norm(asizeof.asized(o, detail=3).format())
        a = asizeof.Asizer()
        out['Asizer'] = a.asizeof(o)
        buf = io.StringIO()
        with redirect_stdout(buf):
            out['stats2'] = asizeof.asizeof(o, stats=2)
        out['stats2_text'] = norm(buf.getvalue())
        out['asizesof'] = list(asizeof.asizesof(o, [o], {'k': o}))
        out['in_list'] = asizeof.asizeof([o, o])
        out['flatsize'] = asizeof.flatsize(o)
        return out

    def build():
        p = Plain(20)
        l = L([1, 2, 3])
        la = LA(['q', 'r'])
        la.attr = 'v'
        s = SD()
        s.s = 1
        s.y = 'why'
        return {'plain': p, 'list_sub': l, 'list_sub_attr': la, 'slots_dict': s}
''')

_CHILD = SRC + textwrap.dedent('''
    import json
    objs = build()
    print(json.dumps({k: size_all_ways(v) for k, v in objs.items()}))
''')


def _ours():
    ns = {'__name__': '__main__'}
    exec(compile(SRC, '<nomaterialize>', 'exec'), ns)
    return ns


def test_detector_sees_materialisation():
    ns = _ours()
    p, q = ns['Plain'](3), ns['Plain'](4)
    assert not has_dict(p)
    assert 'xxx' in gc.get_referents(p)  # the inline values are visible
    q.__dict__
    assert has_dict(q)
    s = ns['SD']()
    s.s = 1
    s.y = [2]
    s.__dict__
    assert has_dict(s)
    l = ns['L']()
    assert not has_dict(l)
    l.__dict__
    assert has_dict(l)


def _without_dict(objs):
    """The keys of objs without a __dict__ object; at least the plain
    instance and the list subclass without attributes, on any version."""
    keys = list(objs)
    have = with_dict([objs[k] for k in keys])
    none = [k for i, k in enumerate(keys) if i not in have]
    assert {'plain', 'list_sub'} <= set(none), none
    return none


def test_sizing_does_not_materialise():
    ns = _ours()
    objs = ns['build']()
    none = _without_dict(objs)
    for key, o in objs.items():
        ns['size_all_ways'](o)
        asizeof.Asizer().asized(o, detail=5)
        asizeof.leng(o)
        asizeof.basicsize(o)
        asizeof.itemsize(o)
        asizeof.asizeof(o, infer=True, derive=True, code=True, ignored=False)
    for key in none:
        assert not has_dict(objs[key]), key


def test_sizes_match_reference():
    ns = _ours()
    objs = ns['build']()
    none = _without_dict(objs)
    ours = {k: ns['size_all_ways'](v) for k, v in objs.items()}
    for key in none:
        assert not has_dict(objs[key]), key
    # JSON round trip: lists stay lists on both sides
    ours = json.loads(json.dumps(ours))
    env = dict(os.environ, PYTHONPATH=_reference_dir(), PYTHONHASHSEED='0')
    p = subprocess.run([sys.executable, '-P', '-c', _CHILD], env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    ref = json.loads(p.stdout)
    diffs = []
    for k in ref:
        for q in ref[k]:
            if ours[k][q] != ref[k][q]:
                diffs.append('%s.%s:\n  ours %r\n  ref  %r' % (k, q, ours[k][q], ref[k][q]))
    assert not diffs, '\n'.join(diffs)
    assert ours['plain']['asizeof'] > 0


def test_instances_inside_containers_not_materialised():
    ns = _ours()
    Plain = ns['Plain']
    items = [Plain(i) for i in range(200)]
    data = {'items': items, 'pairs': [(p, p.b) for p in items[:50]]}
    first = asizeof.asizeof(data)
    assert not with_dict(items)
    asizeof.asized(data, detail=4)
    assert not with_dict(items)
    assert asizeof.asizeof(data) == first


def _big():
    ns = _ours()
    Plain = ns['Plain']
    big = ([Plain(i % 50) for i in range(2500)] +
           [str(i) * 3 for i in range(2500)] +
           [(i, 'k%d' % i) for i in range(2500)] +
           [{'k': i, 'v': [i]} for i in range(2500)])
    return big


def test_no_leaked_references_and_stable_results():
    big = _big()
    samples = []
    for i in range(0, len(big), 97):
        o = big[i]
        samples.append(o)
        samples.extend(gc.get_referents(o))
    # not the objects the rest of the process shares (small ints, 1-char strs)
    samples = [o for o in samples if not isinstance(o, (int, float, type)) and
               not (isinstance(o, str) and len(o) < 2)]
    assert len(samples) > 200
    # sys.getrefcount of each sample (the samples list adds one each, constant)
    before = [sys.getrefcount(o) for o in samples]
    a1 = asizeof.asizeof(big)
    a2 = asizeof.asizeof(big)
    assert a1 == a2
    r = asizeof.asized(big, detail=2)
    assert r.size == a1
    del r
    z = asizeof.Asizer()
    assert z.asizeof(big) == a1
    assert z.asizeof(big) == 0  # already seen by this Asizer
    z.reset()
    assert z.asizeof(big) == a1
    del z
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert asizeof.asizeof(big, stats=3) == a1
    assert 'objects sized' in buf.getvalue()
    # a given object referenced by another given object is counted once, on its own
    s0, s1 = asizeof.asizesof(big, big[0])
    assert s1 > 0 and s0 + s1 == a1
    gc.collect()
    after = [sys.getrefcount(o) for o in samples]
    changed = [(type(o).__name__, b, a) for o, b, a in zip(samples, before, after) if a != b]
    assert not changed
    assert not with_dict(big[:2500])


def test_no_objects_left_alive():
    big = _big()
    asizeof.asizeof(big)  # warm up (caches, interned names)
    asizeof.asized(big, detail=2)
    gc.collect()
    n0 = len(gc.get_objects())
    for _ in range(3):
        asizeof.asizeof(big)
        r = asizeof.asized(big, detail=2)
        del r
        z = asizeof.Asizer()
        z.asizeof(big, stats=0)
        z.asized(big[:100], detail=1)
        del z
    gc.collect()
    n1 = len(gc.get_objects())
    assert abs(n1 - n0) <= 5, (n0, n1)


def test_refs_does_materialise_documented():
    # refs() and named_refs() hand the real obj.__dict__ to the caller
    # (docs/asizeof.md item 5), so they create it.
    ns = _ours()
    p = ns['Plain'](2)
    assert not has_dict(p)
    names = [n for n, _ in asizeof.named_refs(p)]
    assert names == ['__dict__', '__class__']
    assert has_dict(p)
