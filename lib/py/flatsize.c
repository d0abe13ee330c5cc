/* flatsize.c: sys.getsizeof without the Python call, and Pympler's _len_xxx.
 *
 * sys.getsizeof(o) is o.__sizeof__() plus the bytes CPython keeps before the
 * object.  For the builtin __sizeof__ implementations of the types that fill
 * real heaps (int, str, list, tuple, set, object) we compute the same number
 * from the object itself (int, str and dict through the version layer,
 * pyver.h); any other builtin __sizeof__ is called directly through its C
 * function; Python-level __sizeof__ methods are called as
 * CPython does.  tests/python/test_flatsize.py checks every fast path against
 * sys.getsizeof.
 */
#include "flatsize.h"

#include <stddef.h>
#include <string.h>

/* The C functions behind the builtin __sizeof__ methods we compute inline. */
static PyCFunction sizeof_object, sizeof_int, sizeof_str, sizeof_list, sizeof_set,
    sizeof_frozenset, sizeof_dict;
static int sizeof_ready;

static PyCFunction method_of(PyTypeObject *t)
{
    PyObject *d = pym_type_lookup(t, pym_str.__sizeof__);
    if (d && Py_IS_TYPE(d, &PyMethodDescr_Type))
        return ((PyMethodDescrObject *)d)->d_method->ml_meth;
    return NULL;
}

static void sizeof_init(void)
{
    sizeof_object = method_of(&PyBaseObject_Type);
    sizeof_int = method_of(&PyLong_Type);
    sizeof_str = method_of(&PyUnicode_Type);
    sizeof_list = method_of(&PyList_Type);
    sizeof_set = method_of(&PySet_Type);
    sizeof_frozenset = method_of(&PyFrozenSet_Type);
    sizeof_dict = method_of(&PyDict_Type);
    sizeof_ready = 1;
}

static inline __attribute__((always_inline)) int kind_of(PyCFunction f)
{
    if (!f)
        return PYM_SZ_NONE;
    if (f == sizeof_object)
        return PYM_SZ_OBJECT;
    if (f == sizeof_int)
        return PYM_SZ_INT;
    if (f == sizeof_str)
        return PYM_SZ_STR;
    if (f == sizeof_list)
        return PYM_SZ_LIST;
    if (f == sizeof_dict)
        return PYM_SZ_DICT;
    if (f == sizeof_set || f == sizeof_frozenset)
        return PYM_SZ_SET;
    return PYM_SZ_NONE;
}

/* The __sizeof__ result, computed inline when the method is one we know.
 * Returns -2 when the generic path must be taken. */
static Py_ssize_t known_sizeof(PyCFunction f, PyObject *obj)
{
    /* kind_of() with each kind a constant, so that the switch folds away */
    if (f == sizeof_object)
        return pym_sizeof_inline(PYM_SZ_OBJECT, obj);
    if (f == sizeof_int)
        return pym_sizeof_inline(PYM_SZ_INT, obj);
    if (f == sizeof_str)
        return pym_sizeof_inline(PYM_SZ_STR, obj);
    if (f == sizeof_list)
        return pym_sizeof_inline(PYM_SZ_LIST, obj);
    if (f == sizeof_dict)
        return pym_sizeof_inline(PYM_SZ_DICT, obj);
    if (f && (f == sizeof_set || f == sizeof_frozenset))
        return pym_sizeof_inline(PYM_SZ_SET, obj);
    return -2;
}

int pym_sizeof_kind(PyObject *d)
{
    if (!sizeof_ready)
        sizeof_init();
    if (!d || !Py_IS_TYPE(d, &PyMethodDescr_Type))
        return PYM_SZ_NONE;
    return kind_of(((PyMethodDescrObject *)d)->d_method->ml_meth);
}

/* Convert a __sizeof__ result as _PySys_GetSizeOf does. */
static Py_ssize_t sizeof_result(PyObject *res)
{
    if (!res)
        return -1;
    if (!PyLong_Check(res)) {
        Py_DECREF(res);
        PyErr_SetString(PyExc_TypeError, "an integer is required");
        return -1;
    }
    Py_ssize_t size = PyLong_AsSsize_t(res);
    Py_DECREF(res);
    if (size == -1 && PyErr_Occurred())
        return -1;
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "__sizeof__() should return >= 0");
        return -1;
    }
    return size;
}

pym_wsize pym_getsizeof(PyObject *obj)
{
    if (!sizeof_ready)
        sizeof_init();
    return pym_getsizeof_via(pym_type_lookup(Py_TYPE(obj), pym_str.__sizeof__), obj);
}

