"""Hostile objects: asizeof never crashes and never leaves an exception set.

Objects with a raising or lying ``__sizeof__``, ``__repr__``, ``__len__``,
``__getattr__``/``__getattribute__``, ``__dict__`` or ``__class__``; objects
that change the containers being sized; ``__sizeof__`` methods that call
asizeof again; and invalid options.

Most cases are differential: the same source is executed here (package under
test) and in a child process running the reference Pympler 1.1, and the
outcomes (value or exception type and message, addresses normalised) must be
equal.  After every hostile call ``sys.exc_info()`` must be clean and a
follow-up ``asizeof([1, 2, 3])`` must still give 184.

Deliberate differences (docs/asizeof.md, "Where we deliberately differ",
item 6): an attribute lookup that raises an ordinary exception other than
AttributeError is treated as "no such attribute" (Pympler propagates it, or
counts the object as missed when it is a RuntimeError); those cases assert our
documented value instead.  Known bugs found while writing these tests live in
``tests/pending/``.
"""

import os
import re
import sys
import textwrap
from pathlib import Path

import pytest

from pympler import asizeof
from reference_paths import outcomes

REPO = Path(__file__).resolve().parents[2]


def _al(n):
    return (n + 7) & ~7


def _reference_dir():
    return os.environ.get('PYMPLER_REFERENCE') or str(REPO / '.deps' / 'pympler-1.1')




def _norm(s):
    return re.sub(r'0x[0-9a-fA-F]+', '0x?', s)


def check_clean():
    """No exception left behind, and the module still works."""
    assert sys.exc_info() == (None, None, None)
    assert asizeof.asizeof([1, 2, 3]) == 184
    assert sys.exc_info() == (None, None, None)


@pytest.fixture(autouse=True)
def _clean_after():
    yield
    check_clean()


# --------------------------------------------------------------------------
# differential helper: the same source and expressions, ours vs reference

def run_reference(src, exprs):
    return outcomes(_reference_dir(), src, exprs)


def run_ours(src, exprs):
    """Evaluate here; check cleanliness after every expression."""
    ns = {'__name__': '__main__', 'asizeof': asizeof}
    exec(compile(src, '<hostile>', 'exec'), ns)
    out = []
    for e in exprs:
        try:
            out.append(('ok', _norm(repr(eval(e, ns)))))
        except BaseException as x:  # noqa: B902 -- KeyboardInterrupt-like on purpose
            out.append(('exc', type(x).__name__, _norm(str(x))))
        check_clean()
    return out, ns


def differential(src, exprs):
    src = textwrap.dedent(src)
    ours, ns = run_ours(src, exprs)
    ref = run_reference(src, exprs)
    diffs = ['%s:\n  ours %r\n  ref  %r' % (e, o, r) for e, o, r in zip(exprs, ours, ref) if o != r]
    assert not diffs, '\n'.join(diffs)
    return ours, ns


# --------------------------------------------------------------------------
# __sizeof__

SIZEOF_SRC = '''
class Huge:
    def __sizeof__(self): return 2**64
class Neg:
    def __sizeof__(self): return -1
class Flt:
    def __sizeof__(self): return 1.5
class Str:
    def __sizeof__(self): return '12'
class TE:
    def __sizeof__(self): raise TypeError('te')
class VE:
    def __sizeof__(self): raise ValueError('ve')
class RE:
    def __sizeof__(self): raise RuntimeError('re')
class RecE:
    def __sizeof__(self): raise RecursionError('rec')
class Stop(BaseException):
    pass
class BE:
    def __sizeof__(self): raise Stop('stop')
def with_missed(*objs):
    a = asizeof.Asizer()
    return a.asizeof(*objs), a.missed
'''

SIZEOF_CLASSES = ['Huge', 'Neg', 'Flt', 'Str', 'TE', 'VE', 'RE', 'RecE', 'BE']


