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

/* ---- start-up --------------------------------------------------------- */

/* pym_is_tracked()'s reading of the head word, against CPython's own
 * answer, with the object tracked and untracked. */
static int check_gc_layout(void)
{
    PyObject *probe = PyList_New(0);
    if (!probe)
        return -1;
    int ok = PyObject_GC_IsTracked(probe) && pym_is_tracked(probe);
    PyObject_GC_UnTrack(probe);
    ok = ok && !PyObject_GC_IsTracked(probe) && !pym_is_tracked(probe);
    PyObject_GC_Track(probe);
    Py_DECREF(probe);
    if (!ok) {
        PyErr_SetString(PyExc_ImportError, "pympler: unexpected garbage collector layout");
        return -1;
    }
    return 0;
}

int pym_ver_init(void)
{
    if ((Py_Version >> 16) != (PY_VERSION_HEX >> 16)) {
        PyErr_Format(PyExc_ImportError, "%s: this build is for CPython 3.11, not %lu.%lu",
                     PYM_SUPPORTED_VERSIONS, (Py_Version >> 24) & 0xff, (Py_Version >> 16) & 0xff);
        return -1;
    }
    return check_gc_layout();
}

/* ---- the collector ---------------------------------------------------- */

/* Ask for the memory a visitor will read from op soon: its header, and the
 * item array of a list (what its tp_traverse walks). */
static inline void prefetch_object(PyObject *op)
{
    if (Py_IS_TYPE(op, &PyList_Type))
        __builtin_prefetch(((PyListObject *)op)->ob_item);
}

/* Mirrors 3.11 Modules/gcmodule.c gc_get_objects_impl: generations 0..2,
 * each list from its head. */
int pym_gc_foreach(pym_gc_visitor fn, void *arg)
{
    struct _gc_runtime_state *gcstate = &_PyInterpreterState_GET()->gc;
    for (int i = 0; i < NUM_GENERATIONS; i++) {
        PyGC_Head *head = &gcstate->generations[i].head;
        /* Two cursors run ahead of the visited one.  The far one follows
         * the list (its head is read to step on) and asks for the object
         * after the head, which starts the next cache line in every 64-byte
         * block; the near one, whose object has arrived by then, asks for
         * the memory behind it. */
        PyGC_Head *near = _PyGCHead_NEXT(head), *far = near;
        for (int k = 0; k < 8 && far != head; k++)
            far = _PyGCHead_NEXT(far);
        for (PyGC_Head *g = _PyGCHead_NEXT(head); g != head; g = _PyGCHead_NEXT(g)) {
            if (far != head) {
                __builtin_prefetch(far + 1);
                far = _PyGCHead_NEXT(far);
            }
            if (near != head) {
                near = _PyGCHead_NEXT(near);
                if (near != head)
                    prefetch_object((PyObject *)(near + 1));
            }
            int r = fn((PyObject *)(g + 1), arg); /* the object follows its head */
            if (r)
                return r;
        }
    }
    return 0;
}

/* Mirrors 3.11 Modules/gcmodule.c gc_list_move: unlink, append to the
 * oldest generation's list. */
void pym_gc_make_old(PyObject *op)
{
    if (!PyObject_IS_GC(op) || !PyObject_GC_IsTracked(op))
        return;
    struct _gc_runtime_state *gcstate = &_PyInterpreterState_GET()->gc;
    PyGC_Head *g = _Py_AS_GC(op);
    PyGC_Head *prev = _PyGCHead_PREV(g), *next = _PyGCHead_NEXT(g);
    _PyGCHead_SET_NEXT(prev, next);
    _PyGCHead_SET_PREV(next, prev);
    PyGC_Head *head = &gcstate->generations[NUM_GENERATIONS - 1].head;
    PyGC_Head *last = _PyGCHead_PREV(head);
    _PyGCHead_SET_NEXT(last, g);
    _PyGCHead_SET_PREV(g, last);
    _PyGCHead_SET_NEXT(g, head);
    _PyGCHead_SET_PREV(head, g);
}

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
