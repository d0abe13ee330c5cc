/* pympler.util.stringutils: Pympler 1.1's string helpers, in C.
 *
 * safe_repr, trunc, pp and pp_timestamp, with Pympler's outputs and
 * exceptions.  The engine does the work (lib/py/refgraph.c: pym_safe_repr,
 * pym_trunc; lib/py/summarize.c: pym_pp_number_base, pym_pp_timestamp);
 * this binding parses arguments.  An int clip or max (and a plain left)
 * goes to the engine as a C integer; anything else goes through Python's
 * operators in the order Pympler applies them, so that a float, an object
 * with __index__ or a hostile __bool__ behaves as it does there.
 * Differences from Pympler: docs/stringutils.md.
 */
#include "pyrt.h"
#include "module.h"
#include "refgraph.h"
#include "summarize.h"

PyMODINIT_FUNC PyInit_stringutils(void);

/* An int whose truth, comparisons and arithmetic are int's own. */
static int plain_int(PyObject *v)
{
    return PyLong_CheckExact(v) || PyBool_Check(v);
}

/* s[start:stop] with Python objects as bounds (NULL: omitted), so a bound
 * without __index__ raises the TypeError of a slice.  New reference. */
static PyObject *slice_obj(PyObject *s, PyObject *start, PyObject *stop)
{
    PyObject *sl = PySlice_New(start, stop, NULL);
    if (!sl)
        return NULL;
    PyObject *r = PyObject_GetItem(s, sl);
    Py_DECREF(sl);
    return r;
}

/* v op k for a small int k.  New reference. */
static PyObject *arith_int(PyObject *v, long k, binaryfunc op)
{
    PyObject *kk = PyLong_FromLong(k);
    if (!kk)
        return NULL;
    PyObject *r = op(v, kk);
    Py_DECREF(kk);
    return r;
}

/* ---- safe_repr --------------------------------------------------------------- */

/* Pympler's `if not clip or len(s) <= clip: return s` and
 * `s[:clip-4] + '..' + s[-2:]` for a clip that is not a plain int. */
static PyObject *safe_repr_generic(PyObject *obj, PyObject *clip)
{
    PyObject *s = PyObject_Repr(obj), *n = NULL, *stop = NULL, *head = NULL, *r = NULL;
    if (!s)
        return NULL;
    int t = PyObject_IsTrue(clip);
    if (t <= 0) {
        if (t == 0)
            return s;
        goto done;
    }
    if (!(n = PyLong_FromSsize_t(PyUnicode_GET_LENGTH(s))))
        goto done;
    int le = PyObject_RichCompareBool(n, clip, Py_LE);
    if (le) {
        if (le > 0)
            r = Py_NewRef(s);
        goto done;
    }
    if (!(stop = arith_int(clip, 4, PyNumber_Subtract)) || !(head = slice_obj(s, NULL, stop)))
        goto done;
    /* head is s[:stop] and, s being a str, a str: elide with its length */
    if (!PyUnicode_Check(head)) {
        PyErr_SetString(PyExc_TypeError, "slicing a repr gave a non-str");
        goto done;
    }
    r = pym_text_elide(s, PyUnicode_GET_LENGTH(head));
done:
    Py_DECREF(s);
    Py_XDECREF(n);
    Py_XDECREF(stop);
    Py_XDECREF(head);
    return r;
}

/* Pympler catches every exception here (a bare except), even
 * KeyboardInterrupt and MemoryError: so does this. */
static PyObject *safe_repr_impl(PyObject *obj, PyObject *clip)
{
    PyObject *r;
    Py_ssize_t c = 0;
    if (clip == Py_None)
        r = pym_safe_repr(obj, 0);
    else if (plain_int(clip))
        r = pym_int_clipped(clip, "clip", &c) < 0 ? NULL : pym_safe_repr(obj, c);
    else
        r = safe_repr_generic(obj, clip);
    if (r)
        return r;
    PyErr_Clear();
    return PyUnicode_FromString("N/A");
}

static PyObject *safe_repr(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"obj", "clip", NULL};
    PyObject *obj, *clip = Py_None;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:safe_repr", kwlist, &obj, &clip))
        return NULL;
    return safe_repr_impl(obj, clip);
}

/* ---- trunc ------------------------------------------------------------------- */

/* Pympler's trunc past str(): `if len(s) > max:`, then `if left:`,
 * '...' + s[len(s) - max + 3:] or s[:(max - 3)] + '...', on any max and
 * left. */
