"""Differential test: pympler.asizeof against the reference Pympler 1.1.

A zoo of object constructions (source strings that define ``obj``) is sized in
child processes by both implementations:

* ours: ``PYTHONPATH`` as given to pytest (normally ``build/python``), every
  entry in ONE process (so ours must also be order independent);
* the reference: ``$PYMPLER_REFERENCE`` (default ``<repo>/.deps/pympler-1.1``,
  else ``/opt/refpympler``) with the patches of ``tests/tools/stable_reference.py``:
  ``apply_keepalive`` (no id reuse of freed temporaries) and
  ``apply_fresh_xtyp`` (the typedef of an array/numpy object is built from that
  object, not from the first array the process ever sized).  The ordinary
  entries run in one process, the ``fresh`` entries (array.array, numpy) each
  in its own process.  Ours sizes each array as ``sys.getsizeof`` (+ numpy's
  ``.base``), which is the reference's fresh-process value for a lone array;
  ``apply_fresh_xtyp`` extends that rule to views and several arrays in one
  structure (a plain fresh process sizes a view's ``.base`` with the view's
  header, and raises ValueError for a first view whose data exceed its
  header).

Per entry the quantities of ``QUANTITIES`` are compared one by one (one test per
entry, every differing quantity in the message); ``test_accumulating_asizer``
compares one ``Asizer`` fed the whole zoo, step by step.

When the package under test is itself the pure-Python reference (harness
validation: ``PYTHONPATH=<reference>``), its child gets the same patches, and
both sides must agree exactly.  No quantity is excluded (``Z(skip=...)``): with
the patches the reference gave identical values for every entry in one batch,
in reversed order and in a fresh process each.
"""

import json
import os
import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / 'tests' / 'tools'
TIMEOUT = float(os.environ.get('PYMPLER_DIFF_TIMEOUT', '600'))

sys.path.insert(0, str(TOOLS))
try:
    import stable_reference  # noqa: E402  (tests/tools)
finally:
    sys.path.remove(str(TOOLS))

try:
    import numpy  # noqa: F401
    HAVE_NUMPY = True
except ImportError:
    HAVE_NUMPY = False


def _pythonpath():
    """The package under test: $PYTHONPATH (made absolute: the children run
    in other directories), else <repo>/build/python."""
    pp = os.environ.get('PYTHONPATH')
    if not pp:
        return str(REPO / 'build' / 'python')
    return os.pathsep.join(os.path.abspath(p) for p in pp.split(os.pathsep) if p)


# --------------------------------------------------------------------------
# the zoo

class Z:
    """One zoo entry: ``src`` defines ``obj``.

    ``fresh``: the reference sizes it in a fresh process (array/numpy).
    ``skip``: {quantity: why} -- quantities not compared for this entry.
    ``numpy``: needs numpy."""

    def __init__(self, name, src, fresh=False, skip=None, numpy=False):
        self.name = name
        self.src = textwrap.dedent(src).strip('\n') + '\n'
        self.fresh = fresh
        self.skip = skip or {}
        self.numpy = numpy


