/* pyrt.h: the Python runtime facts the engine relies on.
 *
 * Interned attribute names, the builtin types and functions the sizing rules
 * compare against, and (through pyver.h, the per-version layer) the object
 * layout details that let us size objects without changing them.
 * Everything here is created once by pym_rt_init() and lives for the process.
 */
#ifndef PYM_PYRT_H
#define PYM_PYRT_H

#include "pyver.h"

/* Sizes and their sums are exact pym_wsize (128 bits, wsize.h): one object's
 * may pass PY_SSIZE_T_MAX, and Pympler returns them as Python ints. */
#include "wsize.h"

/* A Python int of v.  New reference, or NULL. */
PyObject *pym_long_from_i128(pym_wsize v);
/* An int of up to 128 bits as a pym_wsize: 0, or -1 with TypeError (not an
 * int) or OverflowError. */
int pym_long_as_wsize(PyObject *v, pym_wsize *out);

/* repr(obj) and str(obj), but for a set or frozenset subclass with its own
 * __iter__ and set's repr: CPython would list the set through that __iter__
 * (which may never end); the same text is made from the set's real entries
 * (repr.c).  New reference, or NULL with an exception. */
PyObject *pym_repr(PyObject *obj);
PyObject *pym_str_of(PyObject *obj);

/* list(seq), but a list's or tuple's own items (subclasses too) are copied
 * from its storage: a class's __iter__ may never end.  New reference. */
PyObject *pym_list_of(PyObject *seq);

/* Interned strings used as attribute names. */
typedef struct {
    PyObject *__class__, *__dict__, *__doc__, *__mro__, *__name__, *__slots__,
        *__weakref__, *__module__, *__sizeof__, *__getattribute__, *__code__,
        *__closure__, *__len__, *__length_hint__, *__alloc__, *_fields,
        *cell_contents, *gi_frame, *f_locals, *f_code, *args, *filename,
        *lineno, *msg, *text, *mode, *name, *base, *items, *keys, *values,
        *iteritems, *iterkeys, *itervalues, *get, *has_key, *co_freevars,
        *co_stacksize, *co_cellvars, *co_nlocals, *size, *itemsize, *nbytes,
        *dtype, *start, *stop, *step, *mro, *write, *flush, *__file__, *co_name,
        *co_filename, *co_firstlineno;
} pym_names;

extern pym_names pym_str;

/* Borrowed references to types found at init (NULL when unavailable). */
typedef struct {
    PyTypeObject *mappingproxy, *cell, *method, *function, *builtin_function,
        *code, *frame, *generator, *getset_descr, *member_descr, *traceback,
        *ellipsis, *notimplemented, *nonetype, *stat_result, *statvfs_result,
        *struct_type, *keyed_ref, *proxy, *callable_proxy, *array;
} pym_types;

extern pym_types pym_type;

/* getattr(import(module), name).  New reference, or NULL with an exception. */
PyObject *pym_module_attr(const char *module, const char *name);
/* m.<as> = the module `module` (name NULL) or its attribute `name`.  0, or
 * -1 with an exception. */
int pym_module_add(PyObject *m, const char *as, const char *module, const char *name);

/* getattr(o, name): a new reference; NULL without an exception when o has
 * no such attribute, NULL with one for any other failure. */
PyObject *pym_getattr_optional(PyObject *o, const char *name);

/* v, an int (bool too), as a Py_ssize_t clipped to its range -- what a
 * count, depth or bound beyond it means; TypeError "<what> must be an int,
 * not T" for anything else.  0, or -1 with an exception. */
int pym_int_clipped(PyObject *v, const char *what, Py_ssize_t *out);

/* PyType_Ready for a static type, which also gives its instances the
 * __module__ that instances of Pympler's Python classes have (a static type
 * has it only as a class attribute).  0, or -1 with an exception. */
int pym_type_ready(PyTypeObject *tp);

