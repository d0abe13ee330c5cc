/* pympler.summary: summaries of object lists, as Pympler 1.1's summary module.
 *
 * A summary is a list of [type key, count, total size] rows (lib/py/summarize.c
 * computes it).  This module formats them into Pympler's table, byte for
 * byte, and keeps Pympler's helpers (_repr, _subtract, _sweep, _traverse).
 * `representations` is a real dict users may change: every call reads the
 * module attribute afresh, as Pympler's functions read their global.
 */
#include "pyrt.h"
#include "module.h"
#include "report.h"
#include "summarize.h"

#include <string.h>

PyMODINIT_FUNC PyInit_summary(void);

/* What one import of the module keeps (its module state). */
typedef struct {
    PyObject *itemgetter; /* operator.itemgetter */
} summary_state;

static summary_state *state_of(PyObject *m)
{
    return (summary_state *)PyModule_GetState(m);
}

static const char *const SORTS[] = {"type", "#", "size"};
static const char *const ORDERS[] = {"ascending", "descending"};

/* summary.representations as it is now, in the module m (borrowed; NULL if
 * deleted): the user may replace it. */
static PyObject *reps_now(PyObject *m)
{
    return PyDict_GetItemString(PyModule_GetDict(m), "representations");
}

/* ---- summarize, _repr ------------------------------------------------------ */

static PyObject *summarize(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"objects", NULL};
    PyObject *objects;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:summarize", kwlist, &objects))
        return NULL;
    return pym_summarize(objects, reps_now(m));
}

/* _repr(o, verbosity=1), vectorcall: callers such as the refbrowser call it
 * on every node, and an argument tuple would be one more live object (a
 * referrer of o, even) while it runs. */
static PyObject *repr_(PyObject *m, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"o", "verbosity"};
    PyObject *vals[2] = {NULL, NULL};
    (void)m;
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError, "_repr() takes at most 2 arguments (%zd given)", nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        vals[i] = args[i];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int slot = -1;
        for (int j = 0; j < 2; j++)
            if (PyUnicode_CompareWithASCIIString(name, names[j]) == 0)
                slot = j;
        if (slot < 0) {
            PyErr_Format(PyExc_TypeError, "_repr() got an unexpected keyword argument '%U'", name);
            return NULL;
        }
        if (vals[slot]) {
            PyErr_Format(PyExc_TypeError, "_repr() got multiple values for argument '%s'", names[slot]);
            return NULL;
        }
        vals[slot] = args[nargs + k];
    }
    if (!vals[0]) {
        PyErr_SetString(PyExc_TypeError, "_repr() missing required argument 'o'");
        return NULL;
    }
    Py_ssize_t verbosity = 1;
    if (vals[1] && pym_int_clipped(vals[1], "verbosity", &verbosity) < 0)
        return NULL;
    return pym_type_key(vals[0], verbosity, reps_now(m), 1);
}

/* Key function for sort='type': _repr(row[0]). */
static PyObject *row_type_key(PyObject *m, PyObject *row)
{
    (void)m;
    PyObject *first = PySequence_GetItem(row, 0);
    if (!first)
        return NULL;
    PyObject *k = pym_type_key(first, 1, reps_now(m), 1);
    Py_DECREF(first);
    return k;
}

/* ---- get_diff, _sweep, _subtract, _traverse ------------------------------- */

