/* pympler.tracker: SummaryTracker and ObjectTracker, as Pympler 1.1's, in C.
 *
 * Both keep their state in the instance __dict__ under Pympler's attribute
 * names (s0, s1, summaries, ignore_self; o0, o1), so code that reads them
 * keeps working.  What differs is how a tracker leaves itself out: Pympler
 * counts referrers with gc.get_referrers (a heap scan per object, and the
 * first diff still shows the tracker's summaries); here the census is told
 * which lists are the tracker's own and skips them and everything only they
 * lead to, so two diffs with nothing happening in between are empty.
 */
#include "census.h"
#include "module.h"
#include "dictobj.h"
#include "ptrmap.h"
#include "pyrt.h"
#include "report.h"
#include "summarize.h"

#include <stddef.h>

PyMODINIT_FUNC PyInit_tracker(void);

/* self.name(*args) without a bound method object (it would show up in the
 * census the call takes). */
static PyObject *call_method(PyObject *self, const char *name, PyObject *arg1, PyObject *arg2)
{
    PyObject *n = PyUnicode_InternFromString(name);
    if (!n)
        return NULL;
    PyObject *args[3] = {self, arg1, arg2};
    size_t nargs = 1 + (arg1 != NULL) + (arg2 != NULL);
    PyObject *r = PyObject_VectorcallMethod(n, args, nargs, NULL);
    Py_DECREF(n);
    return r;
}