def _sizeof_exprs():
    ex = []
    for c in SIZEOF_CLASSES:
        ex += ['asizeof.asizeof(%s())' % c,
               'asizeof.asizeof([1, %s(), "abc"])' % c,
               'with_missed([1, %s(), "abc"])' % c,
               'asizeof.flatsize(%s())' % c,
               'asizeof.asized([%s(), "abc"], detail=1).size' % c]
        if c not in ('RE', 'RecE'):
            # the Asized of a missed object: tests/pending/test_missed_flat.py
            ex.append('asizeof.asized([%s(), "abc"], detail=1).format()' % c)
    return ex


def test_sizeof_hostile_matches_reference():
    exprs = _sizeof_exprs()
    ours, _ = differential(SIZEOF_SRC, exprs)
    by = dict(zip(exprs, ours))
    assert by['asizeof.asizeof(Huge())'][:2] == ('exc', 'OverflowError')
    assert by['asizeof.asizeof(Neg())'][:2] == ('exc', 'ValueError')
    assert by['asizeof.asizeof(VE())'] == ('exc', 'ValueError', 've')
    assert by['asizeof.asizeof(BE())'] == ('exc', 'Stop', 'stop')
    # the list and the two other items are summed, the RE instance gives 0
    summed = '(%d, 1)' % (_al(sys.getsizeof([1, object(), 'abc'])) + _al(sys.getsizeof(1)) +
                          _al(sys.getsizeof('abc')))
    assert by['with_missed([1, RE(), "abc"])'] == ('ok', summed)
    assert by['with_missed([1, RecE(), "abc"])'] == ('ok', summed)
    assert by['asizeof.asizeof(Flt())'] == by['asizeof.asizeof(TE())'] == by['asizeof.asizeof(Str())']


def test_sizeof_huge_int_overflows_like_getsizeof():
    ns = {}
    exec(SIZEOF_SRC, {'asizeof': asizeof, '__name__': '__main__'}, ns)
    with pytest.raises(OverflowError):
        sys.getsizeof(ns['Huge']())
    check_clean()
    for call in (lambda: asizeof.asizeof(ns['Huge']()),
                 lambda: asizeof.asizeof([1, ns['Huge']()]),
                 lambda: asizeof.Asizer().asizeof({'k': ns['Huge']()}),
                 lambda: asizeof.asized([ns['Huge']()], detail=2),
                 lambda: asizeof.flatsize(ns['Huge']())):
        with pytest.raises(OverflowError):
            call()
        check_clean()


def test_sizeof_negative_raises_value_error():
    class Neg:
        def __sizeof__(self):
            return -1
    with pytest.raises(ValueError, match=re.escape('__sizeof__() should return >= 0')):
        sys.getsizeof(Neg())
    for call in (lambda: asizeof.asizeof(Neg()),
                 lambda: asizeof.asizesof([Neg()], 5),
                 lambda: asizeof.flatsize(Neg())):
        with pytest.raises(ValueError, match=re.escape('__sizeof__() should return >= 0')):
            call()
        check_clean()


def test_sizeof_typeerror_and_float_fall_back_to_estimate():
    class TE:
        def __sizeof__(self):
            raise TypeError('no')

    class Flt:
        def __sizeof__(self):
            return 2.5
    # Pympler's estimate for an instance: its typedef's basic size (no items).
    class Same:  # the same shape, a plain __sizeof__
        pass
    base = asizeof.basicsize(TE())
    assert base == _al(sys.getsizeof(Same()))
    assert asizeof.flatsize(TE()) == base
    assert asizeof.flatsize(Flt()) == base
    r = asizeof.asized(TE(), detail=1)
    assert r.flat == base
    assert [k.name for k in r.refs] == ['__dict__', '__class__']
    assert r.size == base + r.refs[0].size
    r = asizeof.asized(Flt(), detail=1)
    assert r.flat == base
    assert r.size == base + r.refs[0].size


def test_sizeof_valueerror_propagates():
    class VE:
        def __sizeof__(self):
            raise ValueError('mine')
    with pytest.raises(ValueError, match='^mine$'):
        asizeof.asizeof([1, 2, VE()])
    check_clean()
    with pytest.raises(ValueError, match='^mine$'):
        asizeof.asized({'k': VE()}, detail=3)