/* dict((r[0], r) for r in rows) */
static PyObject *by_key(PyObject *rows)
{
    PyObject *d = PyDict_New(), *it = d ? PyObject_GetIter(rows) : NULL, *r;
    if (!it) {
        Py_XDECREF(d);
        return NULL;
    }
    while ((r = PyIter_Next(it))) {
        PyObject *k = PySequence_GetItem(r, 0);
        int rc = k ? PyDict_SetItem(d, k, r) : -1;
        Py_XDECREF(k);
        Py_DECREF(r);
        if (rc < 0)
            break;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *item(PyObject *seq, Py_ssize_t i)
{
    return PySequence_GetItem(seq, i);
}

/* [key, f(a[1], b[1]), f(a[2], b[2])] with f subtract, or negate when b NULL. */
static PyObject *diff_row(PyObject *key, PyObject *r, PyObject *l)
{
    PyObject *cells[2] = {NULL, NULL}, *row = NULL;
    for (int i = 0; i < 2; i++) {
        PyObject *lv = item(l, i + 1), *rv = r ? item(r, i + 1) : NULL;
        if (lv && (!r || rv))
            cells[i] = r ? PyNumber_Subtract(rv, lv) : PyNumber_Negative(lv);
        Py_XDECREF(lv);
        Py_XDECREF(rv);
        if (!cells[i])
            goto done;
    }
    row = Py_BuildValue("[OOO]", key, cells[0], cells[1]);
done:
    Py_XDECREF(cells[0]);
    Py_XDECREF(cells[1]);
    return row;
}

static PyObject *get_diff(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"left", "right", NULL};
    PyObject *left, *right, *rk = NULL, *lk = NULL, *keys = NULL, *it = NULL, *res = NULL, *key;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:get_diff", kwlist, &left, &right))
        return NULL;
    if (!(rk = by_key(right)) || !(lk = by_key(left)))
        goto fail;
    /* The key order is a set's, as Pympler's: keys = set(right keys);
     * keys.update(left keys) -- set.update itself, which presizes the table
     * for a dict as adding key by key would not (the order would differ). */
    if (!(keys = PySet_New(rk)))
        goto fail;
    PyObject *updated = PyObject_CallMethod(keys, "update", "O", lk);
    if (!updated)
        goto fail;
    Py_DECREF(updated);
    if (!(res = PyList_New(0)) || !(it = PyObject_GetIter(keys)))
        goto fail;
    while ((key = PyIter_Next(it))) {
        PyObject *r = PyDict_GetItemWithError(rk, key), *l = NULL, *row = NULL;
        if (!r && PyErr_Occurred())
            goto fail_key;
        l = PyDict_GetItemWithError(lk, key);
        if (!l && PyErr_Occurred())
            goto fail_key;
        int rt = r ? PyObject_IsTrue(r) : 0, lt = l ? PyObject_IsTrue(l) : 0;
        if (rt < 0 || lt < 0)
            goto fail_key;
        if (lt && rt)
            row = diff_row(key, r, l);
        else if (rt)
            row = Py_NewRef(r);
        else if (lt)
            row = diff_row(key, NULL, l);
        else {
            Py_DECREF(key);
            continue;
        }
        if (!row || PyList_Append(res, row) < 0) {
            Py_XDECREF(row);
            goto fail_key;
        }
        Py_DECREF(row);
        Py_DECREF(key);
        continue;
    fail_key:
        Py_DECREF(key);
        goto fail;
    }
    if (PyErr_Occurred())
        goto fail;
    goto done;
fail:
    Py_CLEAR(res);
done:
    Py_XDECREF(it);
    Py_XDECREF(keys);
    Py_XDECREF(rk);
    Py_XDECREF(lk);
    return res;
}

/* row[2] != 0 or row[1] != 0 */
static int row_nonzero(PyObject *row)
{
    PyObject *zero = PyLong_FromLong(0);
    if (!zero)
        return -1;
    int res = 0;
    for (Py_ssize_t i = 2; i >= 1 && !res; i--) {
        PyObject *v = item(row, i);
        if (!v) {
            res = -1;
            break;
        }
        res = PyObject_RichCompareBool(v, zero, Py_NE);
        Py_DECREF(v);
    }
    Py_DECREF(zero);
    return res;
}

static PyObject *sweep_rows(PyObject *summary)
{
    PyObject *res = PyList_New(0), *it = res ? PyObject_GetIter(summary) : NULL, *row;
    if (!it) {
        Py_XDECREF(res);
        return NULL;
    }
    while ((row = PyIter_Next(it))) {
        int keep = row_nonzero(row);
        if (keep < 0 || (keep && PyList_Append(res, row) < 0)) {
            Py_DECREF(row);
            break;
        }
        Py_DECREF(row);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        Py_CLEAR(res);
    return res;
}

static PyObject *sweep(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"summary", NULL};
    PyObject *summary;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:_sweep", kwlist, &summary))
        return NULL;
    return sweep_rows(summary);
}

static PyObject *subtract(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"summary", "o", NULL};
    PyObject *summary, *o, *key = NULL, *size = NULL, *it = NULL, *r;
    int found = 0;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:_subtract", kwlist, &summary, &o))
        return NULL;
    if (!(key = pym_type_key(o, 1, reps_now(m), 1)))
        return NULL;
    {
        PyObject *sys_getsizeof = PySys_GetObject("getsizeof");
        if (!sys_getsizeof) {
            PyErr_SetString(PyExc_RuntimeError, "sys.getsizeof is missing");
            goto fail;
        }
        if (!(size = PyObject_CallOneArg(sys_getsizeof, o)))
            goto fail;
    }
    if (!(it = PyObject_GetIter(summary)))
        goto fail;
    while ((r = PyIter_Next(it))) {
        PyObject *k = item(r, 0);
        int eq = k ? PyObject_RichCompareBool(k, key, Py_EQ) : -1;
        Py_XDECREF(k);
        if (eq > 0) {
            PyObject *one = PyLong_FromLong(1), *c = item(r, 1), *s = item(r, 2);
            PyObject *nc = (one && c) ? PyNumber_Subtract(c, one) : NULL;
            PyObject *ns = (nc && s) ? PyNumber_Subtract(s, size) : NULL;
            int ok = ns && PySequence_SetItem(r, 1, nc) == 0 && PySequence_SetItem(r, 2, ns) == 0;
            Py_XDECREF(one);
            Py_XDECREF(c);
            Py_XDECREF(s);
            Py_XDECREF(nc);
            Py_XDECREF(ns);
            if (!ok)
                eq = -1;
            found = 1;
        }
        Py_DECREF(r);
        if (eq < 0)
            goto fail;
    }
    if (PyErr_Occurred())
        goto fail;
    if (!found) {
        PyObject *neg = PyNumber_Negative(size);
        PyObject *row = neg ? Py_BuildValue("[OiO]", key, -1, neg) : NULL;
        Py_XDECREF(neg);
        PyObject *ok = row ? PyObject_CallMethod(summary, "append", "O", row) : NULL;
        Py_XDECREF(row);
        if (!ok)
            goto fail;
        Py_DECREF(ok);
    }
    Py_DECREF(it);
    Py_DECREF(key);
    Py_DECREF(size);
    return Py_NewRef(summary);
fail:
    Py_XDECREF(it);
    Py_XDECREF(key);
    Py_XDECREF(size);
    return NULL;
}

