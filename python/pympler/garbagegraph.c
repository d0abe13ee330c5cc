/* pympler.garbagegraph: GarbageGraph and the debug-garbage switches, as
 * Pympler 1.1's, in C.
 *
 * As in Pympler, GarbageGraph() leaves the collector's debug flags as it set
 * them (DEBUG_SAVEALL, or 0) and what it found in gc.garbage; with
 * restore=True it leaves the collector as it found it instead (the flags put
 * back, gc.garbage cut back: the graph holds the garbage it shows), which the
 * pympler command uses.  start_debug_garbage()/end_debug_garbage() restore
 * the flags and the enabled state they found.  See docs/refgraph.md.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "refgraph.h"
#include "module.h"
#include "summarize.h" /* pym_pp_size */

PyMODINIT_FUNC PyInit_garbagegraph(void);

/* What one import of the module keeps (its module state). */
typedef struct {
    PyTypeObject *graph_type; /* GarbageGraph, a heap subtype of ReferenceGraph */
    PyObject *gc;             /* the gc module */
    /* saved by start_debug_garbage() */
    int saved, saved_enabled;
    PyObject *saved_debug;
} garbagegraph_state;

static struct PyModuleDef module_def;

static garbagegraph_state *state_of(PyObject *m)
{
    return (garbagegraph_state *)PyModule_GetState(m);
}

static PyObject *gc_call(PyObject *gc, const char *name, PyObject *arg)
{
    return arg ? PyObject_CallMethod(gc, name, "O", arg) : PyObject_CallMethod(gc, name, NULL);
}

/* Run the collector as GarbageGraph does and return the objects to graph:
 * everything in gc.garbage afterwards (what earlier collections left there
 * too).  As Pympler's: the debug flags set to DEBUG_SAVEALL (collectable) or
 * 0 and left so, and the found objects left in gc.garbage.  With `restore`:
 * the flags put back as they were and gc.garbage cut back to what it held
 * (the graph alone then holds the garbage it shows).  New list, or NULL with
 * an exception (the flags are put back first when restoring). */
static PyObject *collect_garbage(PyObject *gc_module, int collectable, int restore)
{
    PyObject *old_debug = gc_call(gc_module, "get_debug", NULL), *garbage = NULL, *before = NULL, *objs = NULL;
    PyObject *flag = NULL, *r = NULL;
    if (!old_debug)
        return NULL;
    garbage = PyObject_GetAttrString(gc_module, "garbage");
    if (!garbage || !PyList_Check(garbage)) {
        if (garbage)
            PyErr_SetString(PyExc_TypeError, "gc.garbage is not a list");
        goto done;
    }
    if (restore && !(before = PyList_GetSlice(garbage, 0, PyList_GET_SIZE(garbage))))
        goto done;
    flag = collectable ? PyObject_GetAttrString(gc_module, "DEBUG_SAVEALL") : PyLong_FromLong(0);
    if (!flag || !(r = gc_call(gc_module, "set_debug", flag)))
        goto done;
    Py_CLEAR(r);
    r = gc_call(gc_module, "collect", NULL);
    if (restore) {
        PyObject *exc_type, *exc_value, *exc_tb;
        PyErr_Fetch(&exc_type, &exc_value, &exc_tb); /* restore the flags even on error */
        PyObject *r2 = gc_call(gc_module, "set_debug", old_debug);
        if (!r2)
            PyErr_Clear();
        Py_XDECREF(r2);
        PyErr_Restore(exc_type, exc_value, exc_tb);
    }
    if (!r)
        goto done;
    objs = PyList_GetSlice(garbage, 0, PyList_GET_SIZE(garbage));
    if (objs && restore && PyList_SetSlice(garbage, 0, PyList_GET_SIZE(garbage), before) < 0)
        Py_CLEAR(objs);
done:
    Py_XDECREF(r);
    Py_XDECREF(flag);
    Py_XDECREF(before);
    Py_XDECREF(garbage);
    Py_DECREF(old_debug);
    return objs;
}

/* ReferenceGraph, the static type GarbageGraph (of any import of this
 * module) derives from: the base of the first GarbageGraph in tp's chain. */
static void GarbageGraph_dealloc(PyObject *self);

static PyTypeObject *reference_graph_of(PyTypeObject *tp)
{
    while (tp && tp->tp_dealloc != GarbageGraph_dealloc)
        tp = tp->tp_base;
    return tp ? tp->tp_base : NULL;
}

/* A heap type's instances own a reference to it: ReferenceGraph's own
 * dealloc (a static type's) does not drop it, so this one does; and the
 * collector must see that reference. */
static void GarbageGraph_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    reference_graph_of(tp)->tp_dealloc(self);
    Py_DECREF(tp);
}

static int GarbageGraph_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    return reference_graph_of(Py_TYPE(self))->tp_traverse(self, visit, arg);
}

