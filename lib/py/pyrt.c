/* pyrt.c: runtime tables and attribute helpers.
 *
 * Version-independent: what depends on a CPython version's object layout is
 * in the version layer (pyver.h, pyver_3XX.c).
 */
#include "pyrt.h"

#include <stdarg.h>
#include <string.h>

pym_names pym_str;
pym_types pym_type;

static int rt_ready;
static PyObject *object_getattribute; /* object.__getattribute__ slot wrapper */
static PyObject *object_class_descr;  /* object.__class__ getset */
static getter subtype_dict_get;       /* getter of a heap class's __dict__ */

#define INTERN(field)                                                  \
    do {                                                               \
        pym_str.field = PyUnicode_InternFromString(#field);            \
        if (!pym_str.field)                                            \
            return -1;                                                 \
    } while (0)

static int intern_names(void)
{
    INTERN(__class__); INTERN(__dict__); INTERN(__doc__); INTERN(__mro__);
    INTERN(__name__); INTERN(__slots__); INTERN(__weakref__);
    INTERN(__module__); INTERN(__sizeof__); INTERN(__getattribute__);
    INTERN(__code__); INTERN(__closure__); INTERN(__len__);
    INTERN(__length_hint__); INTERN(__alloc__); INTERN(_fields);
    INTERN(cell_contents); INTERN(gi_frame); INTERN(f_locals); INTERN(f_code);
    INTERN(args); INTERN(filename); INTERN(lineno); INTERN(msg); INTERN(text);
    INTERN(mode); INTERN(name); INTERN(base); INTERN(items); INTERN(keys);
    INTERN(values); INTERN(iteritems); INTERN(iterkeys); INTERN(itervalues);
    INTERN(get); INTERN(has_key); INTERN(co_freevars); INTERN(co_stacksize);
    INTERN(co_cellvars); INTERN(co_nlocals); INTERN(size); INTERN(itemsize);
    INTERN(nbytes); INTERN(dtype); INTERN(start); INTERN(stop); INTERN(step);
    INTERN(mro); INTERN(write); INTERN(flush); INTERN(__file__); INTERN(co_name);
    INTERN(co_filename); INTERN(co_firstlineno);
    return 0;
}

/* type(getattr(module, name)) or of an expression's value, borrowed (types of
 * stdlib objects are kept alive by their modules). */
static PyTypeObject *type_from(const char *module, const char *attr, int want_type_itself)
{
    PyObject *m = PyImport_ImportModule(module);
    if (!m) {
        PyErr_Clear();
        return NULL;
    }
    PyObject *o = PyObject_GetAttrString(m, attr);
    Py_DECREF(m);
    if (!o) {
        PyErr_Clear();
        return NULL;
    }
    PyTypeObject *t = want_type_itself ? (PyTypeObject *)o : Py_TYPE(o);
    if (want_type_itself && !PyType_Check(o))
        t = NULL;
    Py_INCREF(t ? (PyObject *)t : Py_None); /* keep for the process */
    Py_DECREF(o);
    return t;
}

static PyTypeObject *type_of_eval(const char *expr)
{
    PyObject *globals = PyDict_New();
    if (!globals)
        return NULL;
    PyObject *builtins = PyEval_GetBuiltins();
    if (PyDict_SetItemString(globals, "__builtins__", builtins) < 0) {
        Py_DECREF(globals);
        return NULL;
    }
    PyObject *v = PyRun_String(expr, Py_eval_input, globals, globals);
    Py_DECREF(globals);
    if (!v) {
        PyErr_Clear();
        return NULL;
    }
    PyTypeObject *t = Py_TYPE(v);
    Py_INCREF(t);
    Py_DECREF(v);
    return t;
}

PyObject *pym_module_attr(const char *module, const char *name)
{
    PyObject *mod = PyImport_ImportModule(module);
    if (!mod)
        return NULL;
    PyObject *v = PyObject_GetAttrString(mod, name);
    Py_DECREF(mod);
    return v;
}

int pym_module_add(PyObject *m, const char *as, const char *module, const char *name)
{
    PyObject *v = name ? pym_module_attr(module, name) : PyImport_ImportModule(module);
    if (!v)
        return -1;
    int r = PyModule_AddObjectRef(m, as, v);
    Py_DECREF(v);
    return r;
}

PyObject *pym_getattr_optional(PyObject *o, const char *name)
{
    PyObject *v = PyObject_GetAttrString(o, name);
    if (!v && PyErr_ExceptionMatches(PyExc_AttributeError))
        PyErr_Clear();
    return v;
}

int pym_int_clipped(PyObject *v, const char *what, Py_ssize_t *out)
{
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what, Py_TYPE(v)->tp_name);
        return -1;
    }
    *out = PyNumber_AsSsize_t(v, NULL); /* clips; runs no Python code for an int */
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