static PyObject *traverse(PyObject *m, PyObject *args)
{
    (void)m;
    if (PyTuple_GET_SIZE(args) < 2) {
        PyErr_SetString(PyExc_TypeError, "_traverse() needs a summary and a function");
        return NULL;
    }
    PyObject *summary = PyTuple_GET_ITEM(args, 0), *fn = PyTuple_GET_ITEM(args, 1);
    /* fn(x, *extra) for each x: the arguments in one C array whose first
     * slot changes (a tuple passed to Python must not change, fn may keep it). */
    Py_ssize_t n = PyTuple_GET_SIZE(args) - 1;
    PyObject **call = PyMem_New(PyObject *, (size_t)n), *rows = NULL, *row = NULL, *cells = NULL, *cell = NULL;
    PyObject *res = NULL;
    if (!call)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 1; i < n; i++)
        call[i] = PyTuple_GET_ITEM(args, i + 1); /* borrowed: args lives through the call */
#define CALL_ON(x)                                                  \
    do {                                                            \
        call[0] = (x);                                              \
        PyObject *r_ = PyObject_Vectorcall(fn, call, (size_t)n, NULL); \
        if (!r_)                                                    \
            goto done;                                              \
        Py_DECREF(r_);                                              \
    } while (0)
    CALL_ON(summary);
    if (!(rows = PyObject_GetIter(summary)))
        goto done;
    while ((row = PyIter_Next(rows))) {
        CALL_ON(row);
        if (!(cells = PyObject_GetIter(row)))
            goto done;
        while ((cell = PyIter_Next(cells))) {
            CALL_ON(cell);
            Py_CLEAR(cell);
        }
        if (PyErr_Occurred())
            goto done;
        Py_CLEAR(cells);
        Py_CLEAR(row);
    }
    if (!PyErr_Occurred())
        res = Py_NewRef(Py_None);
