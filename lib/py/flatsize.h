/* flatsize.h: an object's own size (sys.getsizeof semantics) and Pympler's
 * length functions. */
#ifndef PYM_FLATSIZE_H
#define PYM_FLATSIZE_H

#include "typedef.h"

/* sys.getsizeof(obj) computed without a Python call for the common builtin
 * types and with a direct call of __sizeof__ otherwise.  Returns the size,
 * or -1 with an exception set (TypeError when __sizeof__ is missing or returns
 * a non-int, ValueError when negative, OverflowError when it does not fit
 * a Py_ssize_t, whatever __sizeof__ raised).  The result is exact: up to
 * sys.maxsize plus the pre-header, as sys.getsizeof's. */
pym_wsize pym_getsizeof(PyObject *obj);
/* The same with d = the type's __sizeof__ as _PyType_Lookup finds it (a
 * caller that meets many objects of one type looks it up once). */
pym_wsize pym_getsizeof_via(PyObject *d, PyObject *obj);
/* True when d is a builtin __sizeof__ computed inline: no Python code runs
 * and no object is allocated for objects of its own type. */
int pym_getsizeof_is_c(PyObject *d);

/* Pympler's _Typedef.flat(obj, mask): getsizeof, or base + leng*item when
 * __sizeof__ fails with TypeError, aligned with mask (align - 1, or 0).
 * -1 with an exception on other errors. */
pym_wsize pym_flat(pym_typedef *td, PyObject *obj, Py_ssize_t mask);

/* The typedef's length function applied to obj (Pympler's leng functions).
 * Returns 0 and sets *n, or sets *has = 0 when the typedef has no length
 * function; -1 with an exception on error. */
int pym_leng_raw(const pym_typedef *td, PyObject *obj, Py_ssize_t *n, int *has);

/* Pympler's leng(obj): the length function's result, divided by obj.itemsize
 * for types whose item size varies (array.array, numpy).  Same returns as
 * pym_leng_raw. */
int pym_leng_of(const pym_typedef *td, PyObject *obj, Py_ssize_t *n, int *has);

/* Pympler's _len(obj): len(obj), 0 on TypeError. -1 with exception else. */
Py_ssize_t pym_safe_len(PyObject *obj);

/* The smallest power of 2 >= n (n >= 1). */
Py_ssize_t pym_power_of_2(Py_ssize_t n);

#endif