int pym_type_ready(PyTypeObject *tp)
{
    if (PyType_Ready(tp) < 0)
        return -1;
    const char *dot = strrchr(tp->tp_name, '.');
    if ((tp->tp_flags & Py_TPFLAGS_HEAPTYPE) || !dot || PyDict_GetItemString(tp->tp_dict, "__module__"))
        return 0;
    PyObject *mod = PyUnicode_FromStringAndSize(tp->tp_name, dot - tp->tp_name);
    int r = mod ? PyDict_SetItemString(tp->tp_dict, "__module__", mod) : -1;
    Py_XDECREF(mod);
    PyType_Modified(tp);
    return r;
}

static const pym_reexport *reexport_find(const pym_reexport *table, PyObject *name)
{
    if (!PyUnicode_Check(name))
        return NULL;
    for (const pym_reexport *e = table; e->name; e++)
        if (PyUnicode_CompareWithASCIIString(name, e->name) == 0)
            return e;
    return NULL;
}

PyObject *pym_reexport_getattr(PyObject *m, PyObject *name, const pym_reexport *table)
{
    const pym_reexport *e = reexport_find(table, name);
    if (!e) {
        PyErr_Format(PyExc_AttributeError, "module '%s' has no attribute '%S'", PyModule_GetName(m), name);
        return NULL;
    }
    PyObject *v = e->attr ? pym_module_attr(e->from, e->attr) : PyImport_ImportModule(e->from);
    if (!v && PyErr_ExceptionMatches(PyExc_ImportError)) {
        PyErr_Clear();
        v = Py_NewRef(Py_None);
    }
    if (v && PyObject_SetAttr(m, name, v) < 0)
        Py_CLEAR(v);
    return v;
}

PyObject *pym_reexport_dir(PyObject *m, const pym_reexport *table)
{
    PyObject *d = PyModule_GetDict(m); /* borrowed */
    PyObject *names = d ? PyDict_Keys(d) : NULL;
    for (const pym_reexport *e = table; names && e->name; e++) {
        PyObject *n = PyUnicode_FromString(e->name);
        int has = n ? PyDict_Contains(d, n) : -1;
        if (has < 0 || (!has && PyList_Append(names, n) < 0))
            Py_CLEAR(names);
        Py_XDECREF(n);
    }
    if (names && PyList_Sort(names) < 0)
        Py_CLEAR(names);
    return names;
}