#undef CALL_ON
done:
    Py_XDECREF(cell);
    Py_XDECREF(cells);
    Py_XDECREF(row);
    Py_XDECREF(rows);
    PyMem_Free(call);
    return res;
}

/* ---- the table ---------------------------------------------------------- */

/* n copies of an ASCII character. */
static PyObject *repeat_char(char c, Py_ssize_t n)
{
    PyObject *s = PyUnicode_New(n, 127);
    if (s)
        memset(PyUnicode_DATA(s), c, (size_t)n);
    return s;
}

/* The lines of _format_table(rows, header) as a list. */
static PyObject *table_lines(PyObject *rows_in, int header)
{
    PyObject *rows = PySequence_List(rows_in), *strs = NULL, *lines = NULL, *border = NULL;
    PyObject *sep = NULL;
    Py_ssize_t *widths = NULL, ncols = -1;
    if (!rows)
        return NULL;
    Py_ssize_t nrows = PyList_GET_SIZE(rows);
    /* Cells as str, rows as lists; zip(*rows) stops at the shortest row. */
    if (!(strs = PyList_New(nrows)))
        goto done;
    for (Py_ssize_t i = 0; i < nrows; i++) {
        PyObject *cells = PySequence_List(PyList_GET_ITEM(rows, i));
        if (!cells)
            goto done;
        PyList_SET_ITEM(strs, i, cells);
        Py_ssize_t n = PyList_GET_SIZE(cells);
        if (ncols < 0 || n < ncols)
            ncols = n;
        for (Py_ssize_t j = 0; j < n; j++) {
            PyObject *s = PyObject_Str(PyList_GET_ITEM(cells, j));
            if (!s)
                goto done;
            Py_SETREF(((PyListObject *)cells)->ob_item[j], s);
        }
    }
    if (ncols < 0)
        ncols = 0;
    if (!(widths = PyMem_Calloc((size_t)ncols + 1, sizeof *widths)))
        goto nomem;
    for (Py_ssize_t i = 0; i < nrows; i++)
        for (Py_ssize_t j = 0; j < ncols; j++) {
            Py_ssize_t w = PyUnicode_GET_LENGTH(PyList_GET_ITEM(PyList_GET_ITEM(strs, i), j)) + 2;
            if (w > widths[j])
                widths[j] = w;
        }
    if (!(sep = PyUnicode_FromString(" | ")) || !(lines = PyList_New(0)))
        goto done;
    {
        PyObject *parts = PyList_New(ncols);
        if (!parts)
            goto done;
        for (Py_ssize_t j = 0; j < ncols; j++) {
            PyObject *eq = repeat_char('=', widths[j]);
            if (!eq) {
                Py_DECREF(parts);
                goto done;
            }
            PyList_SET_ITEM(parts, j, eq);
        }
        border = PyUnicode_Join(sep, parts);
        Py_DECREF(parts);
        if (!border)
            goto done;
    }
    for (Py_ssize_t i = 0; i < nrows; i++) {
        PyObject *cells = PyList_GET_ITEM(strs, i), *parts = PyList_New(ncols);
        if (!parts)
            goto done;
        for (Py_ssize_t j = 0; j < ncols; j++) {
            PyObject *s = PyList_GET_ITEM(cells, j);
            Py_ssize_t pad = widths[j] - PyUnicode_GET_LENGTH(s);
            PyObject *cell;
            if (pad > 0) {
                PyObject *sp = repeat_char(' ', pad);
                cell = sp ? PyUnicode_Concat(sp, s) : NULL;
                Py_XDECREF(sp);
            }
            else
                cell = Py_NewRef(s);
            if (!cell) {
                Py_DECREF(parts);
                goto done;
            }
            PyList_SET_ITEM(parts, j, cell);
        }
        PyObject *line = PyUnicode_Join(sep, parts);
        Py_DECREF(parts);
        if (!line || PyList_Append(lines, line) < 0) {
            Py_XDECREF(line);
            goto done;
        }
        Py_DECREF(line);
        if (header) {
            if (PyList_Append(lines, border) < 0)
                goto done;
            header = 0;
        }
    }
    goto out;
nomem:
    PyErr_NoMemory();
done:
    Py_CLEAR(lines);
out:
    PyMem_Free(widths);
    Py_XDECREF(sep);
    Py_XDECREF(border);
    Py_XDECREF(strs);
    Py_DECREF(rows);
    return lines;
}

