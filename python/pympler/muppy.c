/* pympler.muppy: the census of live objects, as Pympler 1.1's muppy, in C.
 *
 * get_objects() is lib/py/census.c; the rest are list helpers over it.  Sizes
 * are sys.getsizeof's, except that an object whose __sizeof__ raises or lies
 * counts with its basic size instead of stopping the whole call.
 */
#include "census.h"
#include "module.h"
#include "ptrmap.h"
#include "pyrt.h"
#include "summarize.h"
#include "walk.h"

#include <stdlib.h>

PyMODINIT_FUNC PyInit_muppy(void);

static int parse_flag(PyObject *v, int *out)
{
    if (!v)
        return 0;
    int r = PyObject_IsTrue(v);
    if (r < 0)
        return -1;
    *out = r;
    return 0;
}

/* Append the frames that called our caller (inspect.stack()[2:] of Pympler's
 * get_objects, whose own frame we do not have). */
static int append_outer_frames(PyObject *list)
{
    PyFrameObject *f = PyEval_GetFrame(); /* borrowed: our caller */
    PyFrameObject *back = f ? PyFrame_GetBack(f) : NULL;
    while (back) {
        int r = PyList_Append(list, (PyObject *)back);
        PyFrameObject *next = PyFrame_GetBack(back);
        Py_DECREF(back);
        back = next;
        if (r < 0) {
            Py_XDECREF(back);
            return -1;
        }
    }
    return 0;
}

static PyObject *get_objects(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"remove_dups", "include_frames", "untracked", NULL};
    PyObject *dups = NULL, *frames = NULL, *untracked = NULL;
    pym_census_opts opts = {.collect = 1, .remove_dups = 1};
    int include_frames = 0;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO$O:get_objects", kwlist, &dups, &frames,
                                     &untracked))
        return NULL;
    if (parse_flag(dups, &opts.remove_dups) < 0 || parse_flag(frames, &include_frames) < 0 ||
        parse_flag(untracked, &opts.untracked) < 0)
        return NULL;
    PyObject *list = pym_census_list(&opts);
    if (list && include_frames && append_outer_frames(list) < 0)
        Py_CLEAR(list);
    return list;
}

/* ---- sizes ------------------------------------------------------------------ */

/* objects as a list or tuple: itself when it is one (no copy of a census of
 * millions), else a new list; `copy`: always a new list (a snapshot that
 * Python code run meanwhile cannot change). */
static PyObject *seq_of(PyObject *objects, const char *fname, int copy)
{
    if (PyUnicode_Check(objects) || PyBytes_Check(objects)) {
        PyErr_Format(PyExc_TypeError, "%s() needs a list of objects, not %.100s", fname,
                     Py_TYPE(objects)->tp_name);
        return NULL;
    }
    PyObject *seq = copy || !(PyList_Check(objects) || PyTuple_Check(objects))
                        ? pym_list_of(objects)
                        : Py_NewRef(objects);
    if (!seq && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s() needs a list of objects, not %.100s", fname,
                     Py_TYPE(objects)->tp_name);
    }
    return seq;
}

static PyObject *get_size(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objects", NULL};
    PyObject *objects;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:get_size", kwlist, &objects))
        return NULL;
    PyObject *seq = seq_of(objects, "get_size", 0);
    if (!seq)
        return NULL;
    pym_wsize total = 0;
    /* The length is read afresh: a __sizeof__ may change the list. */
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *o = Py_NewRef(PySequence_Fast_GET_ITEM(seq, i));
        pym_wsize size = pym_sizeof_or_basic(o);
        Py_DECREF(o);
        if (size < 0) {
            Py_DECREF(seq);
            return NULL;
        }
        total += size;
    }
    Py_DECREF(seq);
    return pym_long_from_i128(total);
}

typedef struct {
    pym_wsize size;
    Py_ssize_t index;
} keyed;

static int by_size(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

static PyObject *sort_(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objects", NULL};
    PyObject *objects, *res = NULL;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:sort", kwlist, &objects))
        return NULL;
    PyObject *seq = seq_of(objects, "sort", 1);
    if (!seq)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(seq);
    keyed *k = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *k);
    if (!k) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        k[i].index = i;
        if ((k[i].size = pym_sizeof_or_basic(PyList_GET_ITEM(seq, i))) < 0)
            goto done;
    }
    qsort(k, (size_t)n, sizeof *k, by_size);
    if (!(res = PyList_New(n)))
        goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        PyList_SET_ITEM(res, i, Py_NewRef(PyList_GET_ITEM(seq, k[i].index)));
