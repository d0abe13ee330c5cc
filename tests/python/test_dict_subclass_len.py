"""Regression: the __len__ of a dict subclass is called (eagerly, as Pympler
does) when its flat size is computed; it used to be skipped.

Pympler's ``_Typedef.flat`` computes ``base + leng(obj) * item`` eagerly,
before calling ``sys.getsizeof(obj, estimate)``; for dict-like typedefs
``leng`` is ``_len_dict`` which calls ``len(obj)``.  So a raising or lying
``__len__`` of a dict subclass matters in Pympler even when ``__sizeof__`` is
fine:

    class D(dict):
        def __len__(self): raise ValueError('len')
    asizeof.asizeof(D(a=1))      # ours 296, reference ValueError('len')
    # __len__ raising RuntimeError: reference 0 with missed=1; ours 296, 0
    # __len__ returning -1: reference ValueError('__len__() should return >= 0'),
    #   ours 88 -- while ours asizeof.leng() of the same object does raise it

Diagnosis: lib/py/flatsize.c computes the flat size from sys.getsizeof
(pym_getsizeof) and consults the typedef's length function only when
``__sizeof__`` fails (TypeError / non-int), so ``__len__`` is never called.
This is arguably in the spirit of docs/asizeof.md item 6 ("hostile objects
are answered, not obeyed"), but it is not listed there; either document it or
call the length function first, as Pympler does.  (The 2**62 hang is in
test_len_overflow.py.)
"""

import pytest

from pympler import asizeof


@pytest.mark.parametrize('exc', [ValueError, OverflowError])
def test_dict_subclass_len_exception_propagates(exc):
    class D(dict):
        def __len__(self):
            raise exc('len')
    with pytest.raises(exc):
        asizeof.asizeof(D(a=1))


def test_dict_subclass_len_runtime_error_is_missed():
    class D(dict):
        def __len__(self):
            raise RuntimeError('len')
    a = asizeof.Asizer()
    assert a.asizeof([D(a=1)]) == 64
    assert a.missed == 1


def test_dict_subclass_negative_len():
    class D(dict):
        def __len__(self):
            return -1
    with pytest.raises(ValueError, match='should return >= 0'):
        asizeof.flatsize(D())
