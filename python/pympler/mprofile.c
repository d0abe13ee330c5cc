/* pympler.mprofile: MProfiler, Pympler 1.1's memory usage profiler, in C.
 *
 * A profile function (sys.setprofile) that, on every matching event at every
 * matching code point, takes a census of the live objects (muppy's: a
 * gc.collect() first, each object once) and records how often the point was
 * met and the smallest and largest total size seen there.  The instance
 * keeps Pympler's attributes in its __dict__ (memories, codepoints, events),
 * so code that reads or replaces them keeps working.  See docs/mprofile.md.
 */
#include "census.h"
#include "dictobj.h"
#include "module.h"
#include "pyrt.h"
#include "summarize.h"

PyMODINIT_FUNC PyInit_mprofile(void);

/* ---- the census total -------------------------------------------------------- */

/* muppy.get_size(muppy.get_objects()): the sum of the objects' sizes.  A new
 * int, or NULL with an exception. */
static PyObject *census_size(void)
{
    pym_census_opts opts = {.collect = 1, .remove_dups = 1};
    pym_objvec objs = {0};
    PyObject *res = NULL;
    if (pym_census_take(&opts, &objs) < 0)
        goto done;
    pym_wsize total = 0;
    for (Py_ssize_t i = 0; i < objs.n; i++) {
        pym_wsize s = pym_sizeof_or_basic(objs.items[i]);
        if (s < 0)
            goto done;
        total += s;
    }
    res = pym_long_from_i128(total);
done:
    pym_objvec_clear(&objs);
    return res;
}

/* ---- MProfiler --------------------------------------------------------------- */

static int MP_init(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"codepoints", "events", NULL};
    PyObject *codepoints = Py_None, *events = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO:MProfiler", kwlist, &codepoints, &events))
        return -1;
    PyObject *memories = PyDict_New();
    if (!memories)
        return -1;
    int r = PyObject_SetAttrString(self, "memories", memories);
    Py_DECREF(memories);
    if (r < 0 || PyObject_SetAttrString(self, "codepoints", codepoints) < 0 ||
        PyObject_SetAttrString(self, "events", events) < 0)
        return -1;
    return 0;
}

/* seq[i] through __getitem__, as Python's seq[i].  New reference or NULL. */
static PyObject *item_at(PyObject *seq, Py_ssize_t i)
{
    PyObject *key = PyLong_FromSsize_t(i);
    if (!key)
        return NULL;
    PyObject *v = PyObject_GetItem(seq, key);
    Py_DECREF(key);
    return v;
}

/* Does the pattern cp match codepoint: every entry of cp is None or equal
 * (!= is False) to the same entry of codepoint.  1, 0, or -1 with an
 * exception (a pattern longer than the codepoint: IndexError). */
static int pattern_matches(PyObject *cp, PyObject *codepoint)
{
    Py_ssize_t n = PyObject_Size(cp);
    if (n < 0)
        return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *want = item_at(cp, i), *have = NULL, *ne = NULL;
        int mismatch = -1;
        if (!want)
            return -1;
        if (want == Py_None) {
            mismatch = 0;
            goto next;
        }
        if (!(have = item_at(codepoint, i)) || !(ne = PyObject_RichCompare(want, have, Py_NE)))
            goto next;
        mismatch = PyObject_IsTrue(ne);
    next:
        Py_DECREF(want);
        Py_XDECREF(have);
        Py_XDECREF(ne);
        if (mismatch != 0)
            return mismatch > 0 ? 0 : -1;
    }
    return 1;
}

/* codepoint_included(codepoint): does it match one of self.codepoints (all
 * of them when that is None).  1, 0, or -1 with an exception. */
static int codepoint_included_impl(PyObject *self, PyObject *codepoint)
{
    PyObject *cps = PyObject_GetAttrString(self, "codepoints");
    if (!cps)
        return -1;
    if (cps == Py_None) {
        Py_DECREF(cps);
        return 1;
    }
    PyObject *it = PyObject_GetIter(cps), *cp;
    Py_DECREF(cps);
    if (!it)
        return -1;
    int found = 0;
    while (!found && (cp = PyIter_Next(it))) {
        found = pattern_matches(cp, codepoint);
        Py_DECREF(cp);
        if (found < 0)
            break;
    }
    Py_DECREF(it);
    if (found == 0 && PyErr_Occurred())
        found = -1;
    return found;
}

static PyObject *MP_codepoint_included(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"codepoint", NULL};
    PyObject *codepoint;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:codepoint_included", kwlist, &codepoint))
        return NULL;
    int r = codepoint_included_impl(self, codepoint);
    return r < 0 ? NULL : PyBool_FromLong(r);
}