pym_wsize pym_getsizeof_via(PyObject *d, PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    Py_ssize_t size;
    if (!sizeof_ready)
        sizeof_init();
    if (d && Py_IS_TYPE(d, &PyMethodDescr_Type)) {
        PyMethodDef *ml = ((PyMethodDescrObject *)d)->d_method;
        size = known_sizeof(ml->ml_meth, obj);
        if (size == -2) {
            if ((ml->ml_flags & ~(METH_COEXIST)) == METH_NOARGS)
                size = sizeof_result(ml->ml_meth(obj, NULL));
            else
                size = sizeof_result(PyObject_CallOneArg(d, obj));
        }
    }
    else {
        PyObject *m = pym_lookup_special(obj, pym_str.__sizeof__);
        if (!m) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "Type %.100s doesn't define __sizeof__", tp->tp_name);
            return -1;
        }
        size = sizeof_result(PyObject_CallNoArgs(m));
        Py_DECREF(m);
    }
    if (size < 0)
        return -1;
    /* exact, as sys.getsizeof's size_t: sys.maxsize + the pre-header fits */
    return (pym_wsize)size + pym_getsizeof_extra(obj);
}

int pym_getsizeof_is_c(PyObject *d)
{
    return pym_sizeof_kind(d) != PYM_SZ_NONE;
}

/* ---- Pympler's length functions -------------------------------------- */

/* Lengths are estimates of item counts; a hostile __len__ may return
 * anything up to sys.maxsize, so the arithmetic on them saturates at
 * PY_SSIZE_T_MAX instead of overflowing. */
static Py_ssize_t sat_add(Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? PY_SSIZE_T_MAX : PY_SSIZE_T_MIN;
    return r;
}

static Py_ssize_t sat_mul(Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return (a < 0) != (b < 0) ? PY_SSIZE_T_MIN : PY_SSIZE_T_MAX;
    return r;
}

Py_ssize_t pym_power_of_2(Py_ssize_t n)
{
    Py_ssize_t p = 1;
    while (p < n) {
        if (p > PY_SSIZE_T_MAX / 2)
            return PY_SSIZE_T_MAX;
        p += p;
    }
    return p;
}

Py_ssize_t pym_safe_len(PyObject *obj)
{
    Py_ssize_t n = PyObject_Length(obj);
    if (n < 0 && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        return 0;
    }
    return n;
}

static Py_ssize_t attr_len(PyObject *obj, PyObject *name)
{
    PyObject *a = PyObject_GetAttr(obj, name);
    if (!a)
        return -1;
    Py_ssize_t n = pym_safe_len(a);
    Py_DECREF(a);
    return n;
}

static Py_ssize_t attr_int(PyObject *obj, PyObject *name)
{
    PyObject *a = PyObject_GetAttr(obj, name);
    if (!a)
        return -1;
    Py_ssize_t n = PyNumber_AsSsize_t(a, PyExc_OverflowError);
    Py_DECREF(a);
    return n;
}

/* _len_code(co): len(co_freevars) + co_stacksize + len(co_cellvars) + co_nlocals - 1 */
static Py_ssize_t len_code(PyObject *co)
{
    Py_ssize_t a = attr_len(co, pym_str.co_freevars), b, c, d;
    if (a < 0 || (b = attr_int(co, pym_str.co_stacksize)) == -1 ||
        (c = attr_len(co, pym_str.co_cellvars)) < 0 || (d = attr_int(co, pym_str.co_nlocals)) == -1)
        return PyErr_Occurred() ? -1 : 0;
    return sat_add(sat_add(sat_add(a, b), sat_add(c, d)), -1);
}

static int len_slice(PyObject *obj, Py_ssize_t *out)
{
    /* (stop - start + 1) // step, 0 on AttributeError/TypeError */
    PyObject *start = PyObject_GetAttr(obj, pym_str.start), *stop = NULL, *step = NULL;
    PyObject *t1 = NULL, *t2 = NULL, *one = NULL, *q = NULL;
    int rc = -1;
    if (!start || !(stop = PyObject_GetAttr(obj, pym_str.stop)) ||
        !(step = PyObject_GetAttr(obj, pym_str.step)))
        goto check;
    if (!(t1 = PyNumber_Subtract(stop, start)) || !(one = PyLong_FromLong(1)) ||
        !(t2 = PyNumber_Add(t1, one)) || !(q = PyNumber_FloorDivide(t2, step)))
        goto check;
    *out = PyNumber_AsSsize_t(q, PyExc_OverflowError);
    rc = (*out == -1 && PyErr_Occurred()) ? -1 : 0;
    goto done;
check:
    if (PyErr_ExceptionMatches(PyExc_AttributeError) || PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        *out = 0;
        rc = 0;
    }
done:
    Py_XDECREF(start);
    Py_XDECREF(stop);
    Py_XDECREF(step);
    Py_XDECREF(t1);
    Py_XDECREF(t2);
    Py_XDECREF(one);
    Py_XDECREF(q);
    return rc;
}

