"""asizeof.flatsize(o) is sys.getsizeof(o) for every fast path.

lib/py/flatsize.c computes the builtin ``__sizeof__`` of int, str, list,
tuple, set, frozenset and object inline from the object, calls other builtin
``__sizeof__`` implementations directly and Python-level ones as CPython does.
``flatsize(o)`` (no alignment) must equal ``sys.getsizeof(o)`` for a broad
zoo, and ``flatsize(o, align=8)`` must be that value rounded up to 8.
"""

import array
import codecs
import collections
import decimal
import fractions
import sys

import pytest

from pympler import asizeof


def _al(n, a=8):
    return (n + a - 1) & ~(a - 1)


# ---------------------------------------------------------------- factories

def _appended(n):
    lst = []
    for i in range(n):
        lst.append(i)
    return lst


def _cleared():
    lst = list(range(100))
    lst.clear()
    return lst


def _popped():
    lst = _appended(100)
    for _ in range(90):
        lst.pop()
    return lst


def _set_after_removals(n, keep):
    s = set(range(n))
    for i in range(n - keep):
        s.discard(i)
    return s


def _dict_after_deletions(n, keep):
    d = {i: i for i in range(n)}
    for i in range(n - keep):
        del d[i]
    return d


class Plain:
    def __init__(self, n=3):
        for i in range(n):
            setattr(self, 'a%d' % i, i)


class Slotted:
    __slots__ = ('x', 'y', 'z')

    def __init__(self):
        self.x = 1
        self.y = 2


class SlottedDict:
    __slots__ = ('x', '__dict__')


class Empty:
    pass


class ListSub(list):
    pass


class DictSub(dict):
    pass


class IntSub(int):
    pass


class StrSub(str):
    pass


class TupleSub(tuple):
    pass


class CustomSizeof:
    def __sizeof__(self):
        return 12345


class CustomSizeofBig(list):
    def __sizeof__(self):
        return 10**9


def _materialised(n):
    o = Plain(n)
    o.__dict__
    return o


def _materialised_dict(n):
    return Plain(n).__dict__


def _split_dict_after_deletion():
    o = Plain(5)
    d = o.__dict__
    del d['a1']
    return d


def _dict_of_instance_grown():
    o = Plain(3)
    d = o.__dict__
    for i in range(50):
        d['extra%d' % i] = i
    return d


def _cell():
    x = [1]

    def f():
        return x
    return f.__closure__[0]


def _utf8_cached(s):
    # PyUnicode_AsUTF8 caches the UTF-8 form of a non-ASCII str (3.11).
    # codecs.lookup(name) converts its argument with the 'str' converter,
    # which calls PyUnicode_AsUTF8AndSize: a public way to make CPython cache
    # it (str.encode() does not cache).  The lookup itself fails.
    s = ''.join([s])  # a fresh, non-interned copy
    before = sys.getsizeof(s)
    try:
        codecs.lookup(s)
    except LookupError:
        pass
    assert sys.getsizeof(s) > before, 'UTF-8 was not cached'
    return s