static int exclude_add(pym_ptrmap *ex, PyObject *o)
{
    if (pym_ptrmap_set(ex, (uintptr_t)o, 1) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* A summary (a list of row lists): the list and its rows. */
static int exclude_summary(pym_ptrmap *ex, PyObject *s)
{
    if (!s || !PyList_Check(s))
        return 0;
    if (exclude_add(ex, s) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(s); i++) {
        PyObject *row = PyList_GET_ITEM(s, i);
        if (PyList_Check(row) && exclude_add(ex, row) < 0)
            return -1;
    }
    return 0;
}

/* ---- SummaryTracker -------------------------------------------------------- */

static PyObject *create_summary(PyObject *self, int collect)
{
    pym_census_opts opts = {.collect = collect, .remove_dups = 1};
    pym_ptrmap *ex = NULL;
    PyObject *objs = NULL, *res = NULL, *v = NULL;
    PyObject *flag = pym_getattr_optional(self, "ignore_self");
    if (PyErr_Occurred())
        return NULL;
    int ignore = flag ? PyObject_IsTrue(flag) : 1;
    Py_XDECREF(flag);
    if (ignore < 0)
        return NULL;
    /* untracked=True (set only then, so that vars() is Pympler's otherwise) */
    flag = pym_getattr_optional(self, "untracked");
    opts.untracked = flag ? PyObject_IsTrue(flag) : 0;
    Py_XDECREF(flag);
    if (opts.untracked < 0 || PyErr_Occurred())
        return NULL;
    if (ignore) {
        if (!(ex = pym_ptrmap_new()))
            return PyErr_NoMemory();
        static const char *const own[] = {"s0", "s1"};
        for (int i = 0; i < 2; i++) {
            v = pym_getattr_optional(self, own[i]);
            if (PyErr_Occurred() || exclude_summary(ex, v) < 0)
                goto done;
            Py_CLEAR(v);
        }
        v = pym_getattr_optional(self, "summaries");
        if (PyErr_Occurred())
            goto done;
        if (v && PyDict_Check(v)) {
            Py_ssize_t pos = 0;
            PyObject *key, *s;
            if (exclude_add(ex, v) < 0)
                goto done;
            while (PyDict_Next(v, &pos, &key, &s))
                if (exclude_summary(ex, s) < 0)
                    goto done;
        }
        Py_CLEAR(v);
        opts.exclude = ex;
    }
    if ((objs = pym_census_list(&opts)))
        res = pym_summary_call("summarize", objs, NULL);
done:
    Py_XDECREF(v);
    Py_XDECREF(objs);
    pym_ptrmap_free(&ex);
    return res;
}

static PyObject *ST_create_summary(PyObject *self, PyObject *unused)
{
    (void)unused;
    return create_summary(self, 1);
}

static int ST_init(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"ignore_self", "untracked", NULL};
    PyObject *ignore = Py_True;
    int untracked = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O$p:SummaryTracker", kwlist, &ignore, &untracked))
        return -1;
    if (untracked && PyObject_SetAttrString(self, "untracked", Py_True) < 0)
        return -1;
    /* The dict and the flag first, so the first census already sees the
     * tracker as the later ones do. */
    PyObject *summaries = PyDict_New();
    if (!summaries)
        return -1;
    int r = PyObject_SetAttrString(self, "summaries", summaries);
    Py_DECREF(summaries);
    if (r < 0 || PyObject_SetAttrString(self, "ignore_self", ignore) < 0)
        return -1;
    /* The first summary collects until no garbage is left: objects the
     * collector finalizes (startup leftovers, say) are freed by the next
     * collection, and would otherwise show as gone in the first diff. */
    PyObject *s0 = create_summary(self, 2);
    if (!s0)
        return -1;
    r = PyObject_SetAttrString(self, "s0", s0);
    Py_DECREF(s0);
    return r;
}

static PyObject *ST_diff_impl(PyObject *self, PyObject *s1, PyObject *s2)
{
    PyObject *res = NULL;
    if (s2 == Py_None) {
        PyObject *now = call_method(self, "create_summary", NULL, NULL);
        if (!now || PyObject_SetAttrString(self, "s1", now) < 0) {
            Py_XDECREF(now);
            return NULL;
        }
        PyObject *base = s1 == Py_None ? PyObject_GetAttrString(self, "s0") : Py_NewRef(s1);
        if (base)
            res = pym_summary_call("get_diff", base, now);
        Py_XDECREF(base);
        if (res && PyObject_SetAttrString(self, "s0", now) < 0)
            Py_CLEAR(res);
        Py_DECREF(now);
    }
    else if (s1 != Py_None)
        res = pym_summary_call("get_diff", s1, s2);
    else {
        PyErr_SetString(PyExc_ValueError, "You cannot provide summary2 without summary1.");
        return NULL;
    }
    if (!res)
        return NULL;
    PyObject *swept = pym_summary_call("_sweep", res, NULL);
    Py_DECREF(res);
    return swept;
}

static int parse_two(PyObject *args, PyObject *kw, const char *fname, PyObject **s1, PyObject **s2)
{
    static char *kwlist[] = {"summary1", "summary2", NULL};
    char fmt[48];
    PyOS_snprintf(fmt, sizeof fmt, "|OO:%s", fname);
    *s1 = *s2 = Py_None;
    return PyArg_ParseTupleAndKeywords(args, kw, fmt, kwlist, s1, s2) ? 0 : -1;
}

static PyObject *ST_diff(PyObject *self, PyObject *args, PyObject *kw)
{
    PyObject *s1, *s2;
    if (parse_two(args, kw, "diff", &s1, &s2) < 0)
        return NULL;
    return ST_diff_impl(self, s1, s2);
}

/* self.diff(s1, s2), as Pympler calls it (a subclass may override diff). */
static PyObject *call_diff(PyObject *self, PyObject *s1, PyObject *s2)
{
    return call_method(self, "diff", s1, s2);
}

static PyObject *ST_print_diff(PyObject *self, PyObject *args, PyObject *kw)
{
    PyObject *s1, *s2;
    if (parse_two(args, kw, "print_diff", &s1, &s2) < 0)
        return NULL;
    PyObject *d = call_diff(self, s1, s2);
    if (!d)
        return NULL;
    PyObject *r = pym_summary_call("print_", d, NULL);
    Py_DECREF(d);
    return r;
}

static PyObject *ST_format_diff(PyObject *self, PyObject *args, PyObject *kw)
{
    PyObject *s1, *s2;
    if (parse_two(args, kw, "format_diff", &s1, &s2) < 0)
        return NULL;
    PyObject *d = call_diff(self, s1, s2);
    if (!d)
        return NULL;
    PyObject *r = pym_summary_call("format_", d, NULL);
    Py_DECREF(d);
    return r;
}

static PyObject *ST_store_summary(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"key", NULL};
    PyObject *key;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:store_summary", kwlist, &key))
        return NULL;
    PyObject *s = call_method(self, "create_summary", NULL, NULL);
    if (!s)
        return NULL;
    PyObject *summaries = PyObject_GetAttrString(self, "summaries");
    int r = summaries ? PyObject_SetItem(summaries, key, s) : -1;
    Py_XDECREF(summaries);
    Py_DECREF(s);
    if (r < 0)
        return NULL;
    Py_RETURN_NONE;
}

#define KW (METH_VARARGS | METH_KEYWORDS)
#define FN(f) ((PyCFunction)(void (*)(void))(f))
static PyMethodDef ST_methods[] = {
    {"create_summary", ST_create_summary, METH_NOARGS,
     "create_summary($self, /)\n--\n\nReturn a summary of all live objects.\n\n"
     "With ignore_self, the tracker's own summaries are left out."},
    {"diff", FN(ST_diff), KW,
     "diff($self, /, summary1=None, summary2=None)\n--\n\n"
     "Diff between two summaries; with none given, between the last summary and now."},
    {"print_diff", FN(ST_print_diff), KW,
     "print_diff($self, /, summary1=None, summary2=None)\n--\n\nCompute the diff and print it."},
    {"format_diff", FN(ST_format_diff), KW,
     "format_diff($self, /, summary1=None, summary2=None)\n--\n\n"
     "Compute the diff and return its table lines (an iterator)."},
    {"store_summary", FN(ST_store_summary), KW,
     "store_summary($self, /, key)\n--\n\nStore a current summary in self.summaries."},
    PYM_DICTOBJ_REDUCE_EX,
    {NULL, NULL, 0, NULL}};