@pytest.mark.parametrize('exc', [RuntimeError, RecursionError])
def test_sizeof_runtime_error_is_missed(exc):
    class RE:
        def __sizeof__(self):
            raise exc('boom')
    lst = [1, RE(), 'abc']
    a = asizeof.Asizer()
    # the list and the two other items are summed, the RE instance gives 0
    expected = _al(sys.getsizeof(lst)) + _al(sys.getsizeof(1)) + _al(sys.getsizeof('abc'))
    assert a.asizeof(lst) == expected
    assert a.missed == 1
    check_clean()
    b = asizeof.Asizer()
    assert b.asizeof(RE()) == 0
    assert b.missed == 1
    # sizing continues after the missed object: 3 sized, RE counted as missed
    assert a.asizeof([RE(), RE(), 'xyz' * 10]) > 0
    assert a.missed == 3


def test_sizeof_runtime_error_asized_node():
    class RE:
        def __sizeof__(self):
            raise RuntimeError('boom')
    r = asizeof.asized([RE(), 'abc'], detail=1)
    flat = _al(sys.getsizeof([object(), 'abc']))
    assert r.size == flat + _al(sys.getsizeof('abc'))
    assert r.flat == flat
    kid = [x for x in r.refs if x.name != "'abc'"][0]
    assert kid.size == 0
    # the flat of a missed object is checked in tests/pending/test_missed_flat.py


def test_sizeof_base_exception_propagates():
    class Stop(BaseException):
        pass

    class BE:
        def __sizeof__(self):
            raise Stop('stop')
    for call in (lambda: asizeof.asizeof(BE()),
                 lambda: asizeof.asizeof([1, {'k': (BE(),)}]),
                 lambda: asizeof.asized([BE()], detail=2),
                 lambda: asizeof.Asizer().asizesof('x', [BE()]),
                 lambda: asizeof.asizeof([BE()], stats=2)):
        with pytest.raises(Stop, match='^stop$'):
            call()
        check_clean()
    a = asizeof.Asizer()
    given = [BE()]  # kept alive: a later object must not reuse its id
    with pytest.raises(Stop):
        a.asizeof(given)
    # the interrupted Asizer is usable again
    fresh = [4000, 5000]
    assert a.asizeof(fresh) == _al(sys.getsizeof(fresh)) + 2 * 32
    with pytest.raises(KeyboardInterrupt):
        class KI:
            def __sizeof__(self):
                raise KeyboardInterrupt
        asizeof.asizeof([KI()])


# --------------------------------------------------------------------------
# __repr__ (names in asized)

REPR_SRC = '''
class RR:
    def __repr__(self): raise ValueError('no repr')
class RRT:
    def __repr__(self): raise RuntimeError('no repr')
class RNS:
    def __repr__(self): return 42
class RH:
    def __repr__(self): return 'x' * 10**6
class RH2:
    def __repr__(self): return 'abc' + '\\xe9' * 200 + '\\n' + 'Z' * 50
class R81:
    def __repr__(self): return 'y' * 81
class R80:
    def __repr__(self): return 'y' * 80
def build(c):
    o = c(); o.attr = c(); o.lst = [c(), c()]; o.d = {'k': c(), 1: c()}
    return o
'''


def test_repr_names_match_reference():
    exprs = []
    for c in ('RR', 'RRT', 'RNS', 'RH', 'RH2', 'R81', 'R80'):
        exprs += ['asizeof.asized(build(%s), detail=2).format()' % c,
                  'asizeof.asized([%s(), {"a": %s()}], detail=2).format()' % (c, c),
                  '[x.format() for x in asizeof.asized(%s(), [%s()], detail=2)]' % (c, c),
                  'asizeof.asized(%s(), detail=1, clip=20).format()' % c]
    differential(REPR_SRC, exprs)