ZOO = [
    # ---- ints, floats, complex
    Z('int_0', 'obj = 0'),
    Z('int_1', 'obj = 1'),
    Z('int_neg1', 'obj = -1'),
    Z('int_255', 'obj = 255'),
    Z('int_257', 'obj = 257'),
    Z('int_2p30m1', 'obj = 2**30 - 1'),
    Z('int_2p30', 'obj = 2**30'),
    Z('int_2p62', 'obj = 2**62'),
    Z('int_2p64', 'obj = 2**64'),
    Z('int_neg_2p64', 'obj = -2**64'),
    Z('int_10p100', 'obj = 10**100'),
    Z('int_2p1000', 'obj = 2**1000'),
    Z('bool_true', 'obj = True'),
    Z('float_0', 'obj = 0.0'),
    Z('float_big', 'obj = 1.7976931348623157e308'),
    Z('float_nan', 'obj = float("nan")'),
    Z('complex', 'obj = complex(1.5, -2.5)'),
    Z('list_of_floats', 'obj = [i / 7 for i in range(50)]'),
    # ---- str
    Z('str_empty', "obj = ''"),
    Z('str_ascii', "obj = 'hello world'"),
    Z('str_latin1', "obj = 'caf\\xe9 ' * 10"),
    Z('str_bmp', "obj = '\\u03a9\\u03bc\\u2603' * 7"),
    Z('str_astral', "obj = '\\U0001F600' * 3 + 'x'"),
    Z('str_long', "obj = 'x' * 100000"),
    Z('str_interned', "import sys\nobj = sys.intern('zoo_interned_name')"),
    Z('str_list_mixed', "obj = ['a', 'caf\\xe9', '\\u2603', '\\U0001F600', '']"),
    # ---- bytes, bytearray
    Z('bytes_empty', "obj = b''"),
    Z('bytes_abc', "obj = b'abc'"),
    Z('bytes_10k', "obj = bytes(range(256)) * 40"),
    Z('bytearray_empty', 'obj = bytearray()'),
    Z('bytearray_1000', "obj = bytearray(b'x' * 1000)"),
    Z('bytearray_appended', '''
        obj = bytearray()
        for i in range(100):
            obj.append(i)
    '''),
    # ---- tuples
    Z('tuple_0', 'obj = ()'),
    Z('tuple_1', 'obj = (1000,)'),
    Z('tuple_5', 'obj = tuple(range(1000, 1005))'),
    Z('tuple_9', 'obj = tuple(str(i) for i in range(9))'),
    Z('tuple_1000', 'obj = tuple(range(1000))'),
    Z('tuple_nested', 'obj = ((1, 2), ((3.5, "x"), ()), (None, (True,)))'),
    # ---- lists
    Z('list_0', 'obj = []'),
    Z('list_1', 'obj = [None]'),
    Z('list_5', 'obj = list(range(1000, 1005))'),
    Z('list_6', 'obj = [1.5] * 6'),
    Z('list_8', 'obj = [str(i) for i in range(8)]'),
    Z('list_9', 'obj = [[i] for i in range(9)]'),
    Z('list_100', 'obj = list(range(100))'),
    Z('list_1000', 'obj = [str(i) * 3 for i in range(1000)]'),
    Z('list_appended', '''
        obj = []
        for i in range(37):
            obj.append(i * 1000)
    '''),
    Z('list_nested', 'obj = [[1, [2, [3, [4, [5, {"k": (6,)}]]]]], [], [[]]]'),
    Z('list_deep_150', '''
        obj = []
        cur = obj
        for _ in range(149):
            nxt = [1000]
            cur.append(nxt)
            cur = nxt
    '''),
    # ---- dicts
    Z('dict_0', 'obj = {}'),
    Z('dict_1', "obj = {'a': 1}"),
    Z('dict_5', "obj = {str(i): i * 1000 for i in range(5)}"),
    Z('dict_6', "obj = {str(i): [i] for i in range(6)}"),
    Z('dict_8', "obj = {i: str(i) for i in range(8)}"),
    Z('dict_9', "obj = {i: str(i) for i in range(9)}"),
    Z('dict_100', "obj = {'k%d' % i: i for i in range(100)}"),
    Z('dict_1000', "obj = {i: (i, str(i)) for i in range(1000)}"),
    Z('dict_nonstr_keys', "obj = {1: 'int', 2.5: 'float', None: 'none', (1, 'x'): 'tuple', "
                          "frozenset({1}): 'fs', b'b': 'bytes'}"),
    Z('dict_after_deletions', '''
        obj = {i: i * 1000 for i in range(100)}
        for i in range(90):
            del obj[i]
    '''),
    Z('dict_nested', "obj = {'a': {'b': {'c': [1, 2, {'d': 'e'}]}}, 'f': {}}"),
    # ---- sets, frozensets
    Z('set_0', 'obj = set()'),
    Z('set_1', 'obj = {1000}'),
    Z('set_5', 'obj = set(range(1000, 1005))'),
    Z('set_8', "obj = {str(i) for i in range(8)}"),
    Z('set_9', "obj = {str(i) for i in range(9)}"),
    Z('set_100', 'obj = set(range(100))'),
    Z('set_1000', "obj = {'s%d' % i for i in range(1000)}"),
    Z('set_after_removals', '''
        obj = set(range(200))
        for i in range(150):
            obj.discard(i)
    '''),
    Z('frozenset_0', 'obj = frozenset()'),
    Z('frozenset_6', 'obj = frozenset(range(6))'),
    Z('frozenset_100', "obj = frozenset(str(i) for i in range(100))"),
    Z('set_of_tuples', "obj = {(i, str(i)) for i in range(20)}"),
    # ---- shared references, cycles
    Z('shared_refs', '''
        a = [1000, 2000]
        b = 'shared string'
        obj = [a, a, (a, b), {'x': a, 'y': b}, b]
    '''),
    Z('cycle_list', '''
        obj = [1, 2]
        obj.append(obj)
    '''),
    Z('cycle_dict', '''
        obj = {'name': 'root'}
        obj['self'] = obj
        obj['child'] = {'parent': obj}
    '''),
    Z('cycle_instances', '''
        class Node:
            def __init__(self, v):
                self.v = v
                self.next = None
        a, b, c = Node(1), Node(2), Node(3)
        a.next, b.next, c.next = b, c, a
        obj = a
    '''),
    # ---- class instances
    Z('inst_plain', '''
        class Plain:
            def __init__(self):
                self.a = [1, 2, 3]
                self.b = 'bee'
                self.c = {'k': 1000}
        obj = Plain()
    '''),
    Z('inst_empty', '''
        class Empty:
            pass
        obj = Empty()
    '''),
    Z('inst_slots', '''
        class Slotted:
            __slots__ = ('x', 'y', 'z')
            def __init__(self):
                self.x = 1000
                self.y = [2000, 3000]
        obj = Slotted()
    '''),
    Z('inst_private_slots', '''
        class Priv:
            __slots__ = ('__data', 'pub')
            def __init__(self):
                self.__data = list(range(10))
                self.pub = 'p'
        obj = Priv()
    '''),
    Z('inst_slots_and_dict', '''
        class SD:
            __slots__ = ('s', '__dict__')
            def __init__(self):
                self.s = (1, 2)
                self.d = 'in dict'
        obj = SD()
    '''),
    Z('inst_slots_inherited', '''
        class A:
            __slots__ = ('a',)
        class B(A):
            __slots__ = ('b',)
        class C(B):
            pass
        obj = C()
        obj.a, obj.b, obj.c = 'aa', [1], {'c': 3}
    '''),
    Z('inst_inheritance', '''
        class Base:
            def __init__(self):
                self.base = [1, 2]
        class Derived(Base):
            def __init__(self):
                super().__init__()
                self.derived = 'dd'
        obj = Derived()
    '''),
    Z('inst_many_attrs', '''
        class Many:
            pass
        obj = Many()
        for i in range(60):
            setattr(obj, 'attr%d' % i, i * 1000)
    '''),
    Z('inst_attrs_deleted', '''
        class Del:
            pass
        obj = Del()
        for i in range(20):
            setattr(obj, 'a%d' % i, [i])
        for i in range(15):
            delattr(obj, 'a%d' % i)
    '''),
    Z('inst_many_of_one_class', '''
        class Point:
            def __init__(self, x, y):
                self.x = x
                self.y = y
        obj = [Point(i, -i) for i in range(200)]
    '''),
    Z('inst_weakref_slot', '''
        class W:
            __slots__ = ('v', '__weakref__')
            def __init__(self):
                self.v = 'value'
        obj = W()
    '''),
    Z('inst_callable', '''
        class Call:
            def __init__(self):
                self.state = [1, 2, 3]
            def __call__(self):
                return self.state
        obj = Call()
    '''),
    Z('dict_subclass', '''
        class D(dict):
            pass
        obj = D(a=1, b=[2, 3])
        obj.extra = 'attr'
    '''),
    Z('list_subclass', '''
        class L(list):
            pass
        obj = L([1000, 2000, 3000])
        obj.tag = 'tagged'
    '''),
    Z('str_subclass', '''
        class S(str):
            pass
        obj = S('subclassed string')
    '''),
    Z('namedtuple', '''
        from collections import namedtuple
        P = namedtuple('P', 'x y z')
        obj = P(1000, 'why', [3])
    '''),
    Z('dataclass', '''
        from dataclasses import dataclass, field
        @dataclass
        class DC:
            a: int = 1000
            b: list = field(default_factory=lambda: [1, 2])
        obj = DC()
    '''),
    Z('dataclass_slots', '''
        from dataclasses import dataclass
        @dataclass(slots=True)
        class DCS:
            a: int = 1000
            b: str = 'bee'
        obj = DCS()
    '''),
    Z('enum_member', '''
        import enum
        class Color(enum.Enum):
            RED = 1
            GREEN = 'green'
        obj = Color.GREEN
    '''),
    Z('simplenamespace', '''
        import types
        obj = types.SimpleNamespace(a=1, b=[2, 3], c='c')
    '''),
    Z('ordereddict', '''
        from collections import OrderedDict
        obj = OrderedDict((str(i), i) for i in range(10))
    '''),
    Z('ordereddict_moved', '''
        from collections import OrderedDict
        obj = OrderedDict((str(i), i) for i in range(10))
        obj.move_to_end('3')
        obj.move_to_end('7', last=False)
    '''),
    Z('defaultdict', '''
        from collections import defaultdict
        obj = defaultdict(list)
        for i in range(10):
            obj[i % 3].append(i)
    '''),
    Z('counter', '''
        from collections import Counter
        obj = Counter('abracadabra')
    '''),
    Z('deque', '''
        from collections import deque
        obj = deque(range(100), maxlen=200)
    '''),
    # ---- weak references
    Z('weakref_ref', '''
        import weakref
        class T:
            def __init__(self):
                self.payload = list(range(10))
        keep = T()
        obj = weakref.ref(keep)
    '''),
    Z('weakref_dead', '''
        import weakref
        class T:
            pass
        t = T()
        obj = weakref.ref(t)
        del t
    '''),
    Z('weakref_proxy', '''
        import weakref
        class T:
            pass
        keep = T()
        obj = weakref.proxy(keep)
    '''),
    Z('weakvaluedict', '''
        import weakref
        class T:
            pass
        keep = [T() for _ in range(3)]
        obj = weakref.WeakValueDictionary({i: t for i, t in enumerate(keep)})
    '''),
    # ---- exceptions, tracebacks
    Z('exc_args', "obj = ValueError('bad value', 42, [1, 2])"),
    Z('exc_oserror', "obj = OSError(2, 'No such file', '/nonexistent/file')"),
    Z('exc_syntaxerror', '''
        try:
            compile('x = (', '<zoo>', 'exec')
        except SyntaxError as e:
            obj = e
    '''),
    Z('exc_raised_with_tb', '''
        def boom():
            raise KeyError('missing')
        try:
            boom()
        except KeyError as e:
            obj = e
    '''),
    Z('traceback', '''
        import sys
        try:
            raise RuntimeError('tb')
        except RuntimeError:
            obj = sys.exc_info()[2]
    '''),
    # ---- builtin helper objects
    Z('range', 'obj = range(0, 1000, 7)'),
    Z('slice', "obj = slice(1, 'stop', [3])"),
    Z('memoryview', "obj = memoryview(b'abcdefgh' * 10)"),
    Z('zip', "obj = zip([1, 2], 'ab')"),
    Z('map', "obj = map(str, [1, 2, 3])"),
    Z('enumerate', "obj = enumerate(['a', 'b'])"),
    Z('reversed_list', "obj = reversed([1000, 2000, 3000])"),
    # ---- iterators
    Z('iter_list', "obj = iter([1000, 'two', (3,)])"),
    Z('iter_list_consumed', '''
        obj = iter([1000, 2000, 3000, 4000])
        next(obj)
        next(obj)
    '''),
    Z('iter_tuple', "obj = iter((1000, 'two'))"),
    Z('iter_dict_keys', "obj = iter({'a': 1, 'b': [2]})"),
    Z('iter_dict_items', "obj = iter({'a': 1, 'b': [2]}.items())"),
    Z('iter_set', "obj = iter({1000, 2000})"),
    Z('iter_str', "obj = iter('string to iterate')"),
    Z('iter_range', 'obj = iter(range(10))'),
    # ---- generators
    Z('generator_fresh', '''
        def gen(n):
            data = list(range(n))
            for x in data:
                yield x
        obj = gen(10)
    '''),
    Z('generator_started', '''
        def gen(n):
            data = list(range(n))
            label = 'running'
            for x in data:
                yield x
        obj = gen(10)
        next(obj)
        next(obj)
    '''),
    Z('genexpr', 'obj = (i * 2 for i in range(5))'),
    # ---- code
    Z('function', '''
        def func(a, b=[1, 2]):
            """doc string"""
            return a + len(b)
        obj = func
    '''),
    Z('lambda', 'obj = lambda x, y=3: x * y'),
    Z('closure', '''
        def outer():
            captured = [1, 2, 3]
            text = 'closure text'
            def inner():
                return captured, text
            return inner
        obj = outer()
    '''),
    Z('bound_method', '''
        class K:
            def __init__(self):
                self.v = [1, 2]
            def meth(self):
                return self.v
        obj = K().meth
    '''),
    Z('classmethod', '''
        class K:
            @classmethod
            def cm(cls):
                return cls
        obj = K.__dict__['cm']
    '''),
    Z('staticmethod', '''
        class K:
            @staticmethod
            def sm(x):
                return x
        obj = K.__dict__['sm']
    '''),
    Z('property', '''
        class K:
            @property
            def p(self):
                """property doc"""
                return 1
            @p.setter
            def p(self, v):
                pass
        obj = K.__dict__['p']
    '''),
    Z('class_object', '''
        class Klass:
            attr = [1, 2, 3]
            def method(self):
                return self.attr
        obj = Klass
    '''),
    Z('code_object', '''
        def f(x):
            return x + 1
        obj = f.__code__
    '''),
    Z('builtin_function', 'obj = len'),
    Z('module', '''
        import types
        obj = types.ModuleType('zoo_module', 'module doc')
        obj.data = list(range(10))
        obj.name = 'zoo'
    '''),
    # ---- __sizeof__ overrides, classes without __module__
    Z('sizeof_returns_int', '''
        class Odd:
            def __init__(self):
                self.x = [1, 2]
            def __sizeof__(self):
                return 500
        obj = Odd()
    '''),
    Z('sizeof_raises_typeerror', '''
        class Odd:
            def __init__(self):
                self.x = [1, 2, 3]
            def __sizeof__(self):
                raise TypeError('nope')
        obj = Odd()
    '''),
    Z('class_without_module', '''
        g = {}
        exec("class NoModule:\\n    def __init__(self):\\n        self.data = list(range(20))\\n", g)
        obj = g['NoModule']()
    '''),
    Z('class_without_module_in_list', '''
        g = {}
        exec("class NoModule:\\n    pass\\n", g)
        obj = [g['NoModule'](), 'sibling', [1, 2]]
    '''),
    Z('mixed_structure', '''
        class Rec:
            def __init__(self, i):
                self.i = i
                self.tags = ['t%d' % (i % 3)]
        obj = {'records': [Rec(i) for i in range(20)], 'index': {i: 'r%d' % i for i in range(20)},
               'meta': ('v1', 3.5, None, True)}
    '''),
    # ---- array.array (fresh process per entry in the reference)
    Z('array_d_empty', "import array\nobj = array.array('d')", fresh=True),
    Z('array_i_list', "import array\nobj = array.array('i', range(100))", fresh=True),
    Z('array_b_appended', '''
        import array
        obj = array.array('b')
        for i in range(100):
            obj.append(i)
    ''', fresh=True),
    Z('array_u', "import array\nobj = array.array('u', 'unicode array')", fresh=True),
    Z('array_in_list', "import array\nobj = [array.array('h', range(10)), 'x']", fresh=True),
    # ---- numpy (fresh process per entry in the reference)
    Z('numpy_arange', 'import numpy\nobj = numpy.arange(100)', fresh=True, numpy=True),
    Z('numpy_zeros_2d', "import numpy\nobj = numpy.zeros((30, 40), dtype='float32')",
      fresh=True, numpy=True),
    Z('numpy_empty', 'import numpy\nobj = numpy.array([])', fresh=True, numpy=True),
    Z('numpy_view', '''
        import numpy
        base = numpy.arange(1000, dtype='int64')
        obj = base[10:20]
    ''', fresh=True, numpy=True),
    # NB: views whose nbytes exceed their header (sys.getsizeof of a view
    # excludes the data) make the reference raise ValueError('invalid option:
    # reset(base=-N)') -- no reference value exists for them, so the views
    # here are small.
    Z('numpy_reshape_view', '''
        import numpy
        obj = numpy.arange(6, dtype='int8').reshape(2, 3)
    ''', fresh=True, numpy=True),
    Z('numpy_in_list', '''
        import numpy
        a = numpy.ones(50)
        obj = [a, a[::10], 'x', numpy.arange(3)]
    ''', fresh=True, numpy=True),
    Z('numpy_scalar', 'import numpy\nobj = numpy.float64(2.5)', fresh=True, numpy=True),
]

