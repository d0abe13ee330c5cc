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

/* The builtin __sizeof__ implementations computed without a call (int,
 * str, list, dict, set/frozenset and object's, which tuples use):
 * pym_sizeof_kind(d) names the one the type's __sizeof__ descriptor d is
 * (PYM_SZ_NONE: another, or not a builtin), pym_sizeof_inline() computes it
 * for obj -- __sizeof__ alone, without the pre-header -- or returns -2 when
 * the general path must run (a str whose memory is not all inline, an
 * object not of the kind's type). */
enum { PYM_SZ_NONE, PYM_SZ_OBJECT, PYM_SZ_INT, PYM_SZ_STR, PYM_SZ_LIST, PYM_SZ_DICT, PYM_SZ_SET };
int pym_sizeof_kind(PyObject *d);

static inline Py_ssize_t pym_sizeof_inline(int kind, PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    switch (kind) {
    case PYM_SZ_OBJECT: {
        Py_ssize_t res = 0;
        if (tp->tp_itemsize > 0)
            res = Py_SIZE(obj) * tp->tp_itemsize;
        return res + tp->tp_basicsize;
    }
    case PYM_SZ_INT:
        return PyLong_Check(obj) ? pym_int_sizeof(obj) : -2;
    case PYM_SZ_STR: {
        Py_ssize_t r = PyUnicode_Check(obj) ? pym_str_sizeof_inline(obj) : -1;
        return r >= 0 ? r : -2;
    }
    case PYM_SZ_LIST:
        if (!PyList_Check(obj))
            return -2;
        return tp->tp_basicsize + ((PyListObject *)obj)->allocated * (Py_ssize_t)sizeof(void *);
    case PYM_SZ_DICT:
        return PyDict_Check(obj) ? pym_dict_sizeof(obj) : -2;
    case PYM_SZ_SET: {
        if (!PyAnySet_Check(obj))
            return -2;
        PySetObject *so = (PySetObject *)obj;
        Py_ssize_t res = tp->tp_basicsize;
        if (so->table != so->smalltable)
            res += (so->mask + 1) * (Py_ssize_t)sizeof(setentry);
        return res;
    }
    default:
        return -2;
    }
}

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