static Py_ssize_t len_iter(PyObject *obj)
{
    PyObject *h = pym_getattr_quiet(obj, pym_str.__length_hint__);
    if (!h) {
        if (PyErr_Occurred())
            return -1;
        return pym_safe_len(obj);
    }
    if (!PyCallable_Check(h)) {
        Py_DECREF(h);
        return pym_safe_len(obj);
    }
    PyObject *r = PyObject_CallNoArgs(h);
    Py_DECREF(h);
    if (!r)
        return -1;
    Py_ssize_t n = PyNumber_AsSsize_t(r, PyExc_OverflowError);
    Py_DECREF(r);
    return n;
}

int pym_leng_raw(const pym_typedef *td, PyObject *obj, Py_ssize_t *n, int *has)
{
    Py_ssize_t v = 0;
    *has = 1;
    switch (td->leng) {
    case PYM_LEN_NONE:
        *has = 0;
        return 0;
    case PYM_LEN_LEN:
        v = pym_safe_len(obj);
        break;
    case PYM_LEN_BYTEARRAY: {
        PyObject *r = PyObject_CallMethodNoArgs(obj, pym_str.__alloc__);
        if (!r)
            return -1;
        v = PyNumber_AsSsize_t(r, PyExc_OverflowError);
        Py_DECREF(r);
        break;
    }
    case PYM_LEN_CODE:
        v = len_code(obj);
        break;
    case PYM_LEN_DICT:
        v = PyObject_Length(obj);
        if (v >= 0)
            v = v < 6 ? 0 : pym_power_of_2(sat_add(v, 1));
        break;
    case PYM_LEN_FRAME: {
        PyObject *c = pym_getattr_quiet(obj, pym_str.f_code);
        if (!c)
            v = PyErr_Occurred() ? -1 : 0;
        else {
            v = len_code(c);
            Py_DECREF(c);
        }
        break;
    }
    case PYM_LEN_INT: {
        pym_wsize s = pym_getsizeof(obj);
        if (s < 0) {
            if (!PyErr_ExceptionMatches(PyExc_TypeError))
                return -1;
            PyErr_Clear();
            s = 0;
        }
        s -= PyLong_Type.tp_basicsize;
        v = s > 0 ? (Py_ssize_t)(s / PyLong_Type.tp_itemsize) : 0;
        break;
    }
    case PYM_LEN_ITER:
        v = len_iter(obj);
        break;
    case PYM_LEN_LIST:
        v = PyObject_Length(obj);
        if (v > 8)
            v = sat_add(v, 6 + (v >> 3));
        else if (v > 0)
            v += 4;
        break;
    case PYM_LEN_MODULE: {
        PyObject *d = PyObject_GetAttr(obj, pym_str.__dict__);
        if (!d)
            return -1;
        v = pym_safe_len(d);
        Py_DECREF(d);
        break;
    }
    case PYM_LEN_SET:
        v = PyObject_Length(obj);
        if (v > 8)
            v = pym_power_of_2(sat_add(sat_add(v, v), -2));
        else if (v > 0)
            v = 8;
        break;
    case PYM_LEN_SLICE:
        if (len_slice(obj, &v) < 0)
            return -1;
        break;
    case PYM_LEN_STRUCT: {
        PyObject *s = PyObject_GetAttr(obj, pym_str.size);
        if (!s) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError))
                return -1;
            PyErr_Clear();
            v = 0;
        }
        else {
            v = PyNumber_AsSsize_t(s, PyExc_OverflowError);
            Py_DECREF(s);
        }
        break;
    }
    case PYM_LEN_UNICODE:
        v = PyObject_Length(obj);
        if (v >= 0)
            v = sat_add(v, 1);
        break;
    case PYM_LEN_ARRAY: {
        Py_ssize_t len = PyObject_Length(obj);
        Py_ssize_t isz = len < 0 ? -1 : attr_int(obj, pym_str.itemsize);
        v = (len < 0 || isz == -1) ? -1 : sat_mul(len, isz);
        break;
    }
    case PYM_LEN_NUMPY:
        v = attr_int(obj, pym_str.nbytes);
        break;
    case PYM_LEN_NUMPY_MEMMAP: {
        Py_ssize_t nb = attr_int(obj, pym_str.nbytes);
        if (nb == -1 && PyErr_Occurred())
            return -1;
        Py_ssize_t page = 4096;
        Py_ssize_t m = (Py_ssize_t)((double)nb * pym_amapped);
        v = ((m + page - 1) / page) * page;
        break;
    }
    default:
        *has = 0;
        return 0;
    }
    if (v == -1 && PyErr_Occurred())
        return -1;
    *n = v;
    return 0;
}