/* The code point of a frame (or of a traceback's frame), as
 * inspect.getframeinfo gives it: (co_filename, co_name, line); the line is
 * None when the frame has none.  New reference, or NULL with TypeError for
 * anything else. */
static PyObject *codepoint_of(PyObject *obj)
{
    PyObject *lineno = NULL, *res = NULL;
    PyFrameObject *frame;
    if (PyTraceBack_Check(obj)) {
        frame = ((PyTracebackObject *)obj)->tb_frame;
        if (!(lineno = PyObject_GetAttrString(obj, "tb_lineno")))
            return NULL;
    }
    else if (PyFrame_Check(obj)) {
        frame = (PyFrameObject *)obj;
        int line = PyFrame_GetLineNumber(frame);
        lineno = line < 0 ? Py_NewRef(Py_None) : PyLong_FromLong(line);
        if (!lineno)
            return NULL;
    }
    else {
        PyObject *r = pym_repr(obj);
        if (r) {
            PyErr_Format(PyExc_TypeError, "%U is not a frame or traceback object", r);
            Py_DECREF(r);
        }
        return NULL;
    }
    PyCodeObject *code = PyFrame_GetCode(frame);
    res = PyTuple_Pack(3, code->co_filename, code->co_name, lineno);
    Py_DECREF(code);
    Py_DECREF(lineno);
    return res;
}

/* memories[cp]: [1, size, size, 0] when new, else the count one up and the
 * bounds widened to size.  0, or -1 with an exception. */
static int record(PyObject *memories, PyObject *cp, PyObject *size)
{
    PyObject *entry = NULL, *v = NULL, *nv = NULL, *one = NULL;
    int r = PySequence_Contains(memories, cp), res = -1;
    if (r < 0)
        return -1;
    if (r == 0) {
        PyObject *zero = PyLong_FromLong(0);
        if (!zero || !(one = PyLong_FromLong(1)) || !(entry = PyList_New(4))) {
            Py_XDECREF(zero);
            goto done;
        }
        PyList_SET_ITEM(entry, 0, Py_NewRef(one));
        PyList_SET_ITEM(entry, 1, Py_NewRef(size));
        PyList_SET_ITEM(entry, 2, Py_NewRef(size));
        PyList_SET_ITEM(entry, 3, zero);
        res = PyObject_SetItem(memories, cp, entry);
        goto done;
    }
    /* memories[cp][0] += 1 */
    if (!(entry = PyObject_GetItem(memories, cp)) || !(v = item_at(entry, 0)) ||
        !(one = PyLong_FromLong(1)) || !(nv = PyNumber_InPlaceAdd(v, one)) ||
        PySequence_SetItem(entry, 0, nv) < 0)
        goto done;
    /* memories[cp][1] = size if it is larger; memories[cp][2] if smaller */
    for (Py_ssize_t i = 1; i <= 2; i++) {
        Py_CLEAR(v);
        if (!(v = item_at(entry, i)))
            goto done;
        int beyond = PyObject_RichCompareBool(v, size, i == 1 ? Py_GT : Py_LT);
        if (beyond < 0 || (beyond && PySequence_SetItem(entry, i, size) < 0))
            goto done;
    }
    res = 0;
done:
    Py_XDECREF(entry);
    Py_XDECREF(v);
    Py_XDECREF(nv);
    Py_XDECREF(one);
    return res;
}

static PyObject *MP_profile_impl(PyObject *self, PyObject *frame, PyObject *event)
{
    PyObject *events = PyObject_GetAttrString(self, "events"), *cp = NULL, *size = NULL,
             *memories = NULL, *res = NULL;
    if (!events)
        return NULL;
    int wanted = events == Py_None ? 1 : PySequence_Contains(events, event);
    Py_DECREF(events);
    if (wanted <= 0)
        return wanted < 0 ? NULL : Py_NewRef(Py_None);
    if (!(cp = codepoint_of(frame)))
        return NULL;
    PyObject *name = PyUnicode_InternFromString("codepoint_included");
    PyObject *r = name ? PyObject_CallMethodOneArg(self, name, cp) : NULL;
    Py_XDECREF(name);
    int included = r ? PyObject_IsTrue(r) : -1;
    Py_XDECREF(r);
    if (included <= 0) {
        res = included < 0 ? NULL : Py_NewRef(Py_None);
        goto done;
    }
    if (!(size = census_size()) || !(memories = PyObject_GetAttrString(self, "memories")) ||
        record(memories, cp, size) < 0)
        goto done;
    res = Py_NewRef(Py_None);
done:
    Py_XDECREF(cp);
    Py_XDECREF(size);
    Py_XDECREF(memories);
    return res;
}