def test_repr_names_na_and_clipped():
    class RR:
        def __repr__(self):
            raise ValueError('no repr')

    class RNS:
        def __repr__(self):
            return 42

    class RH:
        def __repr__(self):
            return 'x' * 10**6
    for c in (RR, RNS):
        r = asizeof.asized([c()], detail=1)
        assert r.name == 'N/A'
        assert [k.name for k in r.refs] == ['N/A']
        check_clean()
    r = asizeof.asized([RH()], detail=1)
    assert r.refs[0].name == 'x' * 38 + '....' + 'x' * 38
    assert len(r.refs[0].name) == 80
    assert asizeof.asized(RH(), clip=10).name == 'xxx....xxx'


def test_repr_base_exception_propagates():
    class RBE:
        def __repr__(self):
            raise KeyboardInterrupt('no repr')
    with pytest.raises(KeyboardInterrupt):
        asizeof.asized([RBE()], detail=2)
    check_clean()
    # names are not needed without asized: the size is computed.  (No
    # hostile object may appear in an assert expression: pytest would repr it.)
    lst, twin = [RBE()], RBE()
    n = asizeof.asizeof(lst)
    expected = (_al(sys.getsizeof(lst)) + _al(sys.getsizeof(twin)) +
                _al(sys.getsizeof(vars(twin))))
    assert n == expected


# --------------------------------------------------------------------------
# __len__, __getattr__, __getattribute__, __dict__, __class__, __slots__

ATTR_SRC = '''
class LenR(list):
    def __len__(self): raise ValueError('len')
class LenH(list):
    def __len__(self): return 2**62
class LenHuge(list):
    def __len__(self): return 2**70
class LenH2:
    def __len__(self): return 2**62
class LenTE:
    def __len__(self): raise TypeError('len')
    def __sizeof__(self): raise TypeError('s')
class LenRE:
    def __len__(self): raise RuntimeError('len')
    def __sizeof__(self): raise TypeError('s')
class DH(dict):
    def __len__(self): return 2**62
class GA:
    def __getattr__(self, name): raise AttributeError(name)
class GAB:
    def __getattribute__(self, name): raise AttributeError(name)
class GABR:
    def __getattribute__(self, name): raise ValueError(name)
class Any:
    def __getattr__(self, name): return Any()
    def __call__(self, *a, **k): return Any()
class AnyGA:
    def __getattribute__(self, name): return 42
class AnyL:
    def __getattr__(self, name): return [1, 2, name]
class DictPropAE:
    @property
    def __dict__(self): raise AttributeError('no dict')
class DictPropList:
    @property
    def __dict__(self): return [1, 2, 3]
class ClsProp:
    @property
    def __class__(self): return 42
class ClsPropR:
    @property
    def __class__(self): raise RuntimeError('cls')
class ClsPropList:
    @property
    def __class__(self): return list
class Sl1:
    __slots__ = 'abc'
class Sl2:
    __slots__ = ('a', 'b')
class Sl3:
    __slots__ = ('__priv', 'x', '__dict__')
def make(c):
    o = c()
    for k, v in (('x', 1), ('abc', 'hello'), ('a', 'hello'), ('_Sl3__priv', 'p'), ('y', 5)):
        try:
            object.__setattr__(o, k, v)
        except (AttributeError, TypeError):
            pass
    return o
def with_missed(*objs, **opts):
    a = asizeof.Asizer(**opts)
    return a.asizeof(*objs), a.missed
'''

ATTR_CLASSES = ['LenR', 'LenH', 'LenHuge', 'LenH2', 'LenTE', 'LenRE', 'GA', 'GAB', 'GABR',
                'Any', 'AnyGA', 'AnyL', 'DictPropAE', 'DictPropList', 'ClsProp', 'ClsPropR',
                'ClsPropList', 'Sl1', 'Sl2', 'Sl3']