static int GarbageGraph_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"reduce", "collectable", "restore", NULL};
    int reduce = 0, collectable = 1, restore = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|pp$p:GarbageGraph", kwlist, &reduce, &collectable, &restore))
        return -1;
    garbagegraph_state *st = pym_type_state(Py_TYPE(self), &module_def);
    if (!st)
        return -1;
    PyObject *objs = collect_garbage(st->gc, collectable, restore);
    if (!objs)
        return -1;
    PyObject *a = Py_BuildValue("(NO)", objs, reduce ? Py_True : Py_False);
    if (!a)
        return -1;
    int r = reference_graph_of(Py_TYPE(self))->tp_init(self, a, NULL);
    Py_DECREF(a);
    return r;
}

/* '%' formatting with a tuple, written to stream */
static int write_fmt(PyObject *stream, const char *fmt, PyObject *args)
{
    if (!args)
        return -1;
    PyObject *f = PyUnicode_FromString(fmt);
    PyObject *s = f ? PyUnicode_Format(f, args) : NULL;
    Py_XDECREF(f);
    Py_DECREF(args);
    PyObject *r = s ? PyObject_CallMethod(stream, "write", "O", s) : NULL;
    Py_XDECREF(s);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static PyObject *GarbageGraph_print_stats(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"stream", NULL};
    PyObject *stream = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:print_stats", kwlist, &stream))
        return NULL;
    int t = PyObject_IsTrue(stream);
    if (t < 0)
        return NULL;
    if (!t && !(stream = PySys_GetObject("stdout"))) {
        PyErr_SetString(PyExc_RuntimeError, "lost sys.stdout");
        return NULL;
    }
    Py_INCREF(stream);
    PyObject *meta = PyObject_GetAttrString(self, "metadata"), *op = NULL, *key = NULL, *sort = NULL,
             *kw = NULL, *empty = NULL, *r = NULL, *it = NULL, *m;
    if (!meta)
        goto done;
    /* self.metadata.sort(key=lambda x: -x.size): largest first, stable */
    op = PyImport_ImportModule("operator");
    key = op ? PyObject_CallMethod(op, "attrgetter", "s", "size") : NULL;
    sort = key ? PyObject_GetAttrString(meta, "sort") : NULL;
    kw = sort ? Py_BuildValue("{sOsO}", "key", key, "reverse", Py_True) : NULL;
    empty = kw ? PyTuple_New(0) : NULL;
    r = empty ? PyObject_Call(sort, empty, kw) : NULL;
    if (!r)
        goto done;
    Py_CLEAR(r);
    if (write_fmt(stream, "%-10s %8s %-12s %-46s\n", Py_BuildValue("(ssss)", "id", "size", "type", "representation")) < 0)
        goto done;
    if (!(it = PyObject_GetIter(meta)))
        goto done;
    while ((m = PyIter_Next(it))) {
        PyObject *id = PyObject_GetAttrString(m, "id"), *size = id ? PyObject_GetAttrString(m, "size") : NULL;
        PyObject *type = size ? PyObject_GetAttrString(m, "type") : NULL;
        PyObject *str = type ? PyObject_GetAttrString(m, "str") : NULL;
        PyObject *tt = str ? pym_trunc(type, 12, 0) : NULL, *ts = tt ? pym_trunc(str, 46, 0) : NULL;
        int e = ts ? write_fmt(stream, "0x%08x %8d %-12s %-46s\n", Py_BuildValue("(OOOO)", id, size, tt, ts)) : -1;
        Py_XDECREF(id);
        Py_XDECREF(size);
        Py_XDECREF(type);
        Py_XDECREF(str);
        Py_XDECREF(tt);
        Py_XDECREF(ts);
        Py_DECREF(m);
        if (e < 0)
            goto done;
    }
    if (PyErr_Occurred())
        goto done;
    PyObject *count = PyObject_GetAttrString(self, "count");
    PyObject *cyc = count ? PyObject_GetAttrString(self, "num_in_cycles") : NULL;
    PyObject *total = cyc ? PyObject_GetAttrString(self, "total_size") : NULL;
    double tot = total ? PyFloat_AsDouble(total) : -1;
    PyObject *pp = (total && !PyErr_Occurred()) ? pym_pp_size(tot) : NULL;
    int e = pp ? write_fmt(stream, "Garbage: %8d collected objects (%s in cycles): %12s\n",
                           Py_BuildValue("(OOO)", count, cyc, pp))
               : -1;
    Py_XDECREF(count);
    Py_XDECREF(cyc);
    Py_XDECREF(total);
    Py_XDECREF(pp);
    if (e == 0)
        r = Py_NewRef(Py_None);
done:
    Py_XDECREF(it);
    Py_XDECREF(empty);
    Py_XDECREF(kw);
    Py_XDECREF(sort);
    Py_XDECREF(key);
    Py_XDECREF(op);
    Py_XDECREF(meta);
    Py_DECREF(stream);
    return r;
}

static PyMethodDef GarbageGraph_methods[] = {
    {"print_stats", (PyCFunction)(void (*)(void))GarbageGraph_print_stats, METH_VARARGS | METH_KEYWORDS,
     "print_stats(stream=None)\n\nA table of the garbage objects, largest first, and a total."},
    {NULL, NULL, 0, NULL}};