done:
    PyMem_Free(k);
    Py_DECREF(seq);
    return res;
}

static int int_arg(PyObject *v, const char *name, Py_ssize_t *out)
{
    return v ? pym_int_clipped(v, name, out) : 0;
}

static PyObject *filter_(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objects", "Type", "min", "max", NULL};
    PyObject *objects, *type = Py_None, *minv = NULL, *maxv = NULL, *res = NULL;
    Py_ssize_t lo = -1, hi = -1;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOO:filter", kwlist, &objects, &type, &minv, &maxv))
        return NULL;
    if (int_arg(minv, "min", &lo) < 0 || int_arg(maxv, "max", &hi) < 0)
        return NULL;
    if (lo > hi && hi > -1) {
        PyErr_SetString(PyExc_ValueError, "minimum must be smaller than maximum");
        return NULL;
    }
    PyObject *seq = seq_of(objects, "filter", 0);
    if (!seq || !(res = PyList_New(0)))
        goto fail;
    /* The length is read afresh: isinstance or a __sizeof__ may run Python
     * code that changes the list. */
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *o = Py_NewRef(PySequence_Fast_GET_ITEM(seq, i));
        int keep = type == Py_None ? 1 : PyObject_IsInstance(o, type);
        if (keep > 0 && (lo > -1 || hi > -1)) {
            pym_wsize s = pym_sizeof_or_basic(o);
            keep = s < 0 ? -1 : !((lo > -1 && !(s > lo)) || (hi > -1 && !(s < hi)));
        }
        if (keep > 0 && PyList_Append(res, o) < 0)
            keep = -1;
        Py_DECREF(o);
        if (keep < 0)
            goto fail;
    }
    Py_DECREF(seq);
    return res;
fail:
    Py_XDECREF(seq);
    Py_XDECREF(res);
    return NULL;
}

/* ---- referents ------------------------------------------------------------ */

/* get_referents' visitor: every referent met (each once: the walk's seen
 * set) goes to the output list, which keeps it alive to be looked into. */
static int referent_met(pym_walk *w, void *parent, pym_walk_ref *ref, Py_ssize_t depth, void *data)
{
    (void)parent;
    (void)data;
    if (depth > 0 && PyList_Append((PyObject *)w->ctx, ref->obj) < 0)
        return -1;
    return PYM_WALK_DESCEND;
}

static const pym_walk_visitor referents_visitor = {.enter = referent_met};

static PyObject *get_referents(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"object", "level", NULL};
    PyObject *obj, *levelv = NULL;
    Py_ssize_t level = 1;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:get_referents", kwlist, &obj, &levelv))
        return NULL;
    if (int_arg(levelv, "level", &level) < 0)
        return NULL;
    if (level < 0) {
        PyErr_Format(PyExc_ValueError, "level must be >= 0, not %zd", level);
        return NULL;
    }
    /* Breadth first, one level of referents per round (level 0 is level 1,
     * as in Pympler); each object once, in the order first met. */
    PyObject *out = PyList_New(0);
    pym_walk w;
    if (!out || pym_walk_init(&w, &pym_walk_gc, &referents_visitor, out) < 0) {
        Py_XDECREF(out);
        return NULL;
    }
    w.order = PYM_WALK_BFS;
    w.limit = level > 1 ? level : 1;
    if (!(w.seen = pym_seenmap_new())) {
        PyErr_NoMemory();
        Py_CLEAR(out);
    }
    else if (pym_walk_run(&w, obj) < 0) {
        Py_CLEAR(out);
    }
    pym_seenmap_free(&w.seen);
    pym_walk_fini(&w);
    return out;
}

/* ---- the rest ------------------------------------------------------------- */

static PyObject *get_diff(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"left", "right", NULL};
    PyObject *left, *right;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:get_diff", kwlist, &left, &right))
        return NULL;
    return pym_identity_diff(left, right);
}

