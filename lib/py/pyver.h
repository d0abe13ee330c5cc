/* pyver.h: the per-CPython-version layer.
 *
 * Everything the engine knows about one CPython version's object layout --
 * the collector's list heads, managed dicts and inline attribute values, type
 * pre-headers, the sizes of int and str -- and the few private C names it
 * uses are declared here and implemented once per supported version:
 *
 *     lib/py/pyver_311.c   CPython 3.11
 *     lib/py/pyver_313.c   CPython 3.13
 *     lib/py/pyver_gc3.c   the collector of both (three generations of
 *                          PyGC_Head lists) and the start-up check
 *
 * Each of those files compiles to nothing for any other version, and they are
 * the only places that may include CPython's internal headers.  Supporting another
 * version is one more case below, one more pyver_3XX.c, and the version lists
 * in setup.py and the message PYM_SUPPORTED_VERSIONS.
 */
#ifndef PYM_PYVER_H
#define PYM_PYVER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

#define PYM_SUPPORTED_VERSIONS "pympler supports CPython 3.11 and 3.13"

#if defined(Py_GIL_DISABLED)
#error "pympler supports CPython 3.11 and 3.13 (not the free-threaded build)"
#elif PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#define PYM_PY_MINOR 11
#elif PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
#define PYM_PY_MINOR 13
#else
#error "pympler supports CPython 3.11 and 3.13"
#endif

/* ---- start-up --------------------------------------------------------- */

/* ImportError PYM_SUPPORTED_VERSIONS unless the running interpreter
 * (Py_Version) has the major.minor the engine was compiled for, then checks
 * the layout assumptions below against CPython's own functions.  0, or -1
 * with an exception. */
int pym_ver_init(void);

/* ImportError unless pym_is_tracked() reads the collector's head word as
 * CPython's own PyObject_GC_IsTracked() does, tracked and untracked.  0, or
 * -1 with an exception. */
int pym_gc_check_layout(void);

/* ---- the collector ---------------------------------------------------- */

/* gc.is_tracked(op) without a call.  3.11 and 3.13 (internal/pycore_gc.h,
 * PyGC_Head {_gc_next, _gc_prev}) keep the collector's head in the two words
 * right before a GC object, and _gc_next is 0 while it is untracked
 * (_PyObject_GC_IS_TRACKED).  pym_ver_init() checks this against
 * PyObject_GC_IsTracked(). */
#if PYM_PY_MINOR == 11 || PYM_PY_MINOR == 13
#define PYM_GC_HEAD_WORDS 2
#define PYM_GC_GENERATIONS3 1 /* the collector of pyver_gc3.c */
#endif

static inline int pym_is_tracked(PyObject *op)
{
    PyTypeObject *tp = Py_TYPE(op);
    if (!PyType_IS_GC(tp) || (tp->tp_is_gc && !tp->tp_is_gc(op)))
        return 0;
    return ((const uintptr_t *)op)[-PYM_GC_HEAD_WORDS] != 0;
}

/* Ask for the memory pym_is_tracked() and a refcount check read: the
 * object's first line and the collector's head word before it, which is on
 * the previous cache line for every object whose head starts a line's last
 * 16 bytes (all 64-byte pymalloc blocks: tuples of 2, small lists). */
static inline void pym_prefetch_tracked(const PyObject *op)
{
    __builtin_prefetch(op);
    __builtin_prefetch((const uintptr_t *)op - PYM_GC_HEAD_WORDS);
}

/* Call fn(op, arg) on every object the collector tracks, in the order of
 * gc.get_objects(); stops at and returns the first non-zero result.  fn must
 * not allocate Python objects the collector tracks or run Python code (that
 * could start a collection and relink the lists being walked). */
typedef int (*pym_gc_visitor)(PyObject *op, void *arg);
int pym_gc_foreach(pym_gc_visitor fn, void *arg);

/* Move a tracked object to the collector's oldest generation (nothing when
 * untracked).  For a container made of millions of existing objects (a
 * census list): in the youngest generation, every young collection would
 * walk all its items until it survived two of them.  Not during a
 * collection (the engine runs none). */
void pym_gc_make_old(PyObject *op);

/* ---- object sizes ----------------------------------------------------- */

/* Bytes CPython places before an object of type tp (GC header, managed dict
 * and weakref pointers), as sys.getsizeof adds them. */
Py_ssize_t pym_preheader_size(PyTypeObject *tp);

/* What sys.getsizeof(obj) adds to obj.__sizeof__(): the pre-header of its
 * type, except (3.13) for a static type object. */
Py_ssize_t pym_getsizeof_extra(PyObject *obj);

/* int.__sizeof__(o) for an int (or subclass) o, without a call. */
Py_ssize_t pym_int_sizeof(PyObject *o);

/* str.__sizeof__(s) for a str s whose memory is all in its one block;
 * -1 when s needs the general path (call the method). */
Py_ssize_t pym_str_sizeof_inline(PyObject *s);

/* dict.__sizeof__(d) for a dict (or subclass) d, without a call. */
Py_ssize_t pym_dict_sizeof(PyObject *d);

/* ---- instance dicts that do not exist yet ------------------------------ */

/* The instance __dict__ of obj without creating it; the caller has checked
 * that obj's type uses the standard __dict__ descriptor.
 * Returns 1 with *dict a new reference to the existing dict; 2 when obj has a
 * dict slot but no dict object yet (the attributes may live in inline values):
 * then *dict is NULL; 0 when obj has no instance dict slot the engine can read
 * directly (the caller falls back to getattr); -1 on error. */
int pym_instance_dict(PyObject *obj, PyObject **dict);

/* For pym_instance_dict() == 2: the size sys.getsizeof would report for the
 * dict that reading obj.__dict__ would create. */