QUANTITIES = ('asizeof', 'asizeof_code', 'asizeof_limit1', 'asizesof_obj_list',
              'flatsize', 'basicsize', 'itemsize', 'leng', 'named_refs', 'asized_d2')


def _active_zoo():
    return [z for z in ZOO if HAVE_NUMPY or not z.numpy]


# --------------------------------------------------------------------------
# the child (written to a temporary file and run with the side's PYTHONPATH)

CHILD_SRC = r'''
import gc, json, os, re, sys

out_path, entries_path = sys.argv[1], sys.argv[2]
with open(entries_path, encoding='utf-8') as fp:
    job = json.load(fp)
entries, accumulate = job['entries'], job['accumulate']

_HEX = re.compile(r'0x[0-9a-fA-F]+')


def norm(s):
    return _HEX.sub('0x?', s)


def to_json(x, depth=0):
    if depth > 50:
        return {'__repr__': '<too deep>'}
    t = type(x)
    if x is None or t in (bool, int, str):
        return x
    if t is float and x == x and x not in (float('inf'), float('-inf')):
        return x
    if t in (list, tuple):
        return [to_json(v, depth + 1) for v in x]
    if t is dict:
        return {(k if type(k) is str else repr(k)): to_json(v, depth + 1)
                for k, v in x.items()}
    return {'__repr__': norm(repr(x))}


def guard(fn, *args):
    try:
        return to_json(fn(*args))
    except Exception as exc:
        return {'raises': type(exc).__name__, 'message': norm(str(exc))}


fp = open(out_path, 'w', encoding='utf-8')


def emit(rec):
    fp.write(json.dumps(rec) + '\n')
    fp.flush()


meta = {'pid': os.getpid(), 'PYTHONHASHSEED': os.environ.get('PYTHONHASHSEED')}
try:
    from pympler import asizeof
except Exception as exc:
    meta['import_error'] = '%s: %s' % (type(exc).__name__, exc)
    emit({'meta': meta})
    sys.exit(3)
meta['asizeof_file'] = getattr(asizeof, '__file__', None)
pure_python = hasattr(getattr(asizeof.Asizer, '_sizer', None), '__code__')
meta['pure_python'] = pure_python
if os.environ.get('ZOO_KEEPALIVE') == '1' or pure_python:
    sys.path.insert(0, os.environ['ZOO_TOOLS'])
    import stable_reference
    stable_reference.apply_keepalive(asizeof)
    stable_reference.apply_fresh_xtyp(asizeof)
    meta['keepalive'] = True
emit({'meta': meta})

Q = [
    ('asizeof', lambda o: asizeof.asizeof(o)),
    ('asizeof_code', lambda o: asizeof.asizeof(o, code=True)),
    ('asizeof_limit1', lambda o: asizeof.asizeof(o, limit=1)),
    ('asizesof_obj_list', lambda o: list(asizeof.asizesof(o, [o]))),
    ('flatsize', lambda o: asizeof.flatsize(o)),
    ('basicsize', lambda o: asizeof.basicsize(o)),
    ('itemsize', lambda o: asizeof.itemsize(o)),
    ('leng', lambda o: asizeof.leng(o)),
    ('named_refs', lambda o: [norm(n) for n, _ in asizeof.named_refs(o)]),
    ('asized_d2', lambda o: norm(asizeof.asized(o, detail=2).format())),
]

alive = []
for e in entries:
    emit({'start': e['name']})
    gc.collect()
    ns = {'__name__': '__zoo__'}
    try:
        exec(e['src'], ns)
        obj = ns['obj']
    except Exception as exc:
        emit({'name': e['name'], 'setup_error': '%s: %s' % (type(exc).__name__, exc)})
        continue
    alive.append((e, ns))
    emit({'name': e['name'], 'q': {q: guard(fn, obj) for q, fn in Q}})

if accumulate:
    emit({'start': '<accumulate>'})
    z = asizeof.Asizer()
    steps = []
    for e, ns in alive:
        if not e.get('acc', True):
            continue
        s = guard(z.asizeof, ns['obj'])
        steps.append({'s': s, 'total': z.total, 'sized': z.sized, 'seen': z.seen,
                      'duplicate': z.duplicate, 'missed': z.missed})
    emit({'accumulate': steps})
emit({'done': True})
fp.close()
'''