static PyTypeObject SummaryTracker_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pympler.tracker.SummaryTracker",
    PYM_DICTOBJ_FIELDS,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "SummaryTracker(ignore_self=True, *, untracked=False)\n--\n\n"
              "Track changes between summaries of all live objects.\n\n"
              "A first summary is taken on creation; every diff() takes a new one and\n"
              "compares it with the previous one.",
    .tp_methods = ST_methods,
    .tp_init = ST_init,
};

/* ---- ObjectTracker --------------------------------------------------------- */

static PyObject *OT_get_objects_impl(PyObject *self, PyObject *ignore)
{
    if (!PyTuple_Check(ignore) && !PyList_Check(ignore)) {
        PyErr_Format(PyExc_TypeError, "ignore must be a tuple of objects, not %.100s",
                     Py_TYPE(ignore)->tp_name);
        return NULL;
    }
    pym_ptrmap *ex = pym_ptrmap_new();
    PyObject *res = NULL, *seq = NULL;
    if (!ex)
        return PyErr_NoMemory();
    if (exclude_add(ex, self) < 0 || !(seq = PySequence_Fast(ignore, "ignore")))
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++)
        if (exclude_add(ex, PySequence_Fast_GET_ITEM(seq, i)) < 0)
            goto done;
    static const char *const own[] = {"o0", "o1"};
    for (int i = 0; i < 2; i++) {
        PyObject *v = pym_getattr_optional(self, own[i]);
        if (PyErr_Occurred())
            goto done;
        int r = v ? exclude_add(ex, v) : 0;
        Py_XDECREF(v);
        if (r < 0)
            goto done;
    }
    /* Pympler's ObjectTracker lists frames and does not collect first. */
    pym_census_opts opts = {.remove_dups = 1, .keep_frames = 1, .exclude = ex};
    res = pym_census_list(&opts);
done:
    Py_XDECREF(seq);
    pym_ptrmap_free(&ex);
    return res;
}

static int parse_ignore(PyObject *args, PyObject *kw, const char *fname, PyObject **ignore)
{
    static char *kwlist[] = {"ignore", NULL};
    char fmt[48];
    PyOS_snprintf(fmt, sizeof fmt, "|O:%s", fname);
    *ignore = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kwlist, ignore))
        return -1;
    *ignore = *ignore ? Py_NewRef(*ignore) : PyTuple_New(0);
    return *ignore ? 0 : -1;
}

static PyObject *OT_get_objects(PyObject *self, PyObject *args, PyObject *kw)
{
    PyObject *ignore;
    if (parse_ignore(args, kw, "_get_objects", &ignore) < 0)
        return NULL;
    PyObject *r = OT_get_objects_impl(self, ignore);
    Py_DECREF(ignore);
    return r;
}

static int OT_init(PyObject *self, PyObject *args, PyObject *kw)
{
    if (!PyArg_ParseTupleAndKeywords(args, kw, ":ObjectTracker", (char *[]){NULL}))
        return -1;
    PyObject *objs = call_method(self, "_get_objects", NULL, NULL);
    if (!objs)
        return -1;
    int r = PyObject_SetAttrString(self, "o0", objs);
    Py_DECREF(objs);
    return r;
}

static PyObject *OT_get_diff_impl(PyObject *self, PyObject *ignore)
{
    PyObject *o1 = call_method(self, "_get_objects", ignore, NULL);
    if (!o1 || PyObject_SetAttrString(self, "o1", o1) < 0) {
        Py_XDECREF(o1);
        return NULL;
    }
    PyObject *o0 = PyObject_GetAttrString(self, "o0");
    PyObject *diff = o0 ? pym_identity_diff(o0, o1) : NULL;
    Py_XDECREF(o0);
    if (diff && PyObject_SetAttrString(self, "o0", o1) < 0)
        Py_CLEAR(diff);
    Py_DECREF(o1);
    return diff;
}

static PyObject *OT_get_diff(PyObject *self, PyObject *args, PyObject *kw)
{
    PyObject *ignore;
    if (parse_ignore(args, kw, "get_diff", &ignore) < 0)
        return NULL;
    PyObject *r = OT_get_diff_impl(self, ignore);
    Py_DECREF(ignore);
    return r;
}