static PyObject *format_table(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"rows", "header", NULL};
    PyObject *rows;
    int header = 1;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|p:_format_table", kwlist, &rows, &header))
        return NULL;
    PyObject *lines = table_lines(rows, header);
    if (!lines)
        return NULL;
    PyObject *it = PyObject_GetIter(lines);
    Py_DECREF(lines);
    return it;
}

static int which(PyObject *v, const char *const *names, int n)
{
    if (!PyUnicode_Check(v))
        return -1;
    for (int i = 0; i < n; i++)
        if (PyUnicode_CompareWithASCIIString(v, names[i]) == 0)
            return i;
    return -1;
}

/* format_() as a list of lines. */
static PyObject *format_lines(PyObject *m, PyObject *rows, PyObject *limit, PyObject *sort, PyObject *order)
{
    PyObject *local = NULL, *it = NULL, *row, *key = NULL, *res = NULL, *sl = NULL, *cut = NULL;
    PyObject *meth = NULL, *kwargs = NULL, *empty = NULL;
    if (!(local = PyList_New(0)) || !(it = PyObject_GetIter(rows)))
        goto done;
    while ((row = PyIter_Next(it))) {
        PyObject *copy = PySequence_List(row);
        Py_DECREF(row);
        if (!copy || PyList_Append(local, copy) < 0) {
            Py_XDECREF(copy);
            goto done;
        }
        Py_DECREF(copy);
    }
    if (PyErr_Occurred())
        goto done;
    int s = which(sort, SORTS, 3), o = which(order, ORDERS, 2);
    if (s < 0) {
        PyErr_SetString(PyExc_ValueError, "invalid sort, should be one of['type', '#', 'size']");
        goto done;
    }
    if (o < 0) {
        PyErr_SetString(PyExc_ValueError, "invalid order, should be one of['ascending', 'descending']");
        goto done;
    }
    if (s == 0)
        key = PyDict_GetItemString(PyModule_GetDict(m), "_row_type_key"), Py_XINCREF(key);
    else
        key = PyObject_CallFunction(state_of(m)->itemgetter, "i", s);
    if (!key) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_RuntimeError, "pympler.summary._row_type_key is missing");
        goto done;
    }
    if (!(meth = PyObject_GetAttrString(local, "sort")) || !(empty = PyTuple_New(0)) ||
        !(kwargs = Py_BuildValue("{sOsO}", "key", key, "reverse", o == 1 ? Py_True : Py_False)))
        goto done;
    PyObject *r = PyObject_Call(meth, empty, kwargs);
    if (!r)
        goto done;
    Py_DECREF(r);
    /* localrows[0:limit] */
    {
        PyObject *zero = PyLong_FromLong(0);
        sl = zero ? PySlice_New(zero, limit, NULL) : NULL;
        Py_XDECREF(zero);
    }
    if (!sl || !(cut = PyObject_GetItem(local, sl)))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(cut); i++) {
        PyObject *rw = PyList_GET_ITEM(cut, i);
        PyObject *v = item(rw, 2), *p = v ? pym_pp_number(v) : NULL;
        Py_XDECREF(v);
        if (!p || PySequence_SetItem(rw, 2, p) < 0) {
            Py_XDECREF(p);
            goto done;
        }
        Py_DECREF(p);
    }
    {
        PyObject *hdr = Py_BuildValue("[sss]", "types", "# objects", "total size");
        if (!hdr || PyList_Insert(cut, 0, hdr) < 0) {
            Py_XDECREF(hdr);
            goto done;
        }
        Py_DECREF(hdr);
    }
    res = table_lines(cut, 1);