static PyObject *remove_duplicates(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objects", NULL};
    PyObject *objects, *it, *o, *res;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:_remove_duplicates", kwlist, &objects))
        return NULL;
    pym_ptrmap *seen = pym_ptrmap_new();
    if (!seen)
        return PyErr_NoMemory();
    if (!(res = PyList_New(0)) || !(it = PyObject_GetIter(objects))) {
        Py_XDECREF(res);
        pym_ptrmap_free(&seen);
        return NULL;
    }
    while ((o = PyIter_Next(it))) {
        int r = pym_ptrmap_setdefault(seen, (uintptr_t)o, 1);
        if (r < 0)
            PyErr_NoMemory();
        if (r < 0 || (r == 1 && PyList_Append(res, o) < 0)) {
            Py_DECREF(o);
            break;
        }
        Py_DECREF(o);
    }
    Py_DECREF(it);
    pym_ptrmap_free(&seen);
    if (PyErr_Occurred())
        Py_CLEAR(res);
    return res;
}

static PyObject *ignore_object(PyObject *m, PyObject *obj)
{
    (void)m;
    return PyBool_FromLong(pym_census_ignored(obj));
}

static PyObject *is_containerobject(PyObject *m, PyObject *obj)
{
    (void)m;
    return PyBool_FromLong(PyType_HasFeature(Py_TYPE(obj), Py_TPFLAGS_HAVE_GC));
}

static PyObject *census_summary(void)
{
    pym_census_opts opts = {.collect = 1, .remove_dups = 1};
    PyObject *objs = pym_census_list(&opts);
    PyObject *s = objs ? pym_summary_call("summarize", objs, NULL) : NULL;
    Py_XDECREF(objs);
    return s;
}

static PyObject *print_summary(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    PyObject *s = census_summary();
    if (!s)
        return NULL;
    PyObject *r = pym_summary_call("print_", s, NULL);
    Py_DECREF(s);
    return r;
}

/* _get_usage(function, *args): what calling function leaves behind, as a
 * swept summary diff, or None.  As in Pympler the function runs twice and the
 * second call counts (the first may import or cache); the same measurement of
 * a no-op is subtracted. */
