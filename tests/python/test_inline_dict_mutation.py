"""Regression (was a bug): attributes added to an instance while its inline values are sized are
not detected (Pympler, and our own docs, say: RuntimeError -> missed).

docs/asizeof.md item 6: "A container changed while it is sized (by such a
method) ends that container's sizing the same way, as Python's own iterators
would raise."  That holds for real dicts (also an instance whose __dict__ was
materialised), not for the would-be dict of an instance with inline values.

Repro::

    class Owner: pass
    class Add1:
        def __init__(s, o): s.o = o
        def __sizeof__(s): s.o.zz = 1; return 16
    o = Owner(); o.a = 'abc'; o.b = Add1(o); o.c = [1, 2]
    a = asizeof.Asizer(); a.asizeof(o), a.missed
    # ours (1168, 0)   reference (920, 1)
    # with o.__dict__ read first: ours (904, 1) == reference (904, 1)

Diagnosis: lib/py/refs.c, the CK_VDICT cursor walks the instance's inline
values / shared keys by index without remembering the number of used
entries (or the dict's version) it started with, so a new attribute (which may
also move the values into a freshly created dict) is just walked on.
Fix: record the used count at open and raise RuntimeError("dictionary changed
size during iteration") when it differs, as dictiter_iternextitem does.
"""

from pympler import asizeof


class Owner:
    pass


class Add1:
    def __init__(self, o):
        self.o = o

    def __sizeof__(self):
        self.o.zz = 1
        return 16


def _run(materialise):
    o = Owner()
    o.a = 'abc'
    o.b = Add1(o)
    o.c = [1, 2]
    if materialise:
        o.__dict__
    a = asizeof.Asizer()
    a.asizeof(o)
    return a.missed


def test_materialised_dict_mutation_is_missed():
    assert _run(True) == 1  # passes today


def test_inline_values_mutation_is_missed():
    assert _run(False) == 1