static PyObject *MP_profile(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"frame", "event", "arg", NULL};
    PyObject *frame, *event, *arg;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO:profile", kwlist, &frame, &event, &arg))
        return NULL;
    return MP_profile_impl(self, frame, event);
}

/* sys.setprofile(fn).  0, or -1 with an exception. */
static int set_profile(PyObject *fn)
{
    PyObject *setprofile = PySys_GetObject("setprofile"); /* borrowed */
    if (!setprofile) {
        PyErr_SetString(PyExc_RuntimeError, "lost sys.setprofile");
        return -1;
    }
    PyObject *r = PyObject_CallOneArg(setprofile, fn);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* run(cmd): exec(cmd) with self.profile as the profile function, which is
 * removed again however exec ends.  The command runs, as in Pympler, with
 * the module's globals and {'self': self, 'cmd': cmd} as its locals.
 * Returns self. */
static PyObject *MP_run(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"cmd", NULL};
    PyObject *cmd, *profile = NULL, *locals = NULL, *r = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:run", kwlist, &cmd))
        return NULL;
    PyObject *module = PyImport_ImportModule("pympler.mprofile");
    PyObject *exec = PyDict_GetItemString(PyEval_GetBuiltins(), "exec"); /* borrowed */
    if (!module)
        return NULL;
    if (!exec) {
        PyErr_SetString(PyExc_RuntimeError, "lost builtins.exec");
        goto done;
    }
    Py_INCREF(exec);
    if (!(locals = Py_BuildValue("{sOsO}", "self", self, "cmd", cmd)) ||
        !(profile = PyObject_GetAttrString(self, "profile")) || set_profile(profile) < 0)
        goto done_exec;
    r = PyObject_CallFunctionObjArgs(exec, cmd, PyModule_GetDict(module), locals, NULL);
    /* finally: sys.setprofile(None); exec's exception, if any, wins. */
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    if (set_profile(Py_None) < 0) {
        Py_CLEAR(r);
        if (et)
            PyErr_Clear();
    }
    if (et)
        PyErr_Restore(et, ev, tb);
done_exec:
    Py_DECREF(exec);
done:
    Py_DECREF(module);
    Py_XDECREF(locals);
    Py_XDECREF(profile);
    if (!r)
        return NULL;
    Py_DECREF(r);
    return Py_NewRef(self);
}

#define KW (METH_VARARGS | METH_KEYWORDS)
#define FN(f) ((PyCFunction)(void (*)(void))(f))
static PyMethodDef MP_methods[] = {
    {"codepoint_included", FN(MP_codepoint_included), KW,
     "codepoint_included($self, /, codepoint)\n--\n\n"
     "Check if codepoint matches any of the defined codepoints."},
    {"profile", FN(MP_profile), KW,
     "profile($self, /, frame, event, arg)\n--\n\n"
     "Profiling method used to profile matching codepoints and events."},
    {"run", FN(MP_run), KW, "run($self, /, cmd)\n--\n\nexec(cmd) under the profiler; returns self."},
    PYM_DICTOBJ_REDUCE_EX,
    {NULL, NULL, 0, NULL}};

static PyTypeObject MProfiler_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pympler.mprofile.MProfiler",
    PYM_DICTOBJ_FIELDS,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "MProfiler(codepoints=None, events=None)\n--\n\n"
              "A memory usage profiler.\n\n"
              "self.memories maps each code point (filename, function name, line) met\n"
              "to [times measured, smallest total size, largest total size, 0].\n"
              "codepoints: patterns (filename, function, line), None matching anything;\n"
              "events: the profile events to measure at (None: all of them).",
    .tp_methods = MP_methods,
    .tp_init = MP_init,
};

/* ---- module -------------------------------------------------------------- */

static int module_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0 || pym_dictobj_ready(&MProfiler_Type) < 0)
        return -1;
    /* What Pympler's module imports: a command given to run() sees them. */
    if (pym_module_add(m, "inspect", "inspect", NULL) < 0 || pym_module_add(m, "sys", "sys", NULL) < 0 ||
        pym_module_add(m, "muppy", "pympler.muppy", NULL) < 0)
        return -1;
    return PyModule_AddObjectRef(m, "MProfiler", (PyObject *)&MProfiler_Type);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.mprofile",
    .m_doc = "Memory usage profiler for Python, as Pympler's mprofile, in C.",
    .m_size = 0,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit_mprofile(void)
{
    return PyModuleDef_Init(&module_def);
}