/* How getsizeof is computed for one type, remembered in its typedef.  A
 * static type's __sizeof__ cannot change; a class's can, so for heap types
 * the choice is tied to the type's version tag, which CPython invalidates
 * whenever the class or one of its bases is modified. */
enum { SZ_GENERIC = 1, SZ_CFUNC };

static void resolve(pym_typedef *td, PyTypeObject *tp)
{
    if (!sizeof_ready)
        sizeof_init();
    td->sz_type = tp;
    td->sz_kind = SZ_GENERIC;
    td->sz_fn = NULL;
    td->sz_pre = pym_preheader_size(tp);
    PyObject *d = pym_type_lookup(tp, pym_str.__sizeof__); /* assigns a version tag */
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) {
        if (!(tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG)) {
            td->sz_type = NULL; /* cannot be cached: resolve every time */
            return;
        }
        td->sz_version = tp->tp_version_tag;
    }
    if (!d || !Py_IS_TYPE(d, &PyMethodDescr_Type))
        return;
    PyMethodDef *ml = ((PyMethodDescrObject *)d)->d_method;
    td->sz_fn = ml->ml_meth;
    if ((ml->ml_flags & ~(METH_COEXIST)) == METH_NOARGS)
        td->sz_kind = SZ_CFUNC;
}

/* getsizeof through the typedef's remembered method (computed inline by
 * known_sizeof when it is one of the builtins'); -1 with exception. */
static pym_wsize cached_getsizeof(pym_typedef *td, PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    if (td->sz_type != tp ||
        ((tp->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
         (!(tp->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG) || tp->tp_version_tag != td->sz_version))) {
        resolve(td, tp);
        if (!td->sz_type)
            return pym_getsizeof(obj);
    }
    Py_ssize_t s = td->sz_fn ? known_sizeof(td->sz_fn, obj) : -2;
    if (s == -2) {
        if (td->sz_kind != SZ_CFUNC)
            return pym_getsizeof(obj);
        s = sizeof_result(td->sz_fn(obj, NULL));
    }
    if (s < 0)
        return -1;
    return (pym_wsize)s + (tp == &PyType_Type ? pym_getsizeof_extra(obj) : td->sz_pre);
}

int pym_leng_of(const pym_typedef *td, PyObject *obj, Py_ssize_t *n, int *has)
{
    if (pym_leng_raw(td, obj, n, has) < 0)
        return -1;
    if (!*has || !(td->vari && td->item == 1))
        return 0;
    PyObject *i = pym_getattr_quiet(obj, pym_str.itemsize);
    if (!i)
        return PyErr_Occurred() ? -1 : 0;
    Py_ssize_t isz = PyNumber_AsSsize_t(i, PyExc_OverflowError);
    Py_DECREF(i);
    if (isz == -1 && PyErr_Occurred())
        return -1;
    if (isz > 1)
        *n /= isz;
    return 0;
}

/* Pympler's estimate base + leng(obj) * item (getsizeof's default), exact:
 * a length up to sys.maxsize times an item size fits in 128 bits. */
static int estimate(const pym_typedef *td, PyObject *obj, pym_wsize *out)
{
    pym_wsize s = td->base;
    if (td->leng && td->item > 0) {
        Py_ssize_t n = 0;
        int has;
        if (pym_leng_raw(td, obj, &n, &has) < 0)
            return -1;
        s += (pym_wsize)n * td->item;
    }
    *out = s;
    return 0;
}

pym_wsize pym_flat(pym_typedef *td, PyObject *obj, Py_ssize_t mask)
{
    /* Pympler computes the estimate before calling getsizeof, so a class's
     * __len__ runs (and may raise) even when __sizeof__ works.  The lengths of
     * builtin types have no side effects: those are computed only if needed. */
    pym_wsize est = 0;
    int have_est = 0;
    if ((Py_TYPE(obj)->tp_flags & Py_TPFLAGS_HEAPTYPE) && td->leng && td->item > 0) {
        if (estimate(td, obj, &est) < 0)
            return -1;
        have_est = 1;
    }
    pym_wsize s = cached_getsizeof(td, obj);
    if (s < 0) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError))
            return -1;
        PyErr_Clear();
        if (!have_est && estimate(td, obj, &est) < 0)
            return -1;
        s = est < 0 ? 0 : est; /* a negative length (a slice) sizes nothing */
    }
    else if (td->mapped) {
        Py_ssize_t n = 0;
        int has;
        if (pym_leng_raw(td, obj, &n, &has) < 0)
            return -1;
        s += n;
    }
    if (mask && s >= 0)
        s = (s + mask) & ~(pym_wsize)mask;
    return s;
}
