/* pyver_311.c: the version layer (pyver.h) for CPython 3.11.
 *
 * Mirrors 3.11's Include/internal/pycore_gc.h (PyGC_Head, the generation
 * lists of struct _gc_runtime_state), pycore_object.h (_PyType_PreHeaderSize,
 * _PyObject_ValuesPointer, _PyObject_ManagedDictPointer: the two words before
 * an object with Py_TPFLAGS_MANAGED_DICT) and pycore_dict.h (PyDictValues,
 * whose insertion order is kept in prefix bytes before the values).
 */
#define Py_BUILD_CORE_MODULE 1
#include "pyver.h"

#include <stddef.h>

#if PYM_PY_MINOR == 11

/* The internal headers are not written for -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "internal/pycore_dict.h"
#include "internal/pycore_interp.h"
#include "internal/pycore_object.h"
#include "internal/pycore_pystate.h"
#pragma GCC diagnostic pop

/* ---- object sizes ----------------------------------------------------- */

/* Mirrors 3.11 pycore_object.h _PyType_PreHeaderSize. */
Py_ssize_t pym_preheader_size(PyTypeObject *tp)
{
    return (Py_ssize_t)_PyType_PreHeaderSize(tp);
}

/* Mirrors 3.11 Python/sysmodule.c _PySys_GetSizeOf. */
Py_ssize_t pym_getsizeof_extra(PyObject *obj)
{
    return (Py_ssize_t)_PyType_PreHeaderSize(Py_TYPE(obj));
}

/* Mirrors 3.11 Objects/longobject.c int___sizeof___impl. */
Py_ssize_t pym_int_sizeof(PyObject *o)
{
    Py_ssize_t n = Py_SIZE(o);
    if (n < 0)
        n = -n;
    if (n < 1)
        n = 1;
    return (Py_ssize_t)offsetof(PyLongObject, ob_digit) + n * (Py_ssize_t)sizeof(digit);
}

/* Mirrors 3.11 Objects/unicodeobject.c unicode_sizeof_impl for compact
 * strings without a wstr or separate UTF-8 copy. */
Py_ssize_t pym_str_sizeof_inline(PyObject *s)
{
    PyASCIIObject *a = (PyASCIIObject *)s;
    if (!a->state.compact || a->wstr)
        return -1;
    Py_ssize_t len = a->length;
    if (a->state.ascii)
        return (Py_ssize_t)sizeof(PyASCIIObject) + len + 1;
    PyCompactUnicodeObject *c = (PyCompactUnicodeObject *)s;
    if (c->utf8)
        return -1;
    return (Py_ssize_t)sizeof(PyCompactUnicodeObject) + (len + 1) * (Py_ssize_t)a->state.kind;
}

/* 3.11 Objects/dictobject.c _PyDict_SizeOf itself (exported). */
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

/* Mirrors 3.11 Objects/dictobject.c shared_keys_usable_size. */
static Py_ssize_t shared_keys_usable_size(PyDictKeysObject *keys)
{
    return keys->dk_nentries + keys->dk_usable;
}

/* Mirrors 3.11 Objects/object.c _PyObject_GetDictPtr without its side
 * effect: a managed dict is the word before the values pointer; values
 * non-NULL means the dict has not been made. */
int pym_instance_dict(PyObject *obj, PyObject **dict)
{
    PyTypeObject *tp = Py_TYPE(obj);
    *dict = NULL;
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        PyDictValues *values = *_PyObject_ValuesPointer(obj);
        PyObject *d = *_PyObject_ManagedDictPointer(obj);
        if (!values && d) {
            *dict = Py_NewRef(d);
            return 1;
        }
        return 2;
    }
    if (tp->tp_dictoffset == 0)
        return 0;
    PyObject **dp = _PyObject_GetDictPtr(obj);
    if (!dp)
        return 0;
    if (*dp) {
        *dict = Py_NewRef(*dp);
        return 1;
    }
    return 2;
}

/* The dict 3.11 Objects/dictobject.c would make, sized as _PyDict_SizeOf
 * does: make_dict_from_instance_attributes() (a split dict over the type's
 * shared keys, which it does not own) for inline values;
 * PyObject_GenericGetDict's new_dict_with_shared_keys() or PyDict_New()
 * otherwise. */
Py_ssize_t pym_virtual_dict_size(PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    PyDictKeysObject *keys = cached_keys(tp);
    Py_ssize_t size = (Py_ssize_t)(PyDict_Type.tp_basicsize + _PyType_PreHeaderSize(&PyDict_Type));
    if (tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) {
        if (*_PyObject_ValuesPointer(obj) && keys)
            size += shared_keys_usable_size(keys) * (Py_ssize_t)sizeof(PyObject *);
        return size;
    }
    if (keys)
        size += shared_keys_usable_size(keys) * (Py_ssize_t)sizeof(PyObject *);
    return size;
}

static PyDictValues *inline_values(PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    if (!(tp->tp_flags & Py_TPFLAGS_MANAGED_DICT) || !cached_keys(tp))
        return NULL;
    return *_PyObject_ValuesPointer(obj);
}

/* Mirrors 3.11 Objects/dictobject.c dictiter_iternextkey over a split
 * table: the prefix byte before the values, [-2], counts the entries, and
 * [-3 - i] is the i-th index in insertion order (_PyDictValues_AddToInsertionOrder). */
int pym_virtual_dict_next(PyObject *obj, Py_ssize_t *pos, PyObject **key, PyObject **value)
{
    PyDictValues *values = inline_values(obj);
    if (!values)
        return 0;
    PyDictKeysObject *keys = cached_keys(Py_TYPE(obj));
    const uint8_t *prefix = (const uint8_t *)values;
    Py_ssize_t n = prefix[-2];
    Py_ssize_t usable = shared_keys_usable_size(keys);
    while (*pos < n) {
        Py_ssize_t ix = prefix[-3 - *pos];
        (*pos)++;
        if (ix >= usable || ix >= keys->dk_nentries)
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
    return values ? ((const uint8_t *)values)[-2] : -1;
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

#endif /* PYM_PY_MINOR == 11 */