int pym_rt_init(void)
{
    if (rt_ready)
        return 0;
    if (pym_ver_init() < 0 || intern_names() < 0)
        return -1;

    pym_type.mappingproxy = &PyDictProxy_Type;
    pym_type.cell = &PyCell_Type;
    pym_type.method = &PyMethod_Type;
    pym_type.function = &PyFunction_Type;
    pym_type.builtin_function = &PyCFunction_Type;
    pym_type.code = &PyCode_Type;
    pym_type.frame = &PyFrame_Type;
    pym_type.generator = &PyGen_Type;
    pym_type.getset_descr = &PyGetSetDescr_Type;
    pym_type.member_descr = &PyMemberDescr_Type;
    pym_type.traceback = &PyTraceBack_Type;
    pym_type.ellipsis = &PyEllipsis_Type;
    pym_type.notimplemented = Py_TYPE(Py_NotImplemented);
    pym_type.nonetype = Py_TYPE(Py_None);
    pym_type.stat_result = type_of_eval("__import__('os').stat('.')");
    pym_type.statvfs_result = type_of_eval("__import__('os').statvfs('.')");
    pym_type.struct_type = type_from("struct", "Struct", 1);
    pym_type.keyed_ref = type_from("weakref", "KeyedRef", 1);
    pym_type.proxy = PYM_WEAKREF_PROXY_TYPE;
    pym_type.callable_proxy = PYM_WEAKREF_CALLABLE_PROXY_TYPE;
    pym_type.array = type_from("array", "array", 1);

    object_getattribute = pym_type_lookup(&PyBaseObject_Type, pym_str.__getattribute__);
    object_class_descr = pym_type_lookup(&PyBaseObject_Type, pym_str.__class__);
    if (!object_getattribute || !object_class_descr) {
        PyErr_SetString(PyExc_RuntimeError, "pympler: object lacks __getattribute__/__class__");
        return -1;
    }
    Py_INCREF(object_getattribute);
    Py_INCREF(object_class_descr);

    /* A throwaway heap class tells us the getter of the standard __dict__
     * descriptor every heap class has. */
    PyObject *probe = PyObject_CallFunction((PyObject *)&PyType_Type, "s()N", "_pympler_probe", PyDict_New());
    if (!probe)
        return -1;
    PyObject *d = pym_type_lookup((PyTypeObject *)probe, pym_str.__dict__);
    if (d && Py_IS_TYPE(d, &PyGetSetDescr_Type))
        subtype_dict_get = ((PyGetSetDescrObject *)d)->d_getset->get;
    Py_DECREF(probe);
    rt_ready = 1;
    return 0;
}

int pym_has_standard_getattr(PyTypeObject *tp)
{
    if (tp->tp_getattro == PyObject_GenericGetAttr)
        return 1;
    return pym_type_lookup(tp, pym_str.__getattribute__) == object_getattribute;
}

int pym_class_attr_is_standard(PyTypeObject *tp)
{
    return pym_has_standard_getattr(tp) && pym_type_lookup(tp, pym_str.__class__) == object_class_descr;
}

int pym_dict_attr_is_standard(PyTypeObject *tp)
{
    if (!subtype_dict_get || !pym_has_standard_getattr(tp))
        return 0;
    PyObject *d = pym_type_lookup(tp, pym_str.__dict__);
    return d && Py_IS_TYPE(d, &PyGetSetDescr_Type) &&
           ((PyGetSetDescrObject *)d)->d_getset->get == subtype_dict_get;
}

PyObject *pym_virtual_dict_copy(PyObject *obj)
{
    PyObject *d = PyDict_New();
    if (!d)
        return NULL;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (pym_virtual_dict_next(obj, &pos, &k, &v)) {
        if (PyDict_SetItem(d, k, v) < 0) {
            Py_DECREF(d);
            return NULL;
        }
    }
    return d;
}

/* ---- attribute and repr helpers -------------------------------------- */

int pym_err_is_ordinary(void)
{
    return PyErr_ExceptionMatches(PyExc_Exception) && !PyErr_ExceptionMatches(PyExc_MemoryError);
}

PyObject *pym_lookup_special(PyObject *obj, PyObject *name)
{
    PyObject *res = pym_type_lookup(Py_TYPE(obj), name);
    if (!res)
        return NULL;
    descrgetfunc f = Py_TYPE(res)->tp_descr_get;
    if (!f)
        return Py_NewRef(res);
    return f(res, obj, (PyObject *)Py_TYPE(obj));
}

PyObject *pym_getattr_quiet(PyObject *obj, PyObject *name)
{
    PyObject *v = PyObject_GetAttr(obj, name);
    if (!v && pym_err_is_ordinary())
        PyErr_Clear();
    return v;
}

/* ---- repr without a class's __iter__ ---------------------------------
 *
 * CPython's set repr lists a set through its type's __iter__, so the repr of
 * a set subclass whose __iter__ never ends (or yields the set forever) never
 * ends either -- nor does the repr of any list, tuple or dict that holds one.
 * pym_repr() makes the repr of the builtin containers whose type keeps the
 * builtin repr (list, tuple, dict, set, frozenset and their subclasses) from
 * their real storage, with an explicit stack, and the same text as CPython's;
 * any other object is repr()'d by its type. */

