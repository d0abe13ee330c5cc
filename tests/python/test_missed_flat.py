"""Regression (was a bug): the Asized of a missed object has flat=-1 (Pympler: flat=0).

Repro::

    class RE:
        def __sizeof__(self): raise RuntimeError('x')
    asizeof.asized([RE(), 'abc'], detail=1).format()
    # ours: "<RE object ...> size=0 flat=-1"   reference: "size=0 flat=0"
    asizeof.asized(RE()).flat   # ours -1, reference 0

Diagnosis: lib/py/sizer.c, enter(): ``n.f = pym_flat(n.td, obj, z->mask)``
stores the -1 error result in the node before ``goto error``; the
RuntimeError is then counted as missed and the node is finished with n.f = -1,
which becomes the Asized's ``flat``.  Pympler's ``s = f = v.flat(...)`` never
assigns when flat raises, so f stays 0.  Fix: compute into a local and assign
n.f only on success (the virtual-dict branch has the same shape).
"""

from pympler import asizeof


class RE:
    def __sizeof__(self):
        raise RuntimeError('x')


def test_missed_object_flat_is_zero():
    r = asizeof.asized([RE(), 'abc'], detail=1)
    kid = [k for k in r.refs if k.name != "'abc'"][0]
    assert (kid.size, kid.flat) == (0, 0)
    top = asizeof.asized(RE())
    assert (top.size, top.flat) == (0, 0)
    a = asizeof.Asizer()
    r = a.asized([RE()], detail=1)
    assert r.refs[0].flat == 0 and a.missed == 1