/* GC support and the layout are inherited from ReferenceGraph */
static PyType_Slot GarbageGraph_slots[] = {
    {Py_tp_doc, "GarbageGraph(reduce=False, collectable=True, *, restore=False)\n\n"
                "The reference graph of the objects in gc.garbage once the garbage collector has\n"
                "run with DEBUG_SAVEALL (collectable true) or with no debug flag (false).  As in\n"
                "Pympler, the flags stay so and the objects stay in gc.garbage; restore=True puts\n"
                "the flags back and gc.garbage back as they were (the graph then alone holds the\n"
                "garbage it shows)."},
    {Py_tp_dealloc, GarbageGraph_dealloc},
    {Py_tp_traverse, GarbageGraph_traverse},
    {Py_tp_methods, GarbageGraph_methods},
    {Py_tp_init, GarbageGraph_init},
    {0, NULL}};

static PyType_Spec GarbageGraph_spec = {
    .name = "pympler.garbagegraph.GarbageGraph",
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = GarbageGraph_slots,
};

static PyObject *start_debug_garbage(PyObject *m, PyObject *unused)
{
    (void)unused;
    garbagegraph_state *st = state_of(m);
    PyObject *dbg = gc_call(st->gc, "get_debug", NULL), *en = dbg ? gc_call(st->gc, "isenabled", NULL) : NULL;
    if (!en) {
        Py_XDECREF(dbg);
        return NULL;
    }
    Py_XSETREF(st->saved_debug, dbg);
    st->saved_enabled = PyObject_IsTrue(en);
    Py_DECREF(en);
    st->saved = 1;
    PyObject *r = gc_call(st->gc, "collect", NULL);
    if (!r)
        return NULL;
    Py_DECREF(r);
    r = gc_call(st->gc, "disable", NULL);
    if (!r)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

static PyObject *end_debug_garbage(PyObject *m, PyObject *unused)
{
    (void)unused;
    garbagegraph_state *st = state_of(m);
    PyObject *flags = st->saved ? Py_NewRef(st->saved_debug) : PyLong_FromLong(0);
    int enable = st->saved ? st->saved_enabled : 1;
    st->saved = 0;
    PyObject *r = flags ? gc_call(st->gc, "set_debug", flags) : NULL;
    Py_XDECREF(flags);
    if (!r)
        return NULL;
    Py_DECREF(r);
    r = gc_call(st->gc, enable ? "enable" : "disable", NULL);
    if (!r)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

/* What Pympler's module imports and so shows (lib/py/pyrt.h). */
static const pym_reexport reexports[] = {
    {"gc", "gc", NULL},
    {"sys", "sys", NULL},
    {"ReferenceGraph", "pympler.refgraph", "ReferenceGraph"},
    {"pp", "pympler.util.stringutils", "pp"},
    {"trunc", "pympler.util.stringutils", "trunc"},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods[] = {
    {"start_debug_garbage", start_debug_garbage, METH_NOARGS,
     "start_debug_garbage()\n\nCollect, then disable the collector (state saved for end_debug_garbage)."},
    {"end_debug_garbage", end_debug_garbage, METH_NOARGS,
     "end_debug_garbage()\n\nRestore the collector's debug flags and enabled state as start_debug_garbage found them."},
    PYM_REEXPORT_METHODS,
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    garbagegraph_state *st = state_of(m);
    if (pym_module_attach(m) < 0)
        return -1;
    if (!(st->gc = PyImport_ImportModule("gc")))
        return -1;
    PyObject *rg = PyImport_ImportModule("pympler.refgraph");
    PyObject *base = rg ? PyObject_GetAttrString(rg, "ReferenceGraph") : NULL;
    Py_XDECREF(rg);
    if (!base)
        return -1;
    /* the static type of lib/py's binding, not a lookalike put there */
    if (!PyType_Check(base) || (((PyTypeObject *)base)->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        Py_DECREF(base);
        PyErr_SetString(PyExc_ImportError, "pympler.refgraph.ReferenceGraph is not pympler's type");
        return -1;
    }
    st->graph_type = pym_module_add_type(m, &GarbageGraph_spec, (PyTypeObject *)base);
    Py_DECREF(base); /* the subtype keeps its base */
    if (!st->graph_type)
        return -1;
    PyObject *all = Py_BuildValue("[sss]", "GarbageGraph", "start_debug_garbage", "end_debug_garbage");
    if (!all || PyModule_AddObject(m, "__all__", all) < 0) {
        Py_XDECREF(all);
        return -1;
    }
    return 0;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    garbagegraph_state *st = state_of(m);
    Py_VISIT(st->graph_type);
    Py_VISIT(st->gc);
    Py_VISIT(st->saved_debug);
    return 0;
}

static int module_clear(PyObject *m)
{
    garbagegraph_state *st = state_of(m);
    Py_CLEAR(st->graph_type);
    Py_CLEAR(st->gc);
    Py_CLEAR(st->saved_debug);
    return 0;
}

static void module_free(void *m)
{
    module_clear((PyObject *)m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.garbagegraph",
    .m_doc = "Graphs of the garbage reference cycles, as Pympler's garbagegraph module, in C.",
    .m_size = sizeof(garbagegraph_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit_garbagegraph(void)
{
    return PyModuleDef_Init(&module_def);
}