done:
    Py_XDECREF(local);
    Py_XDECREF(it);
    Py_XDECREF(key);
    Py_XDECREF(sl);
    Py_XDECREF(cut);
    Py_XDECREF(meth);
    Py_XDECREF(kwargs);
    Py_XDECREF(empty);
    return res;
}

/* The lines of format_/print_(rows, limit=15, sort='size', order='descending')
 * as a list: the arguments parsed for fname, the defaults filled in. */
static PyObject *format_args_lines(PyObject *m, const char *fname, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"rows", "limit", "sort", "order", NULL};
    PyObject *rows, *limit = NULL, *sort = NULL, *order = NULL;
    char fmt[64];
    PyOS_snprintf(fmt, sizeof fmt, "O|OOO:%s", fname);
    if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kwlist, &rows, &limit, &sort, &order))
        return NULL;
    PyObject *lim = limit ? Py_NewRef(limit) : PyLong_FromLong(15);
    PyObject *srt = sort ? Py_NewRef(sort) : PyUnicode_FromString("size");
    PyObject *ord = order ? Py_NewRef(order) : PyUnicode_FromString("descending");
    PyObject *lines = (lim && srt && ord) ? format_lines(m, rows, lim, srt, ord) : NULL;
    Py_XDECREF(lim);
    Py_XDECREF(srt);
    Py_XDECREF(ord);
    return lines;
}

static PyObject *format_(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    PyObject *lines = format_args_lines(m, "format_", args, kw);
    if (!lines)
        return NULL;
    PyObject *it = PyObject_GetIter(lines);
    Py_DECREF(lines);
    return it;
}