def test_attribute_hostile_matches_reference():
    exprs = []
    for c in ATTR_CLASSES:
        exprs += ['asizeof.asizeof(make(%s))' % c,
                  'asizeof.asized(make(%s), detail=2).format()' % c,
                  'with_missed([make(%s)])' % c,
                  'with_missed(make(%s), infer=True, derive=True)' % c,
                  'asizeof.leng(make(%s))' % c,
                  'asizeof.flatsize(make(%s))' % c]
    ours, _ = differential(ATTR_SRC, exprs)
    # the Mock-like and greedy classes are sized, not failed
    by = dict(zip(exprs, ours))
    for c in ('GA', 'GAB', 'Any', 'AnyGA', 'AnyL', 'DictPropAE', 'DictPropList', 'Sl1', 'Sl2', 'Sl3'):
        assert by['asizeof.asizeof(make(%s))' % c][0] == 'ok', c
    assert by['asizeof.asizeof(make(GABR))'] == ('exc', 'ValueError', '__class__')


def test_slots_string_and_unset_slot():
    class Sl1:
        __slots__ = 'abc'

    class Sl2:
        __slots__ = ('a', 'b')
    o = Sl1()
    assert asizeof.asizeof(o) == _al(sys.getsizeof(o)) == 40
    o.abc = 'hello'
    # Pympler quirk, reproduced: a single-string __slots__ is iterated char by
    # char ('a', 'b', 'c'), so the slot 'abc' is never found as a referent.
    r = asizeof.asized(o, detail=1)
    assert [k.name for k in r.refs] == ['__class__']
    assert r.size == _al(sys.getsizeof(o)) == 40
    p = Sl2()
    p.a = 'hello'  # b never set
    assert asizeof.asizeof(p) == _al(sys.getsizeof(p)) + _al(sys.getsizeof('hello'))
    assert [n for n, _ in asizeof.named_refs(p)] == ['__class__', 'a']


def test_getattr_raising_runtime_error_is_treated_as_missing():
    # Deliberate (docs/asizeof.md item 6): Pympler lets the RuntimeError of
    # hasattr(obj, 'dtype') escape and counts the object as missed (size 0);
    # we treat it as "no such attribute" and size the instance normally.
    class GA:
        def __getattr__(self, name):
            raise AttributeError(name)

    class GAR:
        def __getattr__(self, name):
            raise RuntimeError(name)
    g, h = GA(), GAR()
    g.x = h.x = 1
    a = asizeof.Asizer()
    assert a.asizeof(h) == asizeof.asizeof(g)
    assert a.missed == 0
    assert asizeof.flatsize(h) == sys.getsizeof(h)
    assert asizeof.leng(h) is None
    assert [n for n, _ in asizeof.named_refs(h)] == ['__dict__', '__class__']


@pytest.mark.parametrize('exc', [RuntimeError, ValueError, KeyError])
def test_dict_property_raising_is_treated_as_missing(exc):
    # Deliberate (docs/asizeof.md item 6): Pympler propagates the ValueError
    # (or counts the RuntimeError as missed); we size the instance without a
    # __dict__ referent.
    class DictProp:
        @property
        def __dict__(self):
            raise exc('no dict')
    o = DictProp()
    a = asizeof.Asizer()
    assert a.asizeof(o) == _al(sys.getsizeof(o))
    assert a.missed == 0
    r = asizeof.asized(o, detail=1)
    assert [k.name for k in r.refs] == ['__class__']
    assert [n for n, _ in asizeof.named_refs(o)] == ['__class__']


def test_getattribute_raising_value_error_propagates():
    class GABR:
        def __getattribute__(self, name):
            raise ValueError(name)
    # obj.__class__ goes through __getattribute__; its ValueError escapes, as
    # in Pympler (the reference gives the same exception, see
    # test_attribute_hostile_matches_reference).
    with pytest.raises(ValueError, match='^__class__$'):
        asizeof.asizeof(GABR())


# --------------------------------------------------------------------------
# objects mutated while being sized