class ChildRun:
    def __init__(self, label):
        self.label = label
        self.meta = {}
        self.results = {}       # name -> {quantity: value} or {'setup_error': ...}
        self.accumulate = None
        self.started = None     # last started entry without a result
        self.done = False
        self.rc = None
        self.stderr = ''

    def problem(self):
        """None, or why this child's results are incomplete."""
        if self.done and self.rc == 0:
            return None
        if 'import_error' in self.meta:
            return ('%s child could not import pympler.asizeof: %s'
                    % (self.label, self.meta['import_error']))
        return ('%s child exited with %s (last entry started: %s)\nstderr (tail):\n%s'
                % (self.label, self.rc, self.started, self.stderr[-3000:]))


def _run_child(label, pythonpath, entries, accumulate, tmpdir, keepalive):
    run = ChildRun(label)
    tmpdir.mkdir(parents=True, exist_ok=True)
    script = tmpdir / 'zoo_child.py'
    script.write_text(CHILD_SRC, encoding='utf-8')
    job = tmpdir / 'job.json'
    job.write_text(json.dumps({'entries': [{'name': z.name, 'src': z.src, 'acc': not z.fresh}
                                           for z in entries],
                               'accumulate': accumulate}), encoding='utf-8')
    out = tmpdir / 'out.jsonl'
    env = dict(os.environ)
    env['PYTHONHASHSEED'] = '0'
    env['PYTHONPATH'] = pythonpath
    env['ZOO_TOOLS'] = str(TOOLS)
    env['ZOO_KEEPALIVE'] = '1' if keepalive else '0'
    try:
        p = subprocess.run([sys.executable, '-X', 'faulthandler', str(script), str(out),
                            str(job)], env=env, capture_output=True, text=True,
                           timeout=TIMEOUT, cwd=str(tmpdir))
        run.rc, run.stderr = p.returncode, p.stderr
    except subprocess.TimeoutExpired as exc:
        run.rc = 'timeout after %ss' % TIMEOUT
        err = exc.stderr or ''
        run.stderr = err.decode('utf-8', 'replace') if isinstance(err, bytes) else err
    if out.exists():
        for line in out.read_text(encoding='utf-8').split('\n'):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                break
            if 'meta' in rec:
                run.meta = rec['meta']
            elif 'start' in rec:
                run.started = rec['start']
            elif 'accumulate' in rec:
                run.accumulate = rec['accumulate']
                run.started = None
            elif 'done' in rec:
                run.done = True
            else:
                run.results[rec['name']] = rec.get('q') or {'setup_error': rec.get('setup_error')}
                run.started = None
    return run


