/* pyver_313.c: the version layer (pyver.h) for CPython 3.13.
 *
 * Mirrors 3.13's Include/internal/pycore_gc.h (PyGC_Head, the generation
 * lists of struct _gc_runtime_state: still generations[3] in 3.13.0),
 * pycore_object.h (_PyType_PreHeaderSize, _PyObject_ManagedDictPointer: the
 * dict pointer before the object; _PyObject_InlineValues: attribute values
 * after tp_basicsize for Py_TPFLAGS_INLINE_VALUES) and pycore_dict.h
 * (PyDictValues {capacity, size, embedded, valid, values[]}, whose insertion
 * order array follows values[capacity]).
 */
#define Py_BUILD_CORE_MODULE 1
#include "pyver.h"

#include <stddef.h>

#if PYM_PY_MINOR == 13

/* The internal headers are not written for -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "internal/pycore_dict.h"
#include "internal/pycore_interp.h"
#include "internal/pycore_object.h"
#include "internal/pycore_pystate.h"
#include "internal/pycore_setobject.h"
#pragma GCC diagnostic pop

/* ---- object sizes ----------------------------------------------------- */

/* Mirrors 3.13 pycore_object.h _PyType_PreHeaderSize (GC head, and two
 * words for Py_TPFLAGS_PREHEADER: managed dict and managed weakref). */
Py_ssize_t pym_preheader_size(PyTypeObject *tp)
{
    return (Py_ssize_t)_PyType_PreHeaderSize(tp);
}

/* Mirrors 3.13 Python/sysmodule.c _PySys_GetSizeOf: no pre-header for a
 * static type object. */
Py_ssize_t pym_getsizeof_extra(PyObject *obj)
{
    if (Py_IS_TYPE(obj, &PyType_Type) && !PyType_HasFeature((PyTypeObject *)obj, Py_TPFLAGS_HEAPTYPE))
        return 0;
    return (Py_ssize_t)_PyType_PreHeaderSize(Py_TYPE(obj));
}

/* Mirrors 3.13 Objects/longobject.c int___sizeof___impl: the digit count
 * is lv_tag >> _PyLong_NON_SIZE_BITS (cpython/longintrepr.h), at least one
 * digit is allocated. */
Py_ssize_t pym_int_sizeof(PyObject *o)
{
    Py_ssize_t n = (Py_ssize_t)(((PyLongObject *)o)->long_value.lv_tag >> _PyLong_NON_SIZE_BITS);
    if (n < 1)
        n = 1;
    return (Py_ssize_t)offsetof(PyLongObject, long_value.ob_digit) + n * (Py_ssize_t)sizeof(digit);
}

/* Mirrors 3.13 Objects/unicodeobject.c unicode_sizeof_impl for compact
 * strings without a separate UTF-8 copy. */
Py_ssize_t pym_str_sizeof_inline(PyObject *s)
{
    PyASCIIObject *a = (PyASCIIObject *)s;
    if (!a->state.compact)
        return -1;
    Py_ssize_t len = a->length;
    if (a->state.ascii)
        return (Py_ssize_t)sizeof(PyASCIIObject) + len + 1;
    PyCompactUnicodeObject *c = (PyCompactUnicodeObject *)s;
    if (c->utf8)
        return -1;
    return (Py_ssize_t)sizeof(PyCompactUnicodeObject) + (len + 1) * (Py_ssize_t)a->state.kind;
}

/* 3.13 Objects/dictobject.c _PyDict_SizeOf itself (exported). */
Py_ssize_t pym_dict_sizeof(PyObject *d)
{
    return _PyDict_SizeOf((PyDictObject *)d);
}

/* ---- managed instance dicts ------------------------------------------- */

static PyDictKeysObject *cached_keys(PyTypeObject *tp)
{
    if (!(tp->tp_flags & Py_TPFLAGS_HEAPTYPE))
        return NULL;
    return ((PyHeapTypeObject *)tp)->ht_cached_keys;
}