static PyObject *usage_once(PyObject *fn, PyObject *args)
{
    PyObject *before = census_summary(), *after = NULL, *subtract = NULL, *diff = NULL, *r;
    if (!before)
        return NULL;
    if (!(r = PyObject_Call(fn, args, NULL)))
        goto done;
    Py_DECREF(r);
    if (!(after = census_summary()))
        goto done;
    /* `before` itself (a list of rows) and its rows exist in `after`: take
     * them out. */
    if (!(subtract = pym_module_attr("pympler.summary", "_subtract")) ||
        !(r = PyObject_CallFunctionObjArgs(subtract, after, before, NULL)))
        goto done;
    Py_DECREF(r);
    PyObject *it = PyObject_GetIter(before), *row;
    if (!it)
        goto done;
    while ((row = PyIter_Next(it))) {
        r = PyObject_CallFunctionObjArgs(subtract, after, row, NULL);
        Py_DECREF(row);
        if (!r)
            break;
        Py_DECREF(r);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        goto done;
    if ((r = pym_summary_call("get_diff", before, after)) != NULL) {
        diff = pym_summary_call("_sweep", r, NULL);
        Py_DECREF(r);
    }
done:
    Py_XDECREF(subtract);
    Py_XDECREF(before);
    Py_XDECREF(after);
    return diff;
}

static PyObject *noop(PyObject *m, PyObject *args)
{
    (void)m;
    (void)args;
    Py_RETURN_NONE;
}

static PyMethodDef noop_def = {"noop", noop, METH_VARARGS, NULL};

static PyObject *get_usage(PyObject *m, PyObject *args)
{
    (void)m;
    if (PyTuple_GET_SIZE(args) < 1 || !PyCallable_Check(PyTuple_GET_ITEM(args, 0))) {
        PyErr_SetString(PyExc_TypeError, "_get_usage() needs a callable as its first argument");
        return NULL;
    }
    PyObject *fn = PyTuple_GET_ITEM(args, 0), *rest = PyTuple_GetSlice(args, 1, PyTuple_GET_SIZE(args));
    PyObject *nop = PyCFunction_New(&noop_def, NULL), *empty = PyTuple_New(0);
    PyObject *offset = NULL, *tmp = NULL, *res = NULL;
    if (!rest || !nop || !empty)
        goto done;
    for (int i = 0; i < 2; i++) {
        Py_XSETREF(offset, usage_once(nop, empty));
        if (!offset)
            goto done;
    }
    for (int i = 0; i < 2; i++) {
        Py_XSETREF(tmp, usage_once(fn, rest));
        if (!tmp)
            goto done;
    }
    PyObject *d = pym_summary_call("get_diff", offset, tmp);
    PyObject *swept = d ? pym_summary_call("_sweep", d, NULL) : NULL;
    Py_XDECREF(d);
    if (!swept)
        goto done;
    Py_ssize_t n = PyObject_Size(swept);
    if (n <= 0) { /* empty: None; -1: the error */
        Py_DECREF(swept);
        res = n == 0 ? Py_NewRef(Py_None) : NULL;
    }
    else
        res = swept;
done:
    Py_XDECREF(rest);
    Py_XDECREF(nop);
    Py_XDECREF(empty);
    Py_XDECREF(offset);
    Py_XDECREF(tmp);
    return res;
}

#define KW (METH_VARARGS | METH_KEYWORDS)
#define FN(f) ((PyCFunction)(void (*)(void))(f))
/* What Pympler's module imports and so shows (lib/py/pyrt.h). */
static const pym_reexport reexports[] = {
    {"Any", "typing", "Any"},
    {"Callable", "typing", "Callable"},
    {"Dict", "typing", "Dict"},
    {"List", "typing", "List"},
    {"Optional", "typing", "Optional"},
    {"Set", "typing", "Set"},
    {"Tuple", "typing", "Tuple"},
    {"compat", "pympler.util.compat", NULL},
    {"isframe", "inspect", "isframe"},
    {"stack", "inspect", "stack"},
    {"summary", "pympler.summary", NULL},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods[] = {
    {"get_objects", FN(get_objects), KW,
     "get_objects($module, /, remove_dups=True, include_frames=False, *, untracked=False)\n--\n\n"
     "Return a list of all known objects excluding frame objects.\n\n"
     "The collector's objects plus the untracked objects they refer to\n"
     "directly, after a gc.collect().  untracked=True (beyond Pympler) also\n"
     "lists untracked objects further down (numbers in tuples, values of small\n"
     "dicts) and the keys of string-keyed dicts."},
    {"get_size", FN(get_size), KW, "get_size($module, /, objects)\n--\n\nTotal size of all elements in objects."},
    {"get_diff", FN(get_diff), KW,
     "get_diff($module, /, left, right)\n--\n\n{'+': objects only in right, '-': objects only in left}."},
    {"sort", FN(sort_), KW, "sort($module, /, objects)\n--\n\nSort objects by size in bytes."},
    {"filter", FN(filter_), KW,
     "filter($module, /, objects, Type=None, min=-1, max=-1)\n--\n\n"
     "Filter objects by type and by size (min < size < max)."},
    {"get_referents", FN(get_referents), KW,
     "get_referents($module, /, object, level=1)\n--\n\n"
     "All referents of an object up to `level` levels of indirection, each once."},
    {"print_summary", print_summary, METH_NOARGS, "print_summary($module, /)\n--\n\nPrint a summary of all known objects."},
    {"ignore_object", ignore_object, METH_O, "ignore_object($module, obj, /)\n--\n\nTrue for frames."},
    {"_get_usage", get_usage, METH_VARARGS, "_get_usage(function, *args)\n\nWhat calling function leaves behind (experimental)."},
    {"_is_containerobject", is_containerobject, METH_O,
     "_is_containerobject($module, o, /)\n--\n\nIs the object's type a container (collector) type."},
    {"_remove_duplicates", FN(remove_duplicates), KW,
     "_remove_duplicates($module, /, objects)\n--\n\nThe objects, each once (by identity), in order."},
    PYM_REEXPORT_METHODS,
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0)
        return -1;
    if (pym_module_add(m, "gc", "gc", NULL) < 0)
        goto fail;
    if (PyModule_AddObjectRef(m, "getsizeof", PySys_GetObject("getsizeof")) < 0 ||
        PyModule_AddIntConstant(m, "_Py_TPFLAGS_HAVE_GC", Py_TPFLAGS_HAVE_GC) < 0)
        goto fail;
    return 0;
fail:
    return -1;
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.muppy",
    .m_doc = "The census of live objects, as Pympler's muppy module, in C.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit_muppy(void)
{
    return PyModuleDef_Init(&module_def);
}
