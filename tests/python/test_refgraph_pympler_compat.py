"""Regression (was pending): small differences from Pympler 1.1 that docs/refgraph.md does not
list among the deliberate ones.

1. reduce=True drops duplicate objects.  ReferenceGraph([l, l, x], reduce=True)
   with a self-referencing l keeps [l] (num_in_cycles 1); Pympler keeps
   [l, l] (num_in_cycles 2), as the unreduced graph keeps duplicates here too
   (metadata has one entry per input object).  Same for reduce_to_cycles().

2. The type name of a dead weakref.proxy.  Pympler catches ReferenceError
   from obj.__class__ and uses type(obj).__name__ == 'ProxyType'; we use the
   C type's tp_name, 'weakref.ProxyType' (python/pympler/refgraph.c,
   type_name: PyUnicode_FromString(Py_TYPE(obj)->tp_name)).  Also in the
   DOT label.

3. _Edge equality.  Pympler's __eq__ is `hash(self) == hash(other)`, so an
   edge equals the tuple (src, dst, label); ours returns NotImplemented for
   anything but an _Edge.
"""

import weakref

from pympler.refgraph import ReferenceGraph, _Edge


def test_reduce_keeps_duplicates():
    l = []
    l.append(l)
    g = ReferenceGraph([l, l, [1]], reduce=True)
    assert g.num_in_cycles == 2
    assert [id(o) for o in g.objects] == [id(l), id(l)]
    assert len(g.metadata) == 2
    r = ReferenceGraph([l, l, [1]]).reduce_to_cycles()
    assert r.num_in_cycles == 2 and len(r.objects) == 2


def test_dead_proxy_type_name():
    class C:
        pass
    c = C()
    p = weakref.proxy(c)
    del c
    g = ReferenceGraph([p])
    assert g.metadata[0].type == 'ProxyType'
    assert '\\nProxyType"' in g._get_graphviz_data()


def test_edge_equals_its_tuple():
    assert _Edge(1, 2, 'x') == (1, 2, 'x')
    assert not (_Edge(1, 2, 'x') != (1, 2, 'x'))