/* The inline values that back obj's would-be __dict__: 3.13
 * _PyObject_InlineValues for a type with Py_TPFLAGS_INLINE_VALUES (and
 * shared keys), while they are valid (Objects/dictobject.c clears `valid`
 * when the attributes move into a dict of their own); else NULL. */
static PyDictValues *inline_values(PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    if (!(tp->tp_flags & Py_TPFLAGS_INLINE_VALUES) || !(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) ||
        !cached_keys(tp))
        return NULL;
    PyDictValues *values = (PyDictValues *)((char *)obj + tp->tp_basicsize);
    return values->valid ? values : NULL;
}

/* Mirrors 3.13 Objects/object.c _PyObject_GetDictPtr without its side
 * effect (_PyObject_MaterializeManagedDict): a managed dict is the pointer
 * before the object; NULL means none has been made (the attributes may be in
 * the inline values). */
int pym_instance_dict(PyObject *obj, PyObject **dict)
{
    PyTypeObject *tp = Py_TYPE(obj);
    *dict = NULL;
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        PyDictObject *d = _PyObject_ManagedDictPointer(obj)->dict;
        if (d) {
            *dict = Py_NewRef((PyObject *)d);
            return 1;
        }
        return 2;
    }
    if (tp->tp_dictoffset == 0)
        return 0;
    PyObject **dp = _PyObject_GetDictPtr(obj); /* not managed: only computes the address */
    if (!dp)
        return 0;
    if (*dp) {
        *dict = Py_NewRef(*dp);
        return 1;
    }
    return 2;
}

/* The dict 3.13 Objects/dictobject.c would make, sized as _PyDict_SizeOf
 * does: _PyObject_MaterializeManagedDict's make_dict_from_instance_attributes
 * (a split dict over the type's shared keys, which it does not own) for valid
 * inline values; PyObject_GenericGetDict's new_dict_with_shared_keys() or
 * PyDict_New() otherwise. */
Py_ssize_t pym_virtual_dict_size(PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    PyDictKeysObject *keys = cached_keys(tp);
    Py_ssize_t size = (Py_ssize_t)(PyDict_Type.tp_basicsize + _PyType_PreHeaderSize(&PyDict_Type));
    if (keys)
        /* pycore_dict.h shared_keys_usable_size */
        size += (Py_ssize_t)shared_keys_usable_size(keys) * (Py_ssize_t)sizeof(PyObject *);
    return size;
}

/* Mirrors 3.13 Objects/dictobject.c dictiter_iternextkey over a split
 * table: values->size entries, the i-th in insertion order being
 * get_insertion_order_array(values)[i]. */
int pym_virtual_dict_next(PyObject *obj, Py_ssize_t *pos, PyObject **key, PyObject **value)
{
    PyDictValues *values = inline_values(obj);
    if (!values)
        return 0;
    PyDictKeysObject *keys = cached_keys(Py_TYPE(obj));
    const uint8_t *order = (const uint8_t *)&values->values[values->capacity];
    Py_ssize_t n = values->size;
    while (*pos < n) {
        Py_ssize_t ix = order[*pos];
        (*pos)++;
        if (ix >= values->capacity || ix >= keys->dk_nentries)
            continue;
        PyObject *v = values->values[ix];
        PyObject *k = DK_UNICODE_ENTRIES(keys)[ix].me_key;
        if (!v || !k)
            continue;
        *key = k;
        *value = v;
        return 1;
    }
    return 0;
}

Py_ssize_t pym_virtual_dict_count(PyObject *obj)
{
    PyDictValues *values = inline_values(obj);
    return values ? values->size : -1;
}

void *pym_virtual_dict_token(PyObject *obj)
{
    return inline_values(obj);
}

/* ---- private C API ----------------------------------------------------- */

int pym_set_next(PyObject *set, Py_ssize_t *pos, PyObject **key)
{
    Py_hash_t hash;
    return _PySet_NextEntry(set, pos, key, &hash);
}

#endif /* PYM_PY_MINOR == 13 */