MUTATE_SRC = '''
class App:
    def __init__(s, l): s.l = l
    def __sizeof__(s):
        if len(s.l) < 50:
            s.l.append(App(s.l))
        return 16
class Clr:
    def __init__(s, l): s.l = l
    def __sizeof__(s): s.l.clear(); return 16
class Pop:
    def __init__(s, d): s.d = d
    def __sizeof__(s):
        if s.d: s.d.popitem()
        return 16
class Add:
    def __init__(s, d): s.d = d
    def __sizeof__(s): s.d[len(s.d) + 1000] = 1; return 16
class Owner:
    pass
class Del:
    def __init__(s, o): s.o = o
    def __sizeof__(s):
        for k in list(vars(s.o)): delattr(s.o, k)
        return 16
def run(make):
    obj = make()
    a = asizeof.Asizer()
    return a.asizeof(obj), a.missed
def app():
    l = [1, 'a']; l.append(App(l)); l.append('zz'); return l
def clr():
    l = [1, 'a']; l.append(Clr(l)); l.append('zz'); l.append(3.5); return l
def pop():
    d = {'a': 1}; d['p'] = Pop(d); d['z'] = 3; d['y'] = 'q'; return d
def add():
    d = {'a': 1}; d['p'] = Add(d); d['z'] = 3; return d
def dele():
    o = Owner(); o.a = 'abc'; o.b = Del(o); o.c = [1, 2]; o.d = 'zz'; return o
def dele_materialised():
    o = dele(); o.__dict__; return o
def set_add(h):
    # the hash decides where the mutating element is visited: first, middle, last
    s = set()
    class SAdd:
        def __hash__(self): return h
        def __eq__(self, o): return self is o
        def __sizeof__(self):
            s.add(len(s) + 10**6)
            return 16
    s.add(SAdd()); s.add(3); s.add(5)
    return s
'''


def test_mutation_while_sizing_matches_reference():
    exprs = ['run(app)', 'run(clr)', 'run(pop)', 'run(add)', 'run(dele)', 'run(dele_materialised)',
             'asizeof.asizeof(add())', 'asizeof.asized(pop(), detail=2).format()',
             'run(lambda: set_add(0))', 'run(lambda: set_add(3))', 'run(lambda: set_add(7))']
    ours, _ = differential(MUTATE_SRC, exprs)
    by = dict(zip(exprs, ours))
    # a dict or set changed during iteration: RuntimeError counted as missed
    for e in ('run(pop)', 'run(add)', 'run(dele)', 'run(lambda: set_add(0))',
              'run(lambda: set_add(3))', 'run(lambda: set_add(7))'):
        assert by[e][0] == 'ok' and eval(by[e][1])[1] >= 1, (e, by[e])


def test_list_mutated_while_sizing():
    ns = {'asizeof': asizeof, '__name__': '__main__'}
    exec(MUTATE_SRC, ns)
    size, missed = ns['run'](ns['app'])
    assert missed == 0
    assert size > 0
    size, missed = ns['run'](ns['clr'])
    assert missed == 0
    # the cleared list: only what was sized before the clear, no crash: the
    # same list with a Clr that does not clear, but its last two items
    class Twin:
        def __init__(s, l):
            s.l = l

        def __sizeof__(s):
            return 16
    l2 = [1, 'a']
    l2.append(Twin(l2))
    l2.append('zz')
    l2.append(3.5)
    assert size == asizeof.asizeof(l2) - _al(sys.getsizeof('zz')) - _al(sys.getsizeof(3.5))


def test_set_mutated_while_sizing():
    s = set()

    class SAdd:
        def __sizeof__(self):
            s.add(len(s) + 10**6)
            return 16
    s.add(SAdd())
    s.add('x')
    a = asizeof.Asizer()
    assert a.asizeof(s) > 0
    assert a.missed >= 1


def test_reentrant_module_asizeof_in_sizeof():
    seen = []

    class Reent:
        def __sizeof__(self):
            seen.append(asizeof.asizeof([1, 2, 3]))
            return 16
    r = Reent()
    r.x = 1
    lst = [r, 'abc']
    a = asizeof.Asizer()
    total = a.asizeof(lst)
    # the nested call runs on a fresh Asizer (docs/asizeof.md item 6)
    assert seen == [184]
    assert a.missed == 0

    class Twin:  # the same shape without the nested call
        def __sizeof__(self):
            return 16
    t = Twin()
    t.x = 1
    assert total == asizeof.asizeof([t, 'abc'])
    assert asizeof.asizeof(lst) == total
    assert seen == [184, 184]