class ZooRuns:
    def __init__(self, ours, ref_batch, ref_fresh):
        self.ours = ours
        self.ref_batch = ref_batch
        self.ref_fresh = ref_fresh   # name -> ChildRun

    def ref_for(self, z):
        return self.ref_fresh[z.name] if z.fresh else self.ref_batch


@pytest.fixture(scope='module')
def zoo_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('zoo')
    zoo = _active_zoo()
    batch = [z for z in zoo if not z.fresh]
    refdir = stable_reference.reference_dir()
    if not os.path.isdir(os.path.join(refdir, 'pympler')):
        pytest.fail('reference Pympler 1.1 not found at %s (set PYMPLER_REFERENCE)' % refdir)
    jobs = max(2, min(8, os.cpu_count() or 2))
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        f_ours = ex.submit(_run_child, 'ours', _pythonpath(), zoo, True,
                           tmp / 'ours', False)
        f_ref = ex.submit(_run_child, 'reference', refdir, batch, True,
                          tmp / 'ref', True)
        f_fresh = {z.name: ex.submit(_run_child, 'reference (fresh %s)' % z.name, refdir,
                                     [z], False, tmp / ('ref_' + z.name), True)
                   for z in zoo if z.fresh}
        runs = ZooRuns(f_ours.result(), f_ref.result(),
                       {k: f.result() for k, f in f_fresh.items()})
    if runs.ours.meta.get('pure_python'):
        warnings.warn('the package under test is the pure-Python reference (%s): '
                      'harness validation mode, reference patches applied to both sides'
                      % runs.ours.meta.get('asizeof_file'))
    return runs