/* ['Added objects:', table..., 'Removed objects:', table...] */
static PyObject *OT_format_impl(PyObject *self, PyObject *ignore)
{
    PyObject *diff = call_method(self, "get_diff", ignore, NULL);
    PyObject *lines = diff ? PyList_New(0) : NULL;
    if (!lines)
        goto fail;
    static const char *const parts[][2] = {{"Added objects:", "+"}, {"Removed objects:", "-"}};
    for (int i = 0; i < 2; i++) {
        PyObject *title = PyUnicode_FromString(parts[i][0]);
        int r = title ? PyList_Append(lines, title) : -1;
        Py_XDECREF(title);
        if (r < 0)
            goto fail;
        PyObject *objs = PyMapping_GetItemString(diff, parts[i][1]);
        PyObject *s = objs ? pym_summary_call("summarize", objs, NULL) : NULL;
        Py_XDECREF(objs);
        PyObject *table = s ? pym_summary_call("format_", s, NULL) : NULL;
        Py_XDECREF(s);
        if (!table)
            goto fail;
        PyObject *it = PyObject_GetIter(table), *line;
        Py_DECREF(table);
        if (!it)
            goto fail;
        while ((line = PyIter_Next(it))) {
            r = PyList_Append(lines, line);
            Py_DECREF(line);
            if (r < 0)
                break;
        }
        Py_DECREF(it);
        if (PyErr_Occurred())
            goto fail;
    }
    Py_DECREF(diff);
    return lines;
fail:
    Py_XDECREF(diff);
    Py_XDECREF(lines);
    return NULL;
}

static PyObject *OT_format_diff(PyObject *self, PyObject *args, PyObject *kw)
{
    PyObject *ignore;
    if (parse_ignore(args, kw, "format_diff", &ignore) < 0)
        return NULL;
    PyObject *r = OT_format_impl(self, ignore);
    Py_DECREF(ignore);
    return r;
}

static PyObject *OT_print_diff(PyObject *self, PyObject *args, PyObject *kw)
{
    PyObject *ignore;
    if (parse_ignore(args, kw, "print_diff", &ignore) < 0)
        return NULL;
    PyObject *lines = call_method(self, "format_diff", ignore, NULL);
    Py_DECREF(ignore);
    if (!lines)
        return NULL;
    int rc = pym_print_lines(lines);
    Py_DECREF(lines);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef OT_methods[] = {
    {"_get_objects", FN(OT_get_objects), KW,
     "_get_objects($self, /, ignore=())\n--\n\nAll current objects but the tracker's own and `ignore`."},
    {"get_diff", FN(OT_get_diff), KW,
     "get_diff($self, /, ignore=())\n--\n\n{'+': new objects, '-': gone objects} since the last call."},
    {"print_diff", FN(OT_print_diff), KW,
     "print_diff($self, /, ignore=())\n--\n\nPrint the diff since the last call."},
    {"format_diff", FN(OT_format_diff), KW,
     "format_diff($self, /, ignore=())\n--\n\nThe diff since the last call as a list of lines."},
    PYM_DICTOBJ_REDUCE_EX,
    {NULL, NULL, 0, NULL}};

static PyTypeObject ObjectTracker_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pympler.tracker.ObjectTracker",
    PYM_DICTOBJ_FIELDS,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "ObjectTracker()\n--\n\n"
              "Track which objects appear and disappear between two points.\n\n"
              "Holds a strong reference to every object of the last snapshot.",
    .tp_methods = OT_methods,
    .tp_init = OT_init,
};

/* What Pympler's module imports and so shows (lib/py/pyrt.h). */
static const pym_reexport reexports[] = {
    {"compat", "pympler.util.compat", NULL},
    {"inspect", "inspect", NULL},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods[] = {PYM_REEXPORT_METHODS, {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0)
        return -1;
    if (pym_dictobj_ready(&SummaryTracker_Type) < 0 || pym_dictobj_ready(&ObjectTracker_Type) < 0)
        return -1;
    if (pym_module_add(m, "gc", "gc", NULL) < 0 || pym_module_add(m, "muppy", "pympler.muppy", NULL) < 0 ||
        pym_module_add(m, "summary", "pympler.summary", NULL) < 0)
        goto fail;
    if (PyModule_AddObjectRef(m, "SummaryTracker", (PyObject *)&SummaryTracker_Type) < 0 ||
        PyModule_AddObjectRef(m, "ObjectTracker", (PyObject *)&ObjectTracker_Type) < 0)
        goto fail;
    return 0;
fail:
    return -1;
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.tracker",
    .m_doc = "Track the live objects of the program over time, as Pympler's tracker, in C.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit_tracker(void)
{
    return PyModuleDef_Init(&module_def);
}
