/* repr.c: repr() without a class's __iter__.
 *
 * CPython's set repr lists a set through its type's __iter__, so the repr of
 * a set subclass whose __iter__ never ends (or yields the set forever) never
 * ends either -- nor does the repr of any list, tuple or dict that holds one.
 * pym_repr() makes the repr of the builtin containers whose type keeps the
 * builtin repr (list, tuple, dict, set, frozenset and their subclasses) from
 * their real storage, with an explicit stack, and the same text as CPython's;
 * any other object is repr()'d by its type. */
#include "pyrt.h"

#include <string.h>

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