static PyObject *print_(PyObject *m, PyObject *args, PyObject *kw)
{
    (void)m;
    PyObject *lines = format_args_lines(m, "print_", args, kw);
    if (!lines)
        return NULL;
    int rc = pym_print_lines(lines);
    Py_DECREF(lines);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *init_representations(PyObject *m, PyObject *unused)
{
    (void)m;
    (void)unused;
    PyObject *reps = reps_now(m);
    if (!reps) {
        PyErr_SetString(PyExc_NameError, "name 'representations' is not defined");
        return NULL;
    }
    PyObject *r = pym_representations_fill(reps);
    if (!r)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

/* What Pympler's module imports and so shows (lib/py/pyrt.h). */
static const pym_reexport reexports[] = {
    {"stringutils", "pympler.util.stringutils", NULL},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods[] = {
    {"summarize", (PyCFunction)(void (*)(void))summarize, METH_VARARGS | METH_KEYWORDS,
     "summarize($module, /, objects)\n--\n\n"
     "Summarize an objects list: [type, number of objects, total size] rows,\n"
     "in the order each type first occurs."},
    {"get_diff", (PyCFunction)(void (*)(void))get_diff, METH_VARARGS | METH_KEYWORDS,
     "get_diff($module, /, left, right)\n--\n\nThe difference of two summaries (right - left)."},
    {"format_", (PyCFunction)(void (*)(void))format_, METH_VARARGS | METH_KEYWORDS,
     "format_($module, /, rows, limit=15, sort='size', order='descending')\n--\n\n"
     "The rows as the lines of a summary table (an iterator).\n"
     "sort is 'size', 'type' or '#'; order 'ascending' or 'descending'."},
    {"print_", (PyCFunction)(void (*)(void))print_, METH_VARARGS | METH_KEYWORDS,
     "print_($module, /, rows, limit=15, sort='size', order='descending')\n--\n\n"
     "Print the rows as a summary table."},
    {"_format_table", (PyCFunction)(void (*)(void))format_table, METH_VARARGS | METH_KEYWORDS,
     "_format_table($module, /, rows, header=True)\n--\n\nA list of lists as table lines."},
    {"_repr", (PyCFunction)(void (*)(void))repr_, METH_FASTCALL | METH_KEYWORDS,
     "_repr($module, /, o, verbosity=1)\n--\n\nThe summary key of an object."},
    {"_row_type_key", row_type_key, METH_O, "_row_type_key($module, row, /)\n--\n\n_repr(row[0])."},
    {"_subtract", (PyCFunction)(void (*)(void))subtract, METH_VARARGS | METH_KEYWORDS,
     "_subtract($module, /, summary, o)\n--\n\nRemove object o from the summary."},
    {"_sweep", (PyCFunction)(void (*)(void))sweep, METH_VARARGS | METH_KEYWORDS,
     "_sweep($module, /, summary)\n--\n\nThe rows whose count or size is not zero."},
    {"_traverse", traverse, METH_VARARGS,
     "_traverse(summary, function, *args)\n\nCall function on the summary, each row and each cell."},
    {"_init_representations", init_representations, METH_NOARGS,
     "_init_representations($module, /)\n--\n\nPut the default representations back."},
    PYM_REEXPORT_METHODS,
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0)
        return -1;
    summary_state *st = state_of(m);
    PyObject *op = PyImport_ImportModule("operator");
    st->itemgetter = op ? PyObject_GetAttrString(op, "itemgetter") : NULL;
    Py_XDECREF(op);
    if (!st->itemgetter)
        return -1;
    PyObject *reps = NULL, *re = NULL, *pat = NULL;
    if (pym_module_add(m, "re", "re", NULL) < 0 || pym_module_add(m, "sys", "sys", NULL) < 0 ||
        pym_module_add(m, "types", "types", NULL) < 0)
        goto fail;
    if (!(reps = pym_representations_fill(NULL)) || PyModule_AddObject(m, "representations", reps) < 0)
        goto fail;
    reps = NULL;
    if (!(re = PyImport_ImportModule("re")))
        goto fail;
    if (!(pat = PyObject_CallMethod(re, "compile", "s", "^<(type|class) '(\\S+)'>$")) ||
        PyModule_AddObject(m, "type_repr", pat) < 0)
        goto fail;
    if (!(pat = PyObject_CallMethod(re, "compile", "s", " at 0x[0-9a-f]+")) ||
        PyModule_AddObject(m, "address", pat) < 0)
        goto fail;
    pat = NULL;
    if (PyModule_AddObjectRef(m, "getsizeof", PySys_GetObject("getsizeof")) < 0)
        goto fail;
    Py_DECREF(re);
    return 0;
fail:
    Py_XDECREF(pat);
    Py_XDECREF(reps);
    Py_XDECREF(re);
    return -1;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    Py_VISIT(state_of(m)->itemgetter);
    return 0;
}

static int module_clear(PyObject *m)
{
    Py_CLEAR(state_of(m)->itemgetter);
    return 0;
}

static void module_free(void *m)
{
    module_clear((PyObject *)m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.summary",
    .m_doc = "Summaries of object lists, as Pympler's summary module, in C.\n\n"
             "A summary is a list of [type, count, total size] rows.",
    .m_size = sizeof(summary_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit_summary(void)
{
    return PyModuleDef_Init(&module_def);
}