def test_reentrant_same_asizer_is_a_clear_runtime_error():
    errors = []

    class Same:
        def __sizeof__(self):
            try:
                self.a.asizeof([1, 2, 3])
            except RuntimeError as e:
                errors.append(str(e))
                raise
            return 16
    sm = Same()
    a = asizeof.Asizer()
    sm.a = a
    got = a.asizeof([sm, 'abc'])
    assert len(errors) == 1 and 'busy' in errors[0]
    assert a.missed == 1
    # what was summed before: the list and 'abc'; the Same instance gives 0
    assert got == _al(sys.getsizeof([object(), 'abc'])) + _al(sys.getsizeof('abc'))
    check_clean()
    # other methods of the busy Asizer are refused the same way
    for meth in ('reset', 'asized', 'asizesof'):
        class Other:
            def __sizeof__(self, meth=meth):
                getattr(self.a, meth)()
                return 16
        o = Other()
        b = asizeof.Asizer()
        o.a = b
        b.asizeof([o])
        assert b.missed == 1, meth


# --------------------------------------------------------------------------
# invalid options

def test_invalid_options():
    x = [1, 2]
    with pytest.raises(TypeError, match='limit'):
        asizeof.asizeof(x, limit='a')
    with pytest.raises(ValueError, match=r'^invalid option: set\(align=3\)$'):
        asizeof.asizeof(x, align=3)
    with pytest.raises(ValueError, match=r'^invalid option: set\(stats=-1\)$'):
        asizeof.asizeof(x, stats=-1)
    with pytest.raises(KeyError) as ei:
        asizeof.asizeof(x, bogus=1)
    assert ei.value.args == ('invalid option: reset(bogus=1)',)
    with pytest.raises(KeyError) as ei:
        asizeof.asizeof(x, bogus=1, zz=2)
    assert ei.value.args == ('invalid options: reset(bogus=1, zz=2)',)
    with pytest.raises(ValueError, match=r'^invalid option: asizeof\(all=2\)$'):
        asizeof.asizeof(all=2)
    with pytest.raises(KeyError) as ei:
        asizeof.asizesof(x, all=True)
    assert ei.value.args == ('invalid option: reset(all=True)',)
    with pytest.raises(ValueError, match=r'^invalid option: flatsize\(align=6\)$'):
        asizeof.flatsize(x, align=6)
    with pytest.raises(TypeError, match='bogus'):
        asizeof.Asizer().asizeof(x, bogus=1)
    with pytest.raises(TypeError, match='keyword'):
        asizeof.Asizer(1)
    with pytest.raises(KeyError) as ei:
        asizeof.Asizer(bogus=1)
    assert ei.value.args == ('invalid option: reset(bogus=1)',)
    with pytest.raises(ValueError, match=r'^invalid option: set\(align=3\)$'):
        asizeof.Asizer().set(align=3)
    with pytest.raises(TypeError, match="size"):
        asizeof.Asized()
    with pytest.raises(TypeError, match="flat"):
        asizeof.Asized(1)
    # Pympler silently ignores unknown keywords of basicsize() & co (they go
    # to _typedefof(**opts)); ours rejects them.
    for f in (asizeof.basicsize, asizeof.itemsize, asizeof.leng, asizeof.flatsize):
        with pytest.raises(TypeError, match="unexpected keyword argument 'nonsense'"):
            f(x, nonsense=1)
        check_clean()
    # the options that are valid still work after all that
    assert asizeof.asizeof(x, align=1) == 72 + 2 * 28
    assert asizeof.asizeof(x, align=16) == 80 + 2 * 32
    assert asizeof.flatsize(x, align=8) == 72