ZOO = {
    # ints
    'int_0': lambda: 0,
    'int_1': lambda: 1,
    'int_-1': lambda: -1,
    'int_2p30': lambda: 2**30,
    'int_2p60': lambda: 2**60,
    'int_-2p100': lambda: -2**100,
    'int_10p1000': lambda: 10**1000,
    'bool_true': lambda: True,
    'bool_false': lambda: False,
    'int_sub': lambda: IntSub(2**70),
    # strs
    'str_empty': lambda: '',
    'str_ascii': lambda: 'hello world',
    'str_latin1': lambda: 'caf\xe9' * 5,
    'str_ucs2': lambda: '\u2603\u03a9' * 7,
    'str_ucs4': lambda: '\U0001F600' * 3 + 'x',
    'str_long': lambda: 'x' * 10**5,
    'str_long_ucs2': lambda: '\u2603' * 10**5,
    'str_interned': lambda: sys.intern('zoo_interned_name_flatsize'),
    'str_utf8_cached_latin1': lambda: _utf8_cached('caf\xe9\xe9\xe9'),
    'str_utf8_cached_ucs2': lambda: _utf8_cached('\u2603' * 9),
    'str_utf8_cached_ucs4': lambda: _utf8_cached('\U0001F600' * 4),
    'str_sub': lambda: StrSub('substring'),
    'str_non_compact': lambda: StrSub('\u2603' * 20),
    # lists
    'list_empty': lambda: [],
    'list_literal': lambda: [1, 2, 3],
    'list_appended_1': lambda: _appended(1),
    'list_appended_5': lambda: _appended(5),
    'list_appended_17': lambda: _appended(17),
    'list_appended_1000': lambda: _appended(1000),
    'list_range': lambda: list(range(100)),
    'list_sliced': lambda: list(range(100))[3:50:2],
    'list_slice_full': lambda: _appended(33)[:],
    'list_cleared': _cleared,
    'list_popped': _popped,
    'list_mult': lambda: [None] * 77,
    'list_sub': lambda: ListSub([1, 2, 3]),
    # tuples
    'tuple_empty': lambda: (),
    'tuple_1': lambda: (1,),
    'tuple_20': lambda: tuple(range(20)),
    'tuple_sub': lambda: TupleSub((1, 2)),
    'namedtuple': lambda: collections.namedtuple('P', 'x y')(1, 2),
    # sets
    'set_empty': lambda: set(),
    'set_small': lambda: {1, 2, 3},
    'set_5': lambda: set(range(5)),
    'set_large': lambda: set(range(10000)),
    'set_strs': lambda: {str(i) for i in range(100)},
    'set_after_removals': lambda: _set_after_removals(1000, 10),
    'set_all_removed': lambda: _set_after_removals(100, 0),
    'frozenset_empty': lambda: frozenset(),
    'frozenset_small': lambda: frozenset('abc'),
    'frozenset_large': lambda: frozenset(range(5000)),
    # dicts
    'dict_empty': lambda: {},
    'dict_1': lambda: {'a': 1},
    'dict_5': lambda: {i: i for i in range(5)},
    'dict_6': lambda: {i: i for i in range(6)},
    'dict_100': lambda: {str(i): i for i in range(100)},
    'dict_1000': lambda: {i: None for i in range(1000)},
    'dict_fromkeys': lambda: dict.fromkeys(range(300)),
    'dict_fromkeys_str': lambda: dict.fromkeys('abcdefghij'),
    'dict_after_deletions': lambda: _dict_after_deletions(1000, 3),
    'dict_all_deleted': lambda: _dict_after_deletions(50, 0),
    'dict_instance_split': lambda: _materialised_dict(3),
    'dict_instance_split_1': lambda: _materialised_dict(1),
    'dict_instance_split_deleted': _split_dict_after_deletion,
    'dict_instance_grown': _dict_of_instance_grown,
    'dict_sub': lambda: DictSub(a=1, b=2),
    'ordered_dict': lambda: collections.OrderedDict(a=1),
    'defaultdict': lambda: collections.defaultdict(list, a=[1]),
    # bytes-like and numbers
    'bytes_empty': lambda: b'',
    'bytes_abc': lambda: b'abc',
    'bytes_10k': lambda: bytes(10000),
    'bytearray_empty': lambda: bytearray(),
    'bytearray_1000': lambda: bytearray(1000),
    'bytearray_appended': lambda: bytearray(b'x') * 3 + bytearray(b'yz'),
    'memoryview': lambda: memoryview(b'abcdef'),
    'array_d': lambda: array.array('d', range(100)),
    'float': lambda: 1.5,
    'complex': lambda: complex(1, 2),
    'decimal': lambda: decimal.Decimal('3.14159'),
    'fraction': lambda: fractions.Fraction(1, 3),
    'range': lambda: range(10),
    'slice': lambda: slice(1, 2, 3),
    'none': lambda: None,
    'ellipsis': lambda: Ellipsis,
    # instances
    'instance_inline': lambda: Plain(3),
    'instance_empty': lambda: Empty(),
    'instance_many_attrs': lambda: Plain(40),
    'instance_materialised': lambda: _materialised(3),
    'instance_slotted': lambda: Slotted(),
    'instance_slotted_dict': lambda: SlottedDict(),
    'object': lambda: object(),
    'custom_sizeof': lambda: CustomSizeof(),
    'custom_sizeof_list': lambda: CustomSizeofBig([1]),
    # others
    'deque': lambda: collections.deque(range(100)),
    'function': lambda: _al,
    'class': lambda: Plain,
    'type_int': lambda: int,
    'module': lambda: collections,
    'list_iterator': lambda: iter([1, 2]),
    'dict_keys': lambda: {1: 2}.keys(),
    'cell': lambda: _cell(),
    'code': lambda: _al.__code__,
    'generator': lambda: (i for i in range(3)),
    'exception': lambda: ValueError('x'),
    'weakref': lambda: __import__('weakref').ref(Plain),
    'property': lambda: property(lambda s: 1),
}


@pytest.mark.parametrize('name', sorted(ZOO))
def test_flatsize_is_getsizeof(name):
    o = ZOO[name]()
    expected = sys.getsizeof(o)
    assert asizeof.flatsize(o) == expected
    assert asizeof.flatsize(o, align=0) == expected
    assert asizeof.flatsize(o, align=1) == expected
    assert asizeof.flatsize(o, align=8) == _al(expected)
    assert asizeof.flatsize(o, align=16) == _al(expected, 16)
    # and again: nothing cached wrongly between calls
    assert asizeof.flatsize(o) == sys.getsizeof(o)


def test_flat_sizes_in_asized_are_getsizeof():
    # the sizer uses the same flat sizes (aligned) for the objects it visits
    objs = [ZOO[n]() for n in ('int_10p1000', 'str_ucs4', 'list_appended_17', 'set_after_removals',
                               'dict_after_deletions', 'bytes_10k', 'float', 'complex')]
    r = asizeof.asized(*objs)
    for o, a in zip(objs, r):
        assert a.flat == _al(sys.getsizeof(o)), type(o)


def test_utf8_cache_changes_flatsize():
    s = ''.join(['\xe9'] * 10)
    before = asizeof.flatsize(s)
    assert before == sys.getsizeof(s)
    _ = s.encode('utf-8')  # does not cache
    assert asizeof.flatsize(s) == before
    try:
        codecs.lookup(s)
    except LookupError:
        pass
    after = asizeof.flatsize(s)
    assert after == sys.getsizeof(s) == before + len(s.encode('utf-8')) + 1