enum { RK_NONE, RK_LIST, RK_TUPLE, RK_DICT, RK_SET };

static int repr_kind(PyObject *o)
{
    reprfunc r = Py_TYPE(o)->tp_repr;
    if (PyList_Check(o))
        return r == PyList_Type.tp_repr ? RK_LIST : RK_NONE;
    if (PyTuple_Check(o))
        return r == PyTuple_Type.tp_repr ? RK_TUPLE : RK_NONE;
    if (PyDict_Check(o))
        return r == PyDict_Type.tp_repr ? RK_DICT : RK_NONE;
    if (PyAnySet_Check(o))
        return r == PySet_Type.tp_repr ? RK_SET : RK_NONE;
    return RK_NONE;
}

typedef struct {
    PyObject *obj;   /* owned */
    PyObject *items; /* owned: a set's entries (list), or NULL */
    Py_ssize_t i, pos;
    int kind, phase; /* dict: 0 next key, 1 its value */
    PyObject *val;   /* owned: dict value pending */
    const char *close;
} repr_frame;

typedef pym_uwriter repr_out;

static int out_str(repr_out *out, const char *s)
{
    return pym_uwriter_write_ascii(out, s, (Py_ssize_t)strlen(s));
}

static int out_obj(repr_out *out, PyObject *u)
{
    int r = u ? pym_uwriter_write_str(out, u) : -1;
    Py_XDECREF(u);
    return r;
}

static int out_fmt_name(repr_out *out, const char *fmt, PyObject *o)
{
    return out_obj(out, PyUnicode_FromFormat(fmt, Py_TYPE(o)->tp_name));
}

/* Open a container: its opening text, or its whole text when empty or
 * already being repr'd.  1 when a frame was pushed, 0 when done, -1. */
static int repr_open(repr_frame **st, size_t *n, size_t *cap, PyObject *o, int kind, repr_out *out)
{
    int rec = Py_ReprEnter(o);
    if (rec < 0)
        return -1;
    int exact_set = PySet_CheckExact(o);
    if (rec > 0) {
        if (kind == RK_LIST)
            return out_str(out, "[...]");
        if (kind == RK_TUPLE)
            return out_str(out, "(...)");
        if (kind == RK_DICT)
            return out_str(out, "{...}");
        return out_fmt_name(out, "%s(...)", o);
    }
    Py_ssize_t size = kind == RK_LIST ? PyList_GET_SIZE(o) : kind == RK_TUPLE ? PyTuple_GET_SIZE(o)
                    : kind == RK_DICT ? PyDict_GET_SIZE(o) : PySet_GET_SIZE(o);
    if (size == 0) {
        int r = kind == RK_LIST ? out_str(out, "[]") : kind == RK_TUPLE ? out_str(out, "()")
              : kind == RK_DICT ? out_str(out, "{}") : out_fmt_name(out, "%s()", o);
        Py_ReprLeave(o);
        return r;
    }
    if (Py_EnterRecursiveCall(" while getting the repr of an object")) {
        Py_ReprLeave(o);
        return -1;
    }
    PyObject *items = NULL;
    const char *open = "[", *close = "]";
    if (kind == RK_TUPLE) {
        open = "(";
        close = PyTuple_GET_SIZE(o) == 1 ? ",)" : ")";
    }
    else if (kind == RK_DICT) {
        open = "{";
        close = "}";
    }
    else if (kind == RK_SET) {
        close = exact_set ? "}" : "})";
        items = PyList_New(0);
        Py_ssize_t pos = 0;
        PyObject *key;
        while (items && pym_set_next(o, &pos, &key)) {
            if (PyList_Append(items, key) < 0)
                Py_CLEAR(items);
        }
    }
    int r = (kind == RK_SET && !items) ? -1
          : kind == RK_SET ? (exact_set ? out_str(out, "{") : out_fmt_name(out, "%s({", o))
          : out_str(out, open);
    if (r == 0 && *n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        repr_frame *ns = PyMem_Realloc(*st, nc * sizeof *ns);
        if (!ns) {
            PyErr_NoMemory();
            r = -1;
        }
        else {
            *st = ns;
            *cap = nc;
        }
    }
    if (r < 0) {
        Py_XDECREF(items);
        Py_LeaveRecursiveCall();
        Py_ReprLeave(o);
        return -1;
    }
    repr_frame *f = &(*st)[(*n)++];
    f->obj = Py_NewRef(o);
    f->items = items;
    f->i = f->pos = 0;
    f->kind = kind;
    f->phase = 0;
    f->val = NULL;
    f->close = close;
    return 1;
}