/* A name a module shows because Pympler's module imports it: `attr` of
 * module `from`, or the module itself when attr is NULL. */
typedef struct {
    const char *name, *from, *attr;
} pym_reexport;

/* Module __getattr__ and __dir__ (PEP 562) over a table of re-exports ending
 * with {NULL}: a name is imported on first access and then kept as a module
 * attribute; an ImportError gives None, as Pympler's optional imports do.
 * Other names raise AttributeError. */
PyObject *pym_reexport_getattr(PyObject *m, PyObject *name, const pym_reexport *table);
PyObject *pym_reexport_dir(PyObject *m, const pym_reexport *table);

/* Defines reexport_getattr / reexport_dir over `table`, for the module's
 * methods: PYM_REEXPORT_METHODS. */
#define PYM_REEXPORTS(table)                                                                                       \
    static PyObject *reexport_getattr(PyObject *m, PyObject *name) { return pym_reexport_getattr(m, name, table); } \
    static PyObject *reexport_dir(PyObject *m, PyObject *unused)                                                     \
    {                                                                                                               \
        (void)unused;                                                                                               \
        return pym_reexport_dir(m, table);                                                                          \
    }
#define PYM_REEXPORT_METHODS                                                                                  \
    {"__getattr__", reexport_getattr, METH_O, "__getattr__(name): a name Pympler's module imports."},            \
    {                                                                                                         \
        "__dir__", reexport_dir, METH_NOARGS, "__dir__(): the module's names and the ones it re-exports."      \
    }

/* Check the running interpreter (pym_ver_init) and create the tables above;
 * idempotent.  Returns 0, or -1 with an exception. */
int pym_rt_init(void);

/* A copy of obj's would-be __dict__ (pym_virtual_dict_next) as a new,
 * detached dict (for printing). */
PyObject *pym_virtual_dict_copy(PyObject *obj);

/* True when looking up `name` on instances of tp goes through the ordinary
 * object.__getattribute__ and finds the standard descriptor that `probe` holds
 * (so the engine may read the slot directly). */
int pym_has_standard_getattr(PyTypeObject *tp);
int pym_class_attr_is_standard(PyTypeObject *tp);
int pym_dict_attr_is_standard(PyTypeObject *tp);

/* Look a special method up on the type and bind it, as CPython's
 * _PyObject_LookupSpecial does.  New reference, or NULL (with or without an
 * exception set). */
PyObject *pym_lookup_special(PyObject *obj, PyObject *name);

/* getattr(obj, name) treating "absent" generously: returns a new reference,
 * or NULL with no exception set when the attribute is missing or its lookup
 * raised an ordinary Exception (hostile objects); NULL with an exception set
 * only for errors that must propagate (MemoryError, KeyboardInterrupt...). */
PyObject *pym_getattr_quiet(PyObject *obj, PyObject *name);

/* repr(obj) with os.linesep replaced by "\\n", clipped like Pympler's _repr:
 * longer than clip (> 0) keeps clip//2-2 chars each side around '....'.
 * 'N/A' when repr raises.  New reference or NULL on a fatal error. */
PyObject *pym_repr_clip(PyObject *obj, Py_ssize_t clip);

/* Pympler's _nameof(obj) or repr: obj.__name__ when truthy, else
 * pym_repr_clip(obj, clip). */
PyObject *pym_name_or_repr(PyObject *obj, Py_ssize_t clip);

/* True if the raised exception is an ordinary Exception (not
 * KeyboardInterrupt/SystemExit/MemoryError), which hostile objects may raise
 * and the engine may swallow. */
int pym_err_is_ordinary(void);

/* Raise exc(fmt % ...) from the exception being raised, which becomes its
 * __cause__ and __context__ (what CPython's private _PyErr_FormatFromCause
 * does).  Always returns NULL. */
PyObject *pym_err_format_from_cause(PyObject *exc, const char *fmt, ...);

#endif