static PyObject *trunc_generic(PyObject *obj, PyObject *max, PyObject *left)
{
    PyObject *s = pym_str_oneline(obj), *n = NULL, *bound = NULL, *part = NULL, *r = NULL;
    if (!s)
        return NULL;
    if (!(n = PyLong_FromSsize_t(PyUnicode_GET_LENGTH(s))))
        goto done;
    int gt = PyObject_RichCompareBool(n, max, Py_GT);
    if (gt <= 0) {
        if (gt == 0)
            r = Py_NewRef(s);
        goto done;
    }
    int l = PyObject_IsTrue(left);
    if (l < 0)
        goto done;
    if (l) {
        PyObject *d = PyNumber_Subtract(n, max);
        bound = d ? arith_int(d, 3, PyNumber_Add) : NULL;
        Py_XDECREF(d);
        if (!bound || !(part = slice_obj(s, bound, NULL)))
            goto done;
        r = PyUnicode_FromFormat("...%S", part);
    }
    else {
        if (!(bound = arith_int(max, 3, PyNumber_Subtract)) || !(part = slice_obj(s, NULL, bound)))
            goto done;
        r = PyUnicode_FromFormat("%S...", part);
    }
done:
    Py_DECREF(s);
    Py_XDECREF(n);
    Py_XDECREF(bound);
    Py_XDECREF(part);
    return r;
}

static PyObject *trunc_impl(PyObject *obj, PyObject *max, PyObject *left)
{
    Py_ssize_t mx;
    if (plain_int(max) && (left == Py_None || plain_int(left))) {
        if (pym_int_clipped(max, "max", &mx) < 0)
            return NULL;
        return pym_trunc(obj, mx, left != Py_None && PyObject_IsTrue(left));
    }
    return trunc_generic(obj, max, left);
}

static PyObject *trunc_(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"obj", "max", "left", NULL};
    PyObject *obj, *max, *left = Py_False;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O:trunc", kwlist, &obj, &max, &left))
        return NULL;
    return trunc_impl(obj, max, left);
}

/* ---- pp, pp_timestamp -------------------------------------------------------- */

static PyObject *pp_(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"i", "base", NULL};
    PyObject *i, *base = NULL;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:pp", kwlist, &i, &base))
        return NULL;
    return pym_pp_number_base(i, base);
}

static PyObject *pp_timestamp(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"t", NULL};
    PyObject *t;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:pp_timestamp", kwlist, &t))
        return NULL;
    return pym_pp_timestamp(t);
}

/* ---- module ------------------------------------------------------------------ */

static PyMethodDef module_methods[] = {
    {"safe_repr", (PyCFunction)(void (*)(void))safe_repr, METH_VARARGS | METH_KEYWORDS,
     "safe_repr($module, /, obj, clip=None)\n--\n\n"
     "repr(obj), or 'N/A' when it raises; clipped to s[:clip-4] + '..' + s[-2:]\n"
     "when clip is given and the repr is longer."},
    {"trunc", (PyCFunction)(void (*)(void))trunc_, METH_VARARGS | METH_KEYWORDS,
     "trunc($module, /, obj, max, left=False)\n--\n\n"
     "str(obj) with newlines as '|', cut to max characters ending in '...'\n"
     "(left=True: starting with '...').  Exceptions of str() propagate."},
    {"pp", (PyCFunction)(void (*)(void))pp_, METH_VARARGS | METH_KEYWORDS,
     "pp($module, /, i, base=1024)\n--\n\n"
     "The size i as a human-readable string: '%4d     B' or '%7.2f KB' ... 'EB'."},
    {"pp_timestamp", (PyCFunction)(void (*)(void))pp_timestamp, METH_VARARGS | METH_KEYWORDS,
     "pp_timestamp($module, /, t)\n--\n\n"
     "Seconds t as 'HH:MM:SS.ss'; '' for None."},
    {NULL, NULL, 0, NULL}};

/* The typing names Pympler's module shows (its annotations import them). */
static int module_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0)
        return -1;
    static const char *const names[] = {"Any", "Optional", "Union"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (pym_module_add(m, names[k], "typing", names[k]) < 0)
            return -1;
    return 0;
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.util.stringutils",
    .m_doc = "String utility functions, as Pympler's pympler.util.stringutils, in C.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit_stringutils(void)
{
    return PyModuleDef_Init(&module_def);
}