static void repr_close(repr_frame *f)
{
    Py_LeaveRecursiveCall();
    Py_ReprLeave(f->obj);
    Py_CLEAR(f->obj);
    Py_CLEAR(f->items);
    Py_CLEAR(f->val);
}

/* The next element of the top frame (new reference) with the separator
 * before it, or NULL at the end (no exception) or on error. */
static PyObject *repr_next(repr_frame *f, repr_out *out, int *err)
{
    *err = 0;
    PyObject *e = NULL;
    const char *sep = f->i ? ", " : "";
    if (f->kind == RK_DICT && f->phase == 1) {
        f->phase = 0;
        e = f->val;
        f->val = NULL;
        sep = ": ";
    }
    else if (f->kind == RK_LIST) {
        if (f->i < PyList_GET_SIZE(f->obj)) /* re-read: a repr may change it */
            e = Py_NewRef(PyList_GET_ITEM(f->obj, f->i));
    }
    else if (f->kind == RK_TUPLE) {
        if (f->i < PyTuple_GET_SIZE(f->obj))
            e = Py_NewRef(PyTuple_GET_ITEM(f->obj, f->i));
    }
    else if (f->kind == RK_SET) {
        if (f->i < PyList_GET_SIZE(f->items))
            e = Py_NewRef(PyList_GET_ITEM(f->items, f->i));
    }
    else {
        PyObject *k, *v;
        if (PyDict_Next(f->obj, &f->pos, &k, &v)) {
            e = Py_NewRef(k);
            f->val = Py_NewRef(v);
            f->phase = 1;
        }
    }
    if (!e)
        return NULL;
    if (!(f->kind == RK_DICT && *sep == ':'))
        f->i++; /* one more element (a dict: one more pair) */
    if (*sep && out_str(out, sep) < 0) {
        Py_DECREF(e);
        *err = 1;
        return NULL;
    }
    return e;
}

PyObject *pym_repr(PyObject *obj)
{
    int kind = repr_kind(obj);
    if (kind == RK_NONE)
        return PyObject_Repr(obj);
    repr_out w, *out = &w;
    pym_uwriter_init(out);
    out->overallocate = 1;
    repr_frame *st = NULL;
    size_t n = 0, cap = 0;
    int r = repr_open(&st, &n, &cap, obj, kind, out);
    while (r >= 0 && n > 0) {
        repr_frame *f = &st[n - 1];
        int err;
        PyObject *e = repr_next(f, out, &err);
        if (!e) {
            if (err) {
                r = -1;
                break;
            }
            r = out_str(out, f->close);
            repr_close(f);
            n--;
            continue;
        }
        int k = repr_kind(e);
        if (k != RK_NONE) {
            r = repr_open(&st, &n, &cap, e, k, out);
        }
        else {
            r = out_obj(out, PyObject_Repr(e));
        }
        Py_DECREF(e);
    }
    while (n > 0)
        repr_close(&st[--n]);
    PyMem_Free(st);
    if (r < 0) {
        pym_uwriter_dealloc(out);
        return NULL;
    }
    return pym_uwriter_finish(out);
}

PyObject *pym_str_of(PyObject *obj)
{
    if (Py_TYPE(obj)->tp_str == PyBaseObject_Type.tp_str && repr_kind(obj) != RK_NONE)
        return pym_repr(obj);
    return PyObject_Str(obj);
}

