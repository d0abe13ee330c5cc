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