def _value(run, name, q):
    if name not in run.results:
        why = run.problem() or 'no result recorded'
        if run.started == name:
            why = 'the child died while sizing this entry: ' + why
        pytest.fail('%s: no result for %s: %s' % (run.label, name, why), pytrace=False)
    res = run.results[name]
    if 'setup_error' in res:
        pytest.fail('%s: building %s failed: %s' % (run.label, name, res['setup_error']),
                    pytrace=False)
    return res[q]


def _fmt(v):
    s = json.dumps(v, ensure_ascii=False)
    if isinstance(v, str) and '\n' in v:
        s = '\n        ' + v.replace('\n', '\n        ')
    return s if len(s) < 4000 else s[:4000] + '...'


def _strict_equal(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_strict_equal(a[k], b[k]) for k in a)
    return a == b


def test_package_under_test_is_importable(zoo_runs):
    meta = zoo_runs.ours.meta
    assert 'import_error' not in meta, 'pympler.asizeof not importable from %s: %s' % (
        _pythonpath(), meta.get('import_error'))
    f = meta.get('asizeof_file')
    assert f, 'ours child produced no metadata: %s' % zoo_runs.ours.problem()
    roots = [os.path.realpath(p) for p in _pythonpath().split(os.pathsep) if p]
    assert any(os.path.realpath(f).startswith(r + os.sep) for r in roots), \
        'pympler.asizeof came from %s, not from PYTHONPATH=%s' % (f, _pythonpath())
    assert zoo_runs.ref_batch.meta.get('keepalive'), zoo_runs.ref_batch.meta