Py_ssize_t pym_virtual_dict_size(PyObject *obj);

/* Iterate the attributes a would-be __dict__ holds, in its iteration order:
 * *pos starts at 0; returns 1 with borrowed key and value, 0 at the end. */
int pym_virtual_dict_next(PyObject *obj, Py_ssize_t *pos, PyObject **key, PyObject **value);

/* Number of attributes in the inline values (their insertion-order count),
 * -1 when obj has none. */
Py_ssize_t pym_virtual_dict_count(PyObject *obj);

/* Identifies the inline values backing a would-be __dict__; it changes when
 * the instance's attribute storage is reorganised (cursors check it). */
void *pym_virtual_dict_token(PyObject *obj);

/* ---- private C API the engine uses ------------------------------------- */

/* _PyType_Lookup: the MRO lookup through the type cache, no descriptor
 * call; a borrowed reference or NULL, no exception.  Declared (non-internal)
 * in cpython/object.h of 3.11 and 3.13. */
static inline PyObject *pym_type_lookup(PyTypeObject *tp, PyObject *name)
{
    return _PyType_Lookup(tp, name);
}

/* getattr(o, name) where absence is not an error: 1 with *v a new
 * reference, 0 with *v NULL when there is no such attribute, -1 with an
 * exception.  3.11: _PyObject_LookupAttr; 3.13: PyObject_GetOptionalAttr. */
static inline int pym_lookup_attr(PyObject *o, PyObject *name, PyObject **v)
{
#if PYM_PY_MINOR == 11
    return _PyObject_LookupAttr(o, name, v);
#else
    return PyObject_GetOptionalAttr(o, name, v);
#endif
}

/* The int of 16 little-endian two's complement bytes. */
static inline PyObject *pym_long_from_le16(const unsigned char bytes[16])
{
#if PYM_PY_MINOR == 11
    return _PyLong_FromByteArray(bytes, 16, 1, 1);
#else
    return PyLong_FromNativeBytes(bytes, 16, Py_ASNATIVEBYTES_LITTLE_ENDIAN);
#endif
}

/* The int v as 16 little-endian two's complement bytes; OverflowError when
 * it needs more.  0, or -1 with an exception.  3.11: _PyLong_AsByteArray;
 * 3.13: PyLong_AsNativeBytes (which returns the bytes it would need). */
static inline int pym_long_as_le16(PyObject *v, unsigned char bytes[16])
{
#if PYM_PY_MINOR == 11
    return _PyLong_AsByteArray((PyLongObject *)v, bytes, 16, 1, 1);
#else
    Py_ssize_t need = PyLong_AsNativeBytes(v, bytes, 16, Py_ASNATIVEBYTES_LITTLE_ENDIAN);
    if (need < 0)
        return -1;
    if (need > 16) {
        PyErr_SetString(PyExc_OverflowError, "int too big to convert");
        return -1;
    }
    return 0;
#endif
}

/* A str built piece by piece: CPython's _PyUnicodeWriter (cpython/
 * unicodeobject.h in 3.11 and 3.13; 3.14 makes it public as PyUnicodeWriter,
 * one more case here). */
typedef _PyUnicodeWriter pym_uwriter;
static inline void pym_uwriter_init(pym_uwriter *w) { _PyUnicodeWriter_Init(w); }
static inline int pym_uwriter_write_ascii(pym_uwriter *w, const char *s, Py_ssize_t n)
{
    return _PyUnicodeWriter_WriteASCIIString(w, s, n);
}
static inline int pym_uwriter_write_str(pym_uwriter *w, PyObject *s) { return _PyUnicodeWriter_WriteStr(w, s); }
static inline PyObject *pym_uwriter_finish(pym_uwriter *w) { return _PyUnicodeWriter_Finish(w); }
static inline void pym_uwriter_dealloc(pym_uwriter *w) { _PyUnicodeWriter_Dealloc(w); }

/* The next entry of a set or frozenset: *pos starts at 0; 1 with a borrowed
 * key, 0 at the end (_PySet_NextEntry: cpython/setobject.h in 3.11,
 * internal/pycore_setobject.h in 3.13). */
int pym_set_next(PyObject *set, Py_ssize_t *pos, PyObject **key);

/* The referent of weakref (or proxy) ref, borrowed; Py_None once it is dead.
 * Mirrors PyWeakref_GET_OBJECT (deprecated in 3.13: reads wr_object, and a
 * referent whose refcount dropped to 0 counts as dead, gh-60806). */
static inline PyObject *pym_weakref_borrow(PyObject *ref)
{
    PyObject *obj = ((PyWeakReference *)ref)->wr_object;
    return Py_REFCNT(obj) > 0 ? obj : Py_None;
}

/* The referent of weakref ref as a new reference, None once it is dead;
 * NULL with an exception when ref is not a weak reference.  3.11:
 * PyWeakref_GetObject; 3.13: PyWeakref_GetRef. */
static inline PyObject *pym_weakref_get(PyObject *ref)
{
#if PYM_PY_MINOR == 11
    PyObject *obj = PyWeakref_GetObject(ref);
    return obj ? Py_NewRef(obj) : NULL;
#else
    PyObject *obj;
    int r = PyWeakref_GetRef(ref, &obj);
    return r < 0 ? NULL : r ? obj : Py_NewRef(Py_None);
#endif
}

/* The weakref types (weakrefobject.h names them only privately). */
#define PYM_WEAKREF_REF_TYPE (&_PyWeakref_RefType)
#define PYM_WEAKREF_PROXY_TYPE (&_PyWeakref_ProxyType)
#define PYM_WEAKREF_CALLABLE_PROXY_TYPE (&_PyWeakref_CallableProxyType)

#endif