PyObject *pym_repr_clip(PyObject *obj, Py_ssize_t clip)
{
    PyObject *r = pym_repr(obj);
    if (!r) {
        if (!pym_err_is_ordinary())
            return NULL;
        PyErr_Clear();
        return PyUnicode_FromString("N/A");
    }
    if (PyUnicode_FindChar(r, '\n', 0, PyUnicode_GET_LENGTH(r), 1) >= 0) {
        PyObject *nl = PyUnicode_FromString("\n"), *esc = PyUnicode_FromString("\\n");
        PyObject *r2 = (nl && esc) ? PyUnicode_Replace(r, nl, esc, -1) : NULL;
        Py_XDECREF(nl);
        Py_XDECREF(esc);
        Py_DECREF(r);
        if (!r2)
            return NULL;
        r = r2;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(r);
    if (clip > 0 && n > clip) {
        Py_ssize_t h = clip / 2 - 2;
        if (h > 0) {
            PyObject *head = PyUnicode_Substring(r, 0, h);
            PyObject *tail = PyUnicode_Substring(r, n - h, n);
            PyObject *out = (head && tail) ? PyUnicode_FromFormat("%U....%U", head, tail) : NULL;
            Py_XDECREF(head);
            Py_XDECREF(tail);
            Py_DECREF(r);
            return out;
        }
    }
    return r;
}

PyObject *pym_name_or_repr(PyObject *obj, Py_ssize_t clip)
{
    PyObject *n = pym_getattr_quiet(obj, pym_str.__name__);
    if (n) {
        int t = PyObject_IsTrue(n);
        if (t > 0)
            return n;
        Py_DECREF(n);
        if (t < 0) {
            if (!pym_err_is_ordinary())
                return NULL;
            PyErr_Clear();
        }
    }
    else if (PyErr_Occurred()) {
        return NULL;
    }
    return pym_repr_clip(obj, clip);
}

/* ---- wide sizes ------------------------------------------------------ */

PyObject *pym_long_from_i128(pym_wsize v)
{
    if (v >= INT64_MIN && v <= INT64_MAX)
        return PyLong_FromLongLong((long long)v);
    unsigned char bytes[16];
    __extension__ unsigned __int128 u = (unsigned __int128)v;
    for (int i = 0; i < 16; i++)
        bytes[i] = (unsigned char)(u >> (8 * i));
    return pym_long_from_le16(bytes);
}

int pym_long_as_wsize(PyObject *v, pym_wsize *out)
{
    unsigned char b[16];
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError, "an int is required, not %.100s", Py_TYPE(v)->tp_name);
        return -1;
    }
    if (pym_long_as_le16(v, b) < 0)
        return -1;
    __extension__ unsigned __int128 u = 0;
    for (int i = 15; i >= 0; i--)
        u = (u << 8) | b[i];
    *out = (pym_wsize)u;
    return 0;
}

PyObject *pym_list_of(PyObject *seq)
{
    if (PyList_Check(seq))
        return PyList_GetSlice(seq, 0, PyList_GET_SIZE(seq));
    if (PyTuple_Check(seq)) {
        Py_ssize_t n = PyTuple_GET_SIZE(seq);
        PyObject *l = PyList_New(n);
        for (Py_ssize_t i = 0; l && i < n; i++)
            PyList_SET_ITEM(l, i, Py_NewRef(PyTuple_GET_ITEM(seq, i)));
        return l;
    }
    return PySequence_List(seq);
}

PyObject *pym_err_format_from_cause(PyObject *exc, const char *fmt, ...)
{
    PyObject *type, *cause, *tb;
    PyErr_Fetch(&type, &cause, &tb);
    PyErr_NormalizeException(&type, &cause, &tb);
    if (tb && cause)
        PyException_SetTraceback(cause, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    va_list va;
    va_start(va, fmt);
    PyErr_FormatV(exc, fmt, va);
    va_end(va);
    if (!cause)
        return NULL;
    PyObject *type2, *value2, *tb2;
    PyErr_Fetch(&type2, &value2, &tb2);
    PyErr_NormalizeException(&type2, &value2, &tb2);
    if (value2) {
        PyException_SetCause(value2, Py_NewRef(cause)); /* steals */
        PyException_SetContext(value2, cause);          /* steals */
    }
    else {
        Py_DECREF(cause);
    }
    PyErr_Restore(type2, value2, tb2);
    return NULL;
}