def test_zoo_is_big_enough():
    assert len(ZOO) >= 80
    names = [z.name for z in ZOO]
    assert len(names) == len(set(names)), 'duplicate zoo names'
    for z in ZOO:
        assert 'obj' in z.src
        for q in z.skip:
            assert q in QUANTITIES, (z.name, q)


@pytest.mark.parametrize('z', _active_zoo(), ids=['zoo-' + z.name for z in _active_zoo()])
def test_zoo_entry(zoo_runs, z):
    ref = zoo_runs.ref_for(z)
    diffs = []
    for q in QUANTITIES:
        if q in z.skip:
            continue
        want = _value(ref, z.name, q)
        got = _value(zoo_runs.ours, z.name, q)
        if not _strict_equal(want, got):
            diffs.append('  %s:\n    reference: %s\n    ours:      %s' % (q, _fmt(want), _fmt(got)))
    if diffs:
        pytest.fail('%s differs from the reference in %d of %d quantities:\n%s\n--- source:\n%s'
                    % (z.name, len(diffs), len(QUANTITIES) - len(z.skip),
                       '\n'.join(diffs), z.src), pytrace=False)


def test_accumulating_asizer(zoo_runs):
    """One Asizer fed every (non-fresh) zoo object in turn: per step the
    returned size and total, sized, seen, duplicate, missed."""
    batch = [z for z in _active_zoo() if not z.fresh]
    ref, ours = zoo_runs.ref_batch.accumulate, zoo_runs.ours.accumulate
    assert ref is not None, 'reference: %s' % zoo_runs.ref_batch.problem()
    assert ours is not None, 'ours: %s' % zoo_runs.ours.problem()
    # array/numpy entries are left out on both sides (the reference's array
    # typedef would come from whichever array it met first)
    assert len(ref) == len(batch), (len(ref), len(batch))
    assert len(ours) == len(batch), (len(ours), len(batch))
    for k, z in enumerate(batch):
        if not _strict_equal(ref[k], ours[k]):
            pytest.fail('accumulating Asizer differs first at step %d (%s):\n'
                        '  reference: %s\n  ours:      %s\n--- source:\n%s'
                        % (k, z.name, ref[k], ours[k], z.src), pytrace=False)
