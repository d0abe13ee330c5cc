/* pympler.asizeof: the Python face of the sizing engine (lib/py/).
 *
 * Same names, signatures, defaults, numbers, printed formats and error
 * messages as Pympler 1.1's asizeof module; the work is done by lib/py/sizer.c
 * and friends.  This file parses arguments, keeps the Asizer options as the
 * Python objects the user gave (Pympler's properties return them unchanged),
 * and turns engine results into Python objects.
 */
#include "dictobj.h"
#include "flatsize.h"
#include "module.h"
#include "pyrt.h"
#include "refs.h"
#include "report.h"
#include "sizer.h"
#include "typedef.h"

#include <structmember.h>

PyMODINIT_FUNC PyInit_asizeof(void);

/* What one import of the module keeps (its module state). */
typedef struct {
    PyTypeObject *asized_type, *asizer_type, *claskey_type;
    PyObject *shared; /* the module-level Asizer (Pympler's _asizer) */
} asizeof_state;

static struct PyModuleDef module_def;

static asizeof_state *state_of(PyObject *m)
{
    return (asizeof_state *)PyModule_GetState(m);
}

/* ======================================================================
 * errors
 * ====================================================================== */

/* _kwdstr(**kwds): ', '.join(sorted('%s=%r' % kv)) */
static PyObject *kwdstr(PyObject *kwds)
{
    PyObject *parts = PyList_New(0), *out = NULL;
    if (!parts)
        return NULL;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (kwds && PyDict_Next(kwds, &pos, &k, &v)) {
        PyObject *s = PyUnicode_FromFormat("%S=%R", k, v);
        if (!s || PyList_Append(parts, s) < 0) {
            Py_XDECREF(s);
            goto done;
        }
        Py_DECREF(s);
    }
    if (PyList_Sort(parts) < 0)
        goto done;
    PyObject *sep = PyUnicode_FromString(", ");
    if (sep) {
        out = PyUnicode_Join(sep, parts);
        Py_DECREF(sep);
    }
done:
    Py_DECREF(parts);
    return out;
}

/* _OptionError(where, Error, **options) raised. Always returns NULL. */
static PyObject *option_error(PyObject *exc, const char *where, PyObject *options)
{
    PyObject *s = kwdstr(options);
    if (!s)
        return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(options);
    PyObject *msg = PyUnicode_FromFormat("invalid option%s: %s(%U)", n != 1 ? "s" : "", where, s);
    Py_DECREF(s);
    if (msg) {
        PyErr_SetObject(exc, msg);
        Py_DECREF(msg);
    }
    return NULL;
}

static PyObject *option_error1(PyObject *exc, const char *where, const char *name, PyObject *value)
{
    PyObject *d = Py_BuildValue("{sO}", name, value);
    if (!d)
        return NULL;
    option_error(exc, where, d);
    Py_DECREF(d);
    return NULL;
}

/* A number option as a C value (ints, bools and floats as Pympler compares them). */
static int to_ssize(PyObject *v, const char *name, Py_ssize_t *out)
{
    if (PyFloat_Check(v)) {
        double d = PyFloat_AS_DOUBLE(v);
        if (!(d > -9.2e18 && d < 9.2e18)) {
            PyErr_Format(PyExc_ValueError, "asizeof option %s=%R is out of range", name, v);
            return -1;
        }
        *out = (Py_ssize_t)d;
        return 0;
    }
    if (!PyIndex_Check(v)) {
        PyErr_Format(PyExc_TypeError, "asizeof option %s must be a number, not %.100s", name, Py_TYPE(v)->tp_name);
        return -1;
    }
    *out = PyNumber_AsSsize_t(v, PyExc_OverflowError);
    return (*out == -1 && PyErr_Occurred()) ? -1 : 0;
}

/* A size given back to print_stats (an asizesof result): an int of up to
 * 128 bits, else what to_ssize accepts. */
static int to_wsize(PyObject *v, const char *name, pym_wsize *out)
{
    if (PyLong_Check(v))
        return pym_long_as_wsize(v, out);
    Py_ssize_t x;
    if (to_ssize(v, name, &x) < 0)
        return -1;
    *out = x;
    return 0;
}

static int to_double(PyObject *v, const char *name, double *out)
{
    if (!PyFloat_Check(v) && !PyIndex_Check(v)) {
        PyErr_Format(PyExc_TypeError, "asizeof option %s must be a number, not %.100s", name, Py_TYPE(v)->tp_name);
        return -1;
    }
    *out = PyFloat_AsDouble(v);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

/* ======================================================================
 * Asized
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    PyObject *flat, *name, *refs, *size;
} AsizedObject;

static int Asized_traverse(AsizedObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->flat);
    Py_VISIT(self->name);
    Py_VISIT(self->refs);
    Py_VISIT(self->size);
    return 0;
}

static int Asized_clear(AsizedObject *self)
{
    Py_CLEAR(self->flat);
    Py_CLEAR(self->name);
    Py_CLEAR(self->refs);
    Py_CLEAR(self->size);
    return 0;
}

static void Asized_dealloc(AsizedObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    /* the trashcan keeps deallocating a very deep tree off the C stack */
    Py_TRASHCAN_BEGIN(self, Asized_dealloc)
    Asized_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp); /* instances of a heap type own a reference to it */
    Py_TRASHCAN_END
}

static int Asized_init(AsizedObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"size", "flat", "refs", "name", NULL};
    PyObject *size, *flat, *refs = NULL, *name = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|OO:Asized", kwlist, &size, &flat, &refs, &name))
        return -1;
    PyObject *t = refs ? PySequence_Tuple(refs) : PyTuple_New(0);
    if (!t)
        return -1;
    Py_XSETREF(self->size, Py_NewRef(size));
    Py_XSETREF(self->flat, Py_NewRef(flat));
    Py_XSETREF(self->refs, t);
    Py_XSETREF(self->name, Py_NewRef(name));
    return 0;
}

/* The sizer's pym_asized_ctor; ctx is the module's Asized type. */
static PyObject *make_asized(void *ctx, pym_wsize size, pym_wsize flat, PyObject *refs, PyObject *name)
{
    AsizedObject *a = PyObject_GC_New(AsizedObject, (PyTypeObject *)ctx);
    if (!a)
        return NULL;
    a->size = pym_long_from_i128(size);
    a->flat = pym_long_from_i128(flat);
    a->refs = refs ? PyList_AsTuple(refs) : PyTuple_New(0);
    a->name = Py_NewRef(name);
    PyObject_GC_Track(a);
    if (!a->size || !a->flat || !a->refs) {
        Py_DECREF(a);
        return NULL;
    }
    return (PyObject *)a;
}

static PyObject *Asized_str(AsizedObject *self)
{
    Py_ssize_t n = self->refs ? PyObject_Length(self->refs) : 0;
    if (n < 0)
        return NULL;
    return PyUnicode_FromFormat("size %R, flat %R, refs[%zd], name %R", self->size ? self->size : Py_None,
                                self->flat ? self->flat : Py_None, n, self->name ? self->name : Py_None);
}

/* format % dict(size=..., flat=..., name=...) */
static PyObject *asized_line(AsizedObject *a, PyObject *fmt, PyObject *indent)
{
    PyObject *d = Py_BuildValue("{sOsOsO}", "size", a->size ? a->size : Py_None, "flat",
                                a->flat ? a->flat : Py_None, "name", a->name ? a->name : Py_None);
    if (!d)
        return NULL;
    PyObject *s = PyUnicode_Format(fmt, d);
    Py_DECREF(d);
    if (!s)
        return NULL;
    PyObject *line = PyUnicode_Concat(indent, s);
    Py_DECREF(s);
    return line;
}

/* sorted(refs, key=attrgetter(order_by), reverse=order_by in ('size', 'flat')) */
static PyObject *sorted_refs(PyObject *refs, PyObject *order_by)
{
    PyObject *op = PyImport_ImportModule("operator");
    if (!op)
        return NULL;
    PyObject *key = PyObject_CallMethod(op, "attrgetter", "O", order_by);
    Py_DECREF(op);
    if (!key)
        return NULL;
    int rev = PyUnicode_Check(order_by) && (PyUnicode_CompareWithASCIIString(order_by, "size") == 0 ||
                                            PyUnicode_CompareWithASCIIString(order_by, "flat") == 0);
    PyObject *list = PySequence_List(refs);
    if (!list) {
        Py_DECREF(key);
        return NULL;
    }
    PyObject *sort = PyObject_GetAttrString(list, "sort");
    PyObject *kw = Py_BuildValue("{sOsO}", "key", key, "reverse", rev ? Py_True : Py_False);
    PyObject *empty = PyTuple_New(0);
    PyObject *r = sort && kw && empty ? PyObject_Call(sort, empty, kw) : NULL;
    Py_XDECREF(sort);
    Py_XDECREF(kw);
    Py_XDECREF(empty);
    Py_DECREF(key);
    if (!r) {
        Py_DECREF(list);
        return NULL;
    }
    Py_DECREF(r);
    return list;
}

/* Asized.format: pre-order over the tree with an explicit stack of
 * (node, depth, indent) so that a deep tree cannot exhaust the C stack. */
static PyObject *Asized_format(AsizedObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"format", "depth", "order_by", "indent", NULL};
    PyObject *fmt = NULL, *depth = NULL, *order_by = NULL, *indent = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOOO:format", kwlist, &fmt, &depth, &order_by, &indent))
        return NULL;
    asizeof_state *st = pym_type_state(Py_TYPE(self), &module_def);
    if (!st)
        return NULL;
    PyObject *dfmt = NULL, *dord = NULL, *dind = NULL, *ddep = NULL;
    if (!fmt && !(fmt = dfmt = PyUnicode_FromString("%(name)s size=%(size)d flat=%(flat)d")))
        return NULL;
    if (!order_by && !(order_by = dord = PyUnicode_FromString("size")))
        goto fail0;
    if (!indent && !(indent = dind = PyUnicode_FromString("")))
        goto fail0;
    if (!depth && !(depth = ddep = PyLong_FromLong(-1)))
        goto fail0;
    PyObject *lines = PyList_New(0), *stack = PyList_New(0), *four = PyUnicode_FromString("    ");
    PyObject *item = NULL, *result = NULL;
    if (!lines || !stack || !four)
        goto done;
    item = PyTuple_Pack(3, (PyObject *)self, depth, indent);
    if (!item || PyList_Append(stack, item) < 0)
        goto done;
    Py_CLEAR(item);
    while (PyList_GET_SIZE(stack)) {
        Py_ssize_t top = PyList_GET_SIZE(stack) - 1;
        item = Py_NewRef(PyList_GET_ITEM(stack, top));
        if (PyList_SetSlice(stack, top, top + 1, NULL) < 0)
            goto done;
        PyObject *node = PyTuple_GET_ITEM(item, 0), *d = PyTuple_GET_ITEM(item, 1),
                 *ind = PyTuple_GET_ITEM(item, 2);
        PyObject *line = PyObject_TypeCheck(node, st->asized_type)
                             ? asized_line((AsizedObject *)node, fmt, ind)
                             : NULL;
        if (!line) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "Asized.format: refs must hold Asized objects");
            goto done;
        }
        int e = PyList_Append(lines, line);
        Py_DECREF(line);
        if (e < 0)
            goto done;
        PyObject *refs = ((AsizedObject *)node)->refs;
        int dt = PyObject_IsTrue(d);
        int rt = refs ? PyObject_IsTrue(refs) : 0;
        if (dt < 0 || rt < 0)
            goto done;
        if (dt && rt) {
            PyObject *rs = sorted_refs(refs, order_by);
            PyObject *one = PyLong_FromLong(1);
            PyObject *d1 = one ? PyNumber_Subtract(d, one) : NULL;
            PyObject *ind2 = PyUnicode_Concat(ind, four);
            Py_XDECREF(one);
            int ok = rs && d1 && ind2;
            for (Py_ssize_t i = ok ? PyList_GET_SIZE(rs) : 0; ok && i-- > 0;) {
                PyObject *t = PyTuple_Pack(3, PyList_GET_ITEM(rs, i), d1, ind2);
                ok = t && PyList_Append(stack, t) == 0;
                Py_XDECREF(t);
            }
            Py_XDECREF(rs);
            Py_XDECREF(d1);
            Py_XDECREF(ind2);
            if (!ok)
                goto done;
        }
        Py_CLEAR(item);
    }
    PyObject *nl = PyUnicode_FromString("\n");
    if (nl) {
        result = PyUnicode_Join(nl, lines);
        Py_DECREF(nl);
    }
done:
    Py_XDECREF(item);
    Py_XDECREF(lines);
    Py_XDECREF(stack);
    Py_XDECREF(four);
    Py_XDECREF(dfmt);
    Py_XDECREF(dord);
    Py_XDECREF(dind);
    Py_XDECREF(ddep);
    return result;
fail0:
    Py_XDECREF(dfmt);
    Py_XDECREF(dord);
    Py_XDECREF(dind);
    Py_XDECREF(ddep);
    return NULL;
}

static PyObject *Asized_get(AsizedObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"name", "dflt", NULL};
    PyObject *name, *dflt = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:get", kwlist, &name, &dflt))
        return NULL;
    PyObject *it = PyObject_GetIter(self->refs ? self->refs : Py_None);
    if (!it)
        return NULL;
    PyObject *ref;
    while ((ref = PyIter_Next(it))) {
        PyObject *rn = PyObject_GetAttrString(ref, "name");
        int eq = rn ? PyObject_RichCompareBool(name, rn, Py_EQ) : -1;
        Py_XDECREF(rn);
        if (eq != 0) {
            Py_DECREF(it);
            if (eq < 0) {
                Py_DECREF(ref);
                return NULL;
            }
            return ref;
        }
        Py_DECREF(ref);
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    return Py_NewRef(dflt);
}

static PyMemberDef Asized_members[] = {
    {"flat", T_OBJECT_EX, offsetof(AsizedObject, flat), 0, "flat size of the object (in bytes)"},
    {"name", T_OBJECT_EX, offsetof(AsizedObject, name), 0, "name or repr of the object"},
    {"refs", T_OBJECT_EX, offsetof(AsizedObject, refs), 0, "tuple of Asized for the referents"},
    {"size", T_OBJECT_EX, offsetof(AsizedObject, size), 0, "total size of the object (in bytes)"},
    {NULL, 0, 0, 0, NULL}};

static PyMethodDef Asized_methods[] = {
    {"format", (PyCFunction)(void (*)(void))Asized_format, METH_VARARGS | METH_KEYWORDS,
     "format(format='%(name)s size=%(size)d flat=%(flat)d', depth=-1, order_by='size', indent='')\n"
     "Format the size information of the object and of all sized referents."},
    {"get", (PyCFunction)(void (*)(void))Asized_get, METH_VARARGS | METH_KEYWORDS,
     "get(name, dflt=None)\nReturn the named referent (or dflt if not found)."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot Asized_slots[] = {
    {Py_tp_dealloc, Asized_dealloc},
    {Py_tp_str, Asized_str},
    {Py_tp_doc, "Asized(size, flat, refs=(), name=None)\n\nThe size, flat size, name and referents "
                "(a tuple of Asized) of one sized object."},
    {Py_tp_traverse, Asized_traverse},
    {Py_tp_clear, Asized_clear},
    {Py_tp_methods, Asized_methods},
    {Py_tp_members, Asized_members},
    {Py_tp_init, Asized_init},
    {Py_tp_new, PyType_GenericNew},
    {0, NULL}};

static PyType_Spec Asized_spec = {
    .name = "pympler.asizeof.Asized",
    .basicsize = sizeof(AsizedObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = Asized_slots,
};

/* ======================================================================
 * _Claskey: the "<class X def>" key of class objects
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    PyObject *obj;
} ClaskeyObject;

static void Claskey_dealloc(ClaskeyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    Py_XDECREF(self->obj);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *Claskey_str(ClaskeyObject *self)
{
    return pym_claskey_str(self->obj ? self->obj : Py_None);
}

static PyObject *Claskey_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *obj;
    if (!PyArg_ParseTuple(args, "O:_Claskey", &obj) || (kwds && PyDict_GET_SIZE(kwds))) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "_Claskey() takes no keyword arguments");
        return NULL;
    }
    ClaskeyObject *k = (ClaskeyObject *)type->tp_alloc(type, 0);
    if (k)
        k->obj = Py_NewRef(obj);
    return (PyObject *)k;
}

static PyMemberDef Claskey_members[] = {{"_obj", T_OBJECT, offsetof(ClaskeyObject, obj), READONLY, NULL},
                                        {NULL, 0, 0, 0, NULL}};

static PyType_Slot Claskey_slots[] = {
    {Py_tp_dealloc, Claskey_dealloc},
    {Py_tp_repr, Claskey_str},
    {Py_tp_str, Claskey_str},
    {Py_tp_doc, "Wrapper for class objects."},
    {Py_tp_members, Claskey_members},
    {Py_tp_new, Claskey_new},
    {0, NULL}};

static PyType_Spec Claskey_spec = {
    .name = "pympler.asizeof._Claskey",
    .basicsize = sizeof(ClaskeyObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = Claskey_slots,
};

static PyObject *claskey_new(asizeof_state *st, PyObject *cls)
{
    PyObject *args = PyTuple_Pack(1, cls);
    if (!args)
        return NULL;
    PyObject *k = Claskey_new(st->claskey_type, args, NULL);
    Py_DECREF(args);
    return k;
}

/* ======================================================================
 * Asizer
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    pym_sizer z;
    /* options as given (Pympler's properties return these objects) */
    PyObject *above, *align, *clip, *code, *cutoff, *derive, *detail, *frames, *infer, *limit, *stats,
        *stream;
    int incl; /* ' (incl. code)' in printed totals */
    int busy; /* a sizing run is in progress */
    PyObject *weakreflist;
    PyObject *asized_type; /* owned: the type the sizer's Asized are made of */
} AsizerObject;

#define ASIZER_OPTS(X) \
    X(above) X(align) X(clip) X(code) X(cutoff) X(derive) X(detail) X(frames) X(infer) X(limit) X(stats) X(stream)

static int Asizer_traverse(AsizerObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->asized_type);
#define VISIT(f) Py_VISIT(self->f);
    ASIZER_OPTS(VISIT)
#undef VISIT
    Py_VISIT(self->z.keepalive);
    Py_VISIT(self->z.excl_keys);
    for (size_t i = 0; i < self->z.nranks; i++)
        Py_VISIT(self->z.ranks[i].objref);
    for (size_t i = 0; i < self->z.nprofs; i++)
        Py_VISIT(self->z.profs[i].objref);
    return 0;
}

static int Asizer_clear_refs(AsizerObject *self)
{
#define CLEAR(f) Py_CLEAR(self->f);
    ASIZER_OPTS(CLEAR)
#undef CLEAR
    if (self->z.keepalive)
        PyList_SetSlice(self->z.keepalive, 0, PyList_GET_SIZE(self->z.keepalive), NULL);
    return 0;
}

static void Asizer_dealloc(AsizerObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (self->weakreflist)
        PyObject_ClearWeakRefs((PyObject *)self);
    Asizer_clear_refs(self);
    pym_sizer_fini(&self->z);
    Py_CLEAR(self->asized_type);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static int check_idle(AsizerObject *self)
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError,
                        "this Asizer is busy sizing (called again from a __sizeof__, __repr__ or __getattr__)");
        return -1;
    }
    return 0;
}

/* Pympler's _clear(): state gone; this module and the sizer excluded. */
static int asizer_clear_state(AsizerObject *self)
{
    if (pym_sizer_clear(&self->z) < 0)
        return -1;
    self->incl = 0;
    if (pym_sizer_seen_default(&self->z, (PyObject *)self, -1) < 0)
        return -1;
    PyObject *module = PyType_GetModuleByDef(Py_TYPE(self), &module_def); /* borrowed */
    if (!module)
        return -1;
    {
        PyObject *d = PyModule_GetDict(module); /* borrowed */
        PyObject *doc = d ? PyDict_GetItemString(d, "__doc__") : NULL;
        if (pym_sizer_seen_default(&self->z, module, -1) < 0 ||
            (d && pym_sizer_seen_default(&self->z, d, -1) < 0) ||
            (doc && pym_sizer_seen_default(&self->z, doc, -1) < 0))
            return -1;
    }
    return 0;
}

/* _c100(stats): (int part, cutoff from the fraction or the current cutoff) */
static void c100(AsizerObject *self, double stats, Py_ssize_t *s, Py_ssize_t *c)
{
    *s = (Py_ssize_t)stats;
    *c = (Py_ssize_t)((stats - (double)*s) * 100.0 + 0.5);
    if (!*c)
        *c = self->z.cutoff;
}

/* Asizer.set(above, align, code, cutoff, frames, detail, limit, stats);
 * NULL or None means "leave". */
static int asizer_set(AsizerObject *self, PyObject *above, PyObject *align, PyObject *code, PyObject *cutoff,
                      PyObject *frames, PyObject *detail, PyObject *limit, PyObject *stats)
{
#define GIVEN(o) ((o) && (o) != Py_None)
    Py_ssize_t v;
    if (GIVEN(above)) {
        PyObject *i = PyNumber_Long(above);
        if (!i || to_ssize(i, "above", &self->z.above) < 0) {
            Py_XDECREF(i);
            return -1;
        }
        Py_XSETREF(self->above, i);
    }
    if (GIVEN(align)) {
        if (to_ssize(align, "align", &v) < 0)
            return -1;
        Py_ssize_t m = 0;
        if (v > 1) {
            m = v - 1;
            if (m & v) {
                option_error1(PyExc_ValueError, "set", "align", align);
                return -1;
            }
        }
        Py_XSETREF(self->align, Py_NewRef(align));
        self->z.mask = m;
    }
    if (GIVEN(code)) {
        int t = PyObject_IsTrue(code);
        if (t < 0)
            return -1;
        Py_XSETREF(self->code, Py_NewRef(code));
        self->z.code = t;
        if (t)
            self->incl = 1;
    }
    if (GIVEN(detail)) {
        if (to_ssize(detail, "detail", &self->z.detail) < 0)
            return -1;
        Py_XSETREF(self->detail, Py_NewRef(detail));
    }
    if (GIVEN(frames)) {
        int t = PyObject_IsTrue(frames);
        if (t < 0)
            return -1;
        Py_XSETREF(self->frames, Py_NewRef(frames));
        self->z.frames = t;
    }
    if (GIVEN(limit)) {
        if (to_ssize(limit, "limit", &self->z.limit) < 0)
            return -1;
        Py_XSETREF(self->limit, Py_NewRef(limit));
    }
    if (GIVEN(stats)) {
        double st;
        if (to_double(stats, "stats", &st) < 0)
            return -1;
        if (st < 0) {
            option_error1(PyExc_ValueError, "set", "stats", stats);
            return -1;
        }
        Py_ssize_t s, c;
        c100(self, st, &s, &c);
        int ct = GIVEN(cutoff) ? PyObject_IsTrue(cutoff) : 0;
        if (ct < 0)
            return -1;
        PyObject *co;
        if (ct) {
            co = PyNumber_Long(cutoff);
            if (!co || to_ssize(co, "cutoff", &c) < 0) {
                Py_XDECREF(co);
                return -1;
            }
        }
        else if (!(co = PyLong_FromSsize_t(c))) {
            return -1;
        }
        Py_XSETREF(self->cutoff, co);
        self->z.cutoff = c;
        PyObject *so = PyLong_FromSsize_t(s);
        if (!so)
            return -1;
        Py_XSETREF(self->stats, so);
        self->z.stats = s;
        self->z.profile = s > 1;
    }
    return 0;
#undef GIVEN
}

static const char *const reset_names[] = {"above", "align", "clip", "code", "cutoff", "derive", "detail",
                                          "frames", "ignored", "infer", "limit", "stats", "stream"};
enum { R_ABOVE, R_ALIGN, R_CLIP, R_CODE, R_CUTOFF, R_DERIVE, R_DETAIL, R_FRAMES, R_IGNORED, R_INFER, R_LIMIT,
       R_STATS, R_STREAM, R_COUNT };

/* Asizer.reset(**opts) with Pympler's KeyError for unknown options. */
static int asizer_reset(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *v[R_COUNT] = {NULL};
    PyObject *owned[R_COUNT] = {NULL};
    PyObject *extra = NULL;
    int rc = -1;
    Py_ssize_t nargs = args ? PyTuple_GET_SIZE(args) : 0;
    if (nargs > R_COUNT) {
        PyErr_Format(PyExc_TypeError, "reset() takes at most %d positional arguments (%zd given)", R_COUNT, nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        v[i] = PyTuple_GET_ITEM(args, i);
    Py_ssize_t pos = 0;
    PyObject *k, *val;
    while (kwds && PyDict_Next(kwds, &pos, &k, &val)) {
        int found = -1;
        for (int i = 0; i < R_COUNT && PyUnicode_Check(k); i++) {
            if (PyUnicode_CompareWithASCIIString(k, reset_names[i]) == 0)
                found = i;
        }
        if (found < 0) {
            if (!extra && !(extra = PyDict_New()))
                goto done;
            if (PyDict_SetItem(extra, k, val) < 0)
                goto done;
            continue;
        }
        if (v[found]) {
            PyErr_Format(PyExc_TypeError, "reset() got multiple values for argument '%s'", reset_names[found]);
            goto done;
        }
        v[found] = val;
    }
    if (extra) {
        option_error(PyExc_KeyError, "reset", extra);
        goto done;
    }
    static const long dflt[R_COUNT] = {1024, 8, 80, 0, 10, 0, 0, 0, 1, 0, 100, 0, 0};
    for (int i = 0; i < R_COUNT; i++) {
        if (v[i])
            continue;
        if (i == R_STREAM)
            v[i] = Py_None;
        else if (i == R_CODE || i == R_DERIVE || i == R_FRAMES || i == R_INFER || i == R_IGNORED)
            v[i] = dflt[i] ? Py_True : Py_False;
        else if (!(v[i] = owned[i] = PyLong_FromLong(dflt[i])))
            goto done;
    }
    pym_sizer *z = &self->z;
    Py_ssize_t above, clip, cutoff, detail, limit;
    int code, derive, frames, ignored, infer;
    if (to_ssize(v[R_ABOVE], "above", &above) < 0 || to_ssize(v[R_CLIP], "clip", &clip) < 0 ||
        to_ssize(v[R_CUTOFF], "cutoff", &cutoff) < 0 || to_ssize(v[R_DETAIL], "detail", &detail) < 0 ||
        to_ssize(v[R_LIMIT], "limit", &limit) < 0)
        goto done;
    if ((code = PyObject_IsTrue(v[R_CODE])) < 0 || (derive = PyObject_IsTrue(v[R_DERIVE])) < 0 ||
        (frames = PyObject_IsTrue(v[R_FRAMES])) < 0 || (ignored = PyObject_IsTrue(v[R_IGNORED])) < 0 ||
        (infer = PyObject_IsTrue(v[R_INFER])) < 0)
        goto done;
    z->above = above;
    z->clip = clip;
    z->cutoff = cutoff;
    z->detail = detail;
    z->limit = limit;
    z->code = code;
    z->derive = derive;
    z->frames = frames;
    z->ignored = ignored;
    z->infer = infer;
    Py_XSETREF(self->above, Py_NewRef(v[R_ABOVE]));
    Py_XSETREF(self->align, Py_NewRef(v[R_ALIGN]));
    Py_XSETREF(self->clip, Py_NewRef(v[R_CLIP]));
    Py_XSETREF(self->code, Py_NewRef(v[R_CODE]));
    Py_XSETREF(self->cutoff, Py_NewRef(v[R_CUTOFF]));
    Py_XSETREF(self->derive, Py_NewRef(v[R_DERIVE]));
    Py_XSETREF(self->detail, Py_NewRef(v[R_DETAIL]));
    Py_XSETREF(self->frames, Py_NewRef(v[R_FRAMES]));
    Py_XSETREF(self->infer, Py_NewRef(v[R_INFER]));
    Py_XSETREF(self->limit, Py_NewRef(v[R_LIMIT]));
    Py_XSETREF(self->stats, Py_NewRef(v[R_STATS]));
    Py_XSETREF(self->stream, v[R_STREAM] == Py_None ? NULL : Py_NewRef(v[R_STREAM]));
    if (asizer_clear_state(self) < 0)
        goto done;
    rc = asizer_set(self, NULL, v[R_ALIGN], v[R_CODE], v[R_CUTOFF], NULL, NULL, NULL, v[R_STATS]);
done:
    for (int i = 0; i < R_COUNT; i++)
        Py_XDECREF(owned[i]);
    Py_XDECREF(extra);
    return rc;
}

static int Asizer_init(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args)) {
        PyErr_SetString(PyExc_TypeError, "Asizer() takes only keyword options");
        return -1;
    }
    if (check_idle(self) < 0)
        return -1;
    return asizer_reset(self, NULL, kwds);
}

static PyObject *Asizer_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)args;
    (void)kwds;
    asizeof_state *st = pym_type_state(type, &module_def);
    if (!st)
        return NULL;
    AsizerObject *self = (AsizerObject *)type->tp_alloc(type, 0);
    if (!self)
        return NULL;
    self->asized_type = Py_NewRef((PyObject *)st->asized_type);
    if (pym_sizer_init(&self->z, make_asized, self->asized_type) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* ---- sizing ----------------------------------------------------------- */

static int apply_set_kwargs(AsizerObject *self, PyObject *kwds)
{
    if (!kwds || !PyDict_GET_SIZE(kwds))
        return 0;
    static const char *const names[] = {"above", "align", "code", "cutoff", "frames", "detail", "limit", "stats"};
    PyObject *v[8] = {NULL};
    Py_ssize_t pos = 0;
    PyObject *k, *val;
    while (PyDict_Next(kwds, &pos, &k, &val)) {
        int found = -1;
        for (int i = 0; i < 8 && PyUnicode_Check(k); i++) {
            if (PyUnicode_CompareWithASCIIString(k, names[i]) == 0)
                found = i;
        }
        if (found < 0) {
            PyErr_Format(PyExc_TypeError, "Asizer.set() got an unexpected keyword argument '%S'", k);
            return -1;
        }
        v[found] = val;
    }
    return asizer_set(self, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
}

static int exclude_refs(AsizerObject *self, PyObject *objs)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(objs); i++) {
        if (pym_sizer_seen_default(&self->z, PyTuple_GET_ITEM(objs, i), 0) < 0)
            return -1;
    }
    return 0;
}

/* Size one top-level object; busy-guarded. */
static pym_wsize size_one(AsizerObject *self, PyObject *o, PyObject **asized)
{
    self->busy = 1;
    pym_wsize s = pym_sizer_size(&self->z, o, asized);
    self->busy = 0;
    return s;
}

/* Asizer.asizeof(*objs) without option handling */
static PyObject *asizer_asizeof_impl(AsizerObject *self, PyObject *objs)
{
    if (exclude_refs(self, objs) < 0)
        return NULL;
    pym_wsize total = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(objs); i++) {
        pym_wsize s = size_one(self, PyTuple_GET_ITEM(objs, i), NULL);
        if (s < 0)
            return NULL;
        total += s;
    }
    return pym_long_from_i128(total);
}

/* Pympler's _sizes(objs, sized): one result per object, duplicates repeated. */
static PyObject *asizer_sizes(AsizerObject *self, PyObject *objs, int asized)
{
    if (exclude_refs(self, objs) < 0)
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(objs);
    PyObject *out = PyTuple_New(n), *done = PyDict_New();
    if (!out || !done)
        goto error;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyTuple_GET_ITEM(objs, i);
        PyObject *id = PyLong_FromVoidPtr(o);
        if (!id)
            goto error;
        PyObject *prev = PyDict_GetItemWithError(done, id); /* borrowed */
        PyObject *r = NULL;
        if (prev) {
            if (pym_sizer_seen_again(&self->z, o) < 0) {
                Py_DECREF(id);
                goto error;
            }
            r = Py_NewRef(prev);
        }
        else if (!PyErr_Occurred()) {
            PyObject *a = NULL;
            pym_wsize s = size_one(self, o, asized ? &a : NULL);
            if (s >= 0)
                r = asized ? a : pym_long_from_i128(s);
            if (r && PyDict_SetItem(done, id, r) < 0)
                Py_CLEAR(r);
        }
        Py_DECREF(id);
        if (!r)
            goto error;
        PyTuple_SET_ITEM(out, i, r);
    }
    Py_DECREF(done);
    return out;
error:
    Py_XDECREF(out);
    Py_XDECREF(done);
    return NULL;
}

static PyObject *Asizer_asizeof(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    if (check_idle(self) < 0 || apply_set_kwargs(self, kwds) < 0)
        return NULL;
    return asizer_asizeof_impl(self, args);
}

static PyObject *Asizer_asizesof(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    if (check_idle(self) < 0 || apply_set_kwargs(self, kwds) < 0)
        return NULL;
    return asizer_sizes(self, args, 0);
}

static PyObject *unwrap_single(PyObject *t)
{
    if (t && PyTuple_GET_SIZE(t) == 1) {
        PyObject *a = Py_NewRef(PyTuple_GET_ITEM(t, 0));
        Py_DECREF(t);
        return a;
    }
    return t;
}

static PyObject *Asizer_asized(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    if (check_idle(self) < 0 || apply_set_kwargs(self, kwds) < 0)
        return NULL;
    return unwrap_single(asizer_sizes(self, args, 1));
}

static PyObject *Asizer_exclude_objs(AsizerObject *self, PyObject *args)
{
    if (check_idle(self) < 0)
        return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); i++) {
        if (pym_sizer_seen_default(&self->z, PyTuple_GET_ITEM(args, i), -1) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *Asizer_exclude_refs(AsizerObject *self, PyObject *args)
{
    if (check_idle(self) < 0 || exclude_refs(self, args) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Asizer_exclude_types(AsizerObject *self, PyObject *args)
{
    if (check_idle(self) < 0)
        return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); i++) {
        if (pym_sizer_exclude_type(&self->z, PyTuple_GET_ITEM(args, i)) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *Asizer_reset(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    if (check_idle(self) < 0 || asizer_reset(self, args, kwds) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Asizer_set(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"above", "align", "code", "cutoff", "frames", "detail", "limit", "stats", NULL};
    PyObject *v[8] = {NULL};
    if (check_idle(self) < 0)
        return NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOOOOOOO:set", kwlist, &v[0], &v[1], &v[2], &v[3], &v[4],
                                     &v[5], &v[6], &v[7]))
        return NULL;
    if (asizer_set(self, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Asizer__clear(AsizerObject *self, PyObject *unused)
{
    (void)unused;
    if (check_idle(self) < 0 || asizer_clear_state(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* ---- printing --------------------------------------------------------- */

/* Split print_xxx(w=0, cutoff=0, **print3options) style arguments. */
static int print_args(PyObject *args, PyObject *kwds, const char *const *names, int n, PyObject **vals,
                      PyObject **p3)
{
    *p3 = PyDict_New();
    if (!*p3)
        return -1;
    if (PyTuple_GET_SIZE(args) > n) {
        PyErr_SetString(PyExc_TypeError, "too many positional arguments");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); i++)
        vals[i] = PyTuple_GET_ITEM(args, i);
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (kwds && PyDict_Next(kwds, &pos, &k, &v)) {
        int found = -1;
        for (int i = 0; i < n && PyUnicode_Check(k); i++) {
            if (PyUnicode_CompareWithASCIIString(k, names[i]) == 0)
                found = i;
        }
        if (found >= 0)
            vals[found] = v;
        else if (PyDict_SetItem(*p3, k, v) < 0)
            return -1;
    }
    return 0;
}

static pym_report report_of(AsizerObject *self, PyObject *p3)
{
    pym_report r = {&self->z, self->stream, p3, self->incl ? " (incl. code)" : ""};
    return r;
}

static Py_ssize_t int_arg(PyObject *v, const char *name, Py_ssize_t dflt, int *err)
{
    Py_ssize_t x = dflt;
    if (v && to_ssize(v, name, &x) < 0)
        *err = 1;
    return x;
}

static PyObject *print_two(AsizerObject *self, PyObject *args, PyObject *kwds, int which)
{
    static const char *const names[] = {"w", "cutoff"};
    PyObject *vals[2] = {NULL, NULL}, *p3 = NULL;
    int err = 0, rc = -1;
    if (print_args(args, kwds, names, 2, vals, &p3) == 0) {
        Py_ssize_t w = int_arg(vals[0], "w", 0, &err), c = int_arg(vals[1], "cutoff", 0, &err);
        pym_report r = report_of(self, p3);
        if (!err)
            rc = which ? pym_report_profiles(&r, w, c) : pym_report_largest(&r, w, c);
    }
    Py_XDECREF(p3);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Asizer_print_largest(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    return print_two(self, args, kwds, 0);
}

static PyObject *Asizer_print_profiles(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    return print_two(self, args, kwds, 1);
}

static PyObject *Asizer_print_summary(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    static const char *const names[] = {"w", "objs"};
    PyObject *vals[2] = {NULL, NULL}, *p3 = NULL;
    int err = 0, rc = -1;
    if (print_args(args, kwds, names, 2, vals, &p3) == 0) {
        Py_ssize_t w = int_arg(vals[0], "w", 0, &err), n = 0;
        if (vals[1] && vals[1] != Py_None && (n = PyObject_Length(vals[1])) < 0)
            err = 1;
        pym_report r = report_of(self, p3);
        if (!err)
            rc = pym_report_summary(&r, w, n);
    }
    Py_XDECREF(p3);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *Asizer_print_typedefs(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    static const char *const names[] = {"w"};
    PyObject *vals[1] = {NULL}, *p3 = NULL;
    int err = 0, rc = -1;
    if (print_args(args, kwds, names, 1, vals, &p3) == 0) {
        Py_ssize_t w = int_arg(vals[0], "w", 0, &err);
        pym_report r = report_of(self, p3);
        if (!err)
            rc = pym_report_typedefs(&r, w);
    }
    Py_XDECREF(p3);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* Asizer.print_stats(objs=(), opts={}, sized=(), sizes=(), stats=3, **print3options) */
static int print_stats(AsizerObject *self, PyObject *objs, PyObject *opts, PyObject *sized, PyObject *sizes,
                       PyObject *stats_arg, PyObject *p3)
{
    double sv = 3;
    PyObject *so = opts ? PyDict_GetItemString(opts, "stats") : NULL;
    if (!so)
        so = stats_arg;
    if (so) {
        int t = PyObject_IsTrue(so);
        if (t < 0)
            return -1;
        if (!t)
            sv = 0;
        else if (to_double(so, "stats", &sv) < 0)
            return -1;
    }
    if ((double)self->z.stats < sv)
        sv = (double)self->z.stats;
    if (!(sv > 0))
        return 0;
    Py_ssize_t sized_n, seen_n, dup;
    pym_sizer_counts(&self->z, &sized_n, &seen_n, &dup);
    char b[64];
    int w = (int)strlen(pym_wsize_str(b, sizeof b, 0, self->z.missed + seen_n + self->z.total)) + 1;
    pym_report r = report_of(self, p3);
    PyObject *o = kwdstr(opts);
    if (!o)
        return -1;
    Py_ssize_t nobjs = objs && objs != Py_None ? PyObject_Length(objs) : 0;
    if (nobjs < 0) {
        Py_DECREF(o);
        return -1;
    }
    const char *c = PyUnicode_GET_LENGTH(o) && nobjs ? ", " : "";
    int rc = -1;
    int has_sized = sized && sized != Py_None ? PyObject_IsTrue(sized) : 0;
    int has_sizes = sizes && sizes != Py_None ? PyObject_IsTrue(sizes) : 0;
    if (has_sized < 0 || has_sizes < 0)
        goto done;
    if (has_sized && nobjs) {
        if (nobjs > 1) {
            if (pym_report_printf(&r, "\nasized(...%s%U) ...", c, o) < 0)
                goto done;
            for (Py_ssize_t i = 0; i < nobjs; i++) {
                PyObject *a = PySequence_GetItem(sized, i);
                if (!a)
                    goto done;
                snprintf(b, sizeof b, "%*zd", w - 1, i);
                int e = pym_report_printf(&r, "%s: %S", b, a);
                Py_DECREF(a);
                if (e < 0)
                    goto done;
            }
        }
        else if (pym_report_printf(&r, "\nasized(%U): %S", o, sized) < 0) {
            goto done;
        }
    }
    else if (has_sizes && nobjs) {
        if (pym_report_printf(&r, "\nasizesof(...%s%U) ...", c, o) < 0)
            goto done;
        PyObject *si = PySequence_Fast(sizes, "sizes must be a sequence"), *ob = si ? PySequence_Fast(objs, "objs must be a sequence") : NULL;
        int ok = si && ob;
        Py_ssize_t n = ok ? PySequence_Fast_GET_SIZE(si) : 0;
        if (ok && PySequence_Fast_GET_SIZE(ob) < n)
            n = PySequence_Fast_GET_SIZE(ob);
        for (Py_ssize_t i = 0; ok && i < n; i++) {
            pym_wsize zsz;
            if (to_wsize(PySequence_Fast_GET_ITEM(si, i), "sizes", &zsz) < 0) {
                ok = 0;
                break;
            }
            PyObject *ssi = pym_si(zsz), *rp = ssi ? pym_repr_clip(PySequence_Fast_GET_ITEM(ob, i), self->z.clip) : NULL;
            pym_wsize_str(b, sizeof b, w, zsz);
            ok = ssi && rp && pym_report_printf(&r, "%s bytes%U%s:  %U", b, ssi, r.incl, rp) == 0;
            Py_XDECREF(ssi);
            Py_XDECREF(rp);
        }
        Py_XDECREF(si);
        Py_XDECREF(ob);
        if (!ok)
            goto done;
    }
    else {
        PyObject *t = nobjs ? pym_repr_clip(objs, self->z.clip) : PyUnicode_FromString("");
        if (!t)
            goto done;
        int e = pym_report_printf(&r, "\nasizeof(%U%s%U) ...", t, c, o);
        Py_DECREF(t);
        if (e < 0)
            goto done;
    }
    if (pym_report_summary(&r, w, nobjs) < 0)
        goto done;
    Py_ssize_t s, cc;
    c100(self, sv, &s, &cc);
    if (pym_report_largest(&r, w, s < 2 ? cc : 10) < 0)
        goto done;
    if (s > 1 && pym_report_profiles(&r, w, cc) < 0)
        goto done;
    if (s > 2 && pym_report_typedefs(&r, w) < 0)
        goto done;
    rc = 0;
done:
    Py_DECREF(o);
    return rc;
}

static PyObject *Asizer_print_stats(AsizerObject *self, PyObject *args, PyObject *kwds)
{
    static const char *const names[] = {"objs", "opts", "sized", "sizes", "stats"};
    PyObject *vals[5] = {NULL}, *p3 = NULL;
    int rc = -1;
    if (print_args(args, kwds, names, 5, vals, &p3) == 0) {
        if (vals[1] && !PyDict_Check(vals[1]))
            PyErr_SetString(PyExc_TypeError, "print_stats: opts must be a dict");
        else
            rc = print_stats(self, vals[0], vals[1], vals[2], vals[3], vals[4], p3);
    }
    Py_XDECREF(p3);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* ---- properties ------------------------------------------------------- */

#define OPT_GETTER(f)                                                   \
    static PyObject *Asizer_get_##f(AsizerObject *self, void *closure)  \
    {                                                                   \
        (void)closure;                                                  \
        return Py_NewRef(self->f ? self->f : Py_None);                  \
    }
OPT_GETTER(above)
OPT_GETTER(align)
OPT_GETTER(clip)
OPT_GETTER(code)
OPT_GETTER(cutoff)
OPT_GETTER(derive)
OPT_GETTER(detail)
OPT_GETTER(frames)
OPT_GETTER(infer)
OPT_GETTER(limit)
OPT_GETTER(stats)
#undef OPT_GETTER

static PyObject *Asizer_get_ignored(AsizerObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->z.ignored);
}

static PyObject *Asizer_get_count(AsizerObject *self, void *closure)
{
    Py_ssize_t v[3];
    pym_sizer_counts(&self->z, &v[0], &v[1], &v[2]);
    return PyLong_FromSsize_t(v[(intptr_t)closure]);
}

static PyObject *Asizer_get_missed(AsizerObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(self->z.missed);
}

static PyObject *Asizer_get_ranked(AsizerObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(self->z.ranked);
}

static PyObject *Asizer_get_total(AsizerObject *self, void *closure)
{
    (void)closure;
    return pym_long_from_i128(self->z.total);
}

static PyObject *Asizer_get_excluded(AsizerObject *self, void *closure)
{
    (void)closure;
    asizeof_state *st = pym_type_state(Py_TYPE(self), &module_def);
    if (!st)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(self->z.excl_keys);
    PyObject *t = PyTuple_New(n);
    for (Py_ssize_t i = 0; t && i < n; i++) {
        PyObject *e = PyList_GET_ITEM(self->z.excl_keys, i);
        PyObject *o = PyTuple_GET_ITEM(e, 0);
        PyObject *k = PyTuple_GET_ITEM(e, 1) == Py_True ? claskey_new(st, o) : Py_NewRef(o);
        if (!k) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, k);
    }
    return t;
}

static PyGetSetDef Asizer_getset[] = {
    {"above", (getter)Asizer_get_above, NULL, "Get the large object size threshold (int).", NULL},
    {"align", (getter)Asizer_get_align, NULL, "Get the size alignment (int).", NULL},
    {"clip", (getter)Asizer_get_clip, NULL, "Get the clipped string length (int).", NULL},
    {"code", (getter)Asizer_get_code, NULL, "Size (byte) code (bool).", NULL},
    {"cutoff", (getter)Asizer_get_cutoff, NULL, "Stats cutoff (int).", NULL},
    {"derive", (getter)Asizer_get_derive, NULL, "Derive types (bool).", NULL},
    {"detail", (getter)Asizer_get_detail, NULL, "Get the detail level for Asized refs (int).", NULL},
    {"duplicate", (getter)Asizer_get_count, NULL, "Get the number of duplicate objects seen so far (int).",
     (void *)2},
    {"excluded", (getter)Asizer_get_excluded, NULL, "Get the types being excluded (tuple).", NULL},
    {"frames", (getter)Asizer_get_frames, NULL, "Ignore stack frames (bool).", NULL},
    {"ignored", (getter)Asizer_get_ignored, NULL, "Ignore certain types (bool).", NULL},
    {"infer", (getter)Asizer_get_infer, NULL, "Infer types (bool).", NULL},
    {"limit", (getter)Asizer_get_limit, NULL, "Get the recursion limit (int).", NULL},
    {"missed", (getter)Asizer_get_missed, NULL, "Get the number of objects missed due to errors (int).", NULL},
    {"ranked", (getter)Asizer_get_ranked, NULL, "Get the number objects ranked by size so far (int).", NULL},
    {"seen", (getter)Asizer_get_count, NULL, "Get the number objects seen so far (int).", (void *)1},
    {"sized", (getter)Asizer_get_count, NULL, "Get the number objects sized so far (int).", (void *)0},
    {"stats", (getter)Asizer_get_stats, NULL, "Get the stats and cutoff setting (float).", NULL},
    {"total", (getter)Asizer_get_total, NULL, "Get the total size (in bytes) accumulated so far.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

/* ---- private helpers of Pympler's module that its tests call ----------- */

/* _items(obj), _keys(obj), _values(obj): obj.iterX when it has one, else
 * obj.X; called when callable, else itself or (). */
static PyObject *dict_view(PyObject *obj, const char *iter_name, const char *name)
{
    PyObject *o = pym_getattr_optional(obj, iter_name);
    if (!o && PyErr_Occurred())
        return NULL;
    if (!o && !(o = PyObject_GetAttrString(obj, name)))
        return NULL;
    if (PyCallable_Check(o)) {
        PyObject *r = PyObject_CallNoArgs(o);
        Py_DECREF(o);
        return r;
    }
    int t = PyObject_IsTrue(o);
    if (t != 0) {
        if (t < 0)
            Py_CLEAR(o);
        return o;
    }
    Py_DECREF(o);
    return PyTuple_New(0);
}

static PyObject *mod_items(PyObject *m, PyObject *obj)
{
    (void)m;
    return dict_view(obj, "iteritems", "items");
}

static PyObject *mod_keys(PyObject *m, PyObject *obj)
{
    (void)m;
    return dict_view(obj, "iterkeys", "keys");
}

static PyObject *mod_values(PyObject *m, PyObject *obj)
{
    (void)m;
    return dict_view(obj, "itervalues", "values");
}

/* _p100(part, total, prec=1): part as a percentage of total ('12.5%'), or
 * 'n/a' when total is not positive. */
static PyObject *mod_p100(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"part", "total", "prec", NULL};
    PyObject *part, *total;
    int prec = 1;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|i:_p100", kwlist, &part, &total, &prec))
        return NULL;
    PyObject *tf = PyNumber_Float(total); /* float(total): '12' works, 'x' is ValueError */
    if (!tf)
        return NULL;
    double t = PyFloat_AS_DOUBLE(tf), p;
    Py_DECREF(tf);
    if (!(t > 0))
        return PyUnicode_FromString("n/a");
    if ((p = PyFloat_AsDouble(part)) == -1.0 && PyErr_Occurred())
        return NULL;
    if (prec < 0)
        prec = 0;
    char *num = PyOS_double_to_string(p * 100.0 / t, 'f', prec, 0, NULL);
    if (!num)
        return PyErr_NoMemory();
    PyObject *r = PyUnicode_FromFormat("%s%%", num);
    PyMem_Free(num);
    return r;
}

/* _prepr(obj, clip=0): repr clipped, without <> and quotes. */
static PyObject *mod_prepr(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"obj", "clip", NULL};
    PyObject *obj;
    Py_ssize_t clip = 0;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|n:_prepr", kwlist, &obj, &clip))
        return NULL;
    return pym_prepr(obj, clip);
}

/* _seq_refs(obj, unused): the sequence itself (its items are the referents). */
static PyObject *mod_seq_refs(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"obj", "unused", NULL};
    PyObject *obj, *unused;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:_seq_refs", kwlist, &obj, &unused))
        return NULL;
    return Py_NewRef(obj);
}

/* _len_int(obj): the length of an int in digits, from sys.getsizeof(obj, 0). */
static PyObject *mod_len_int(PyObject *m, PyObject *obj)
{
    (void)m;
    PyObject *getsizeof = PySys_GetObject("getsizeof"); /* borrowed */
    if (!getsizeof) {
        PyErr_SetString(PyExc_RuntimeError, "lost sys.getsizeof");
        return NULL;
    }
    PyObject *zero = PyLong_FromLong(0);
    PyObject *s = zero ? PyObject_CallFunctionObjArgs(getsizeof, obj, zero, NULL) : NULL;
    Py_XDECREF(zero);
    if (!s)
        return NULL;
    Py_ssize_t n = PyLong_AsSsize_t(s);
    Py_DECREF(s);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    n -= PyLong_Type.tp_basicsize;
    return PyLong_FromSsize_t(n > 0 ? n / PyLong_Type.tp_itemsize : 0);
}

/* _co_refs, _dict_refs, _inst_refs (obj, named): the referents of obj as
 * refs() (named false) or named_refs() (named true) give them; obj's own
 * rules decide them (Pympler's apply the code / dict / instance rules to
 * whatever they are given). */
static PyObject *kind_refs(PyObject *m, PyObject *args, PyObject *kw, const char *fname)
{
    static char *kwlist[] = {"obj", "named", NULL};
    PyObject *obj, *named;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO", kwlist, &obj, &named)) {
        (void)fname;
        return NULL;
    }
    int t = PyObject_IsTrue(named);
    if (t < 0)
        return NULL;
    PyObject *fn = PyObject_GetAttrString(m, t ? "named_refs" : "refs");
    PyObject *r = fn ? PyObject_CallOneArg(fn, obj) : NULL;
    Py_XDECREF(fn);
    return r;
}

static PyObject *mod_co_refs(PyObject *m, PyObject *args, PyObject *kw)
{
    return kind_refs(m, args, kw, "_co_refs");
}

static PyObject *mod_dict_refs(PyObject *m, PyObject *args, PyObject *kw)
{
    return kind_refs(m, args, kw, "_dict_refs");
}

static PyObject *mod_inst_refs(PyObject *m, PyObject *args, PyObject *kw)
{
    return kind_refs(m, args, kw, "_inst_refs");
}

/* ---- _Typedef and _typedefs ----------------------------------------------- */

/* _Typedef: one type rule as Pympler shows it, its fields in the instance
 * __dict__ (base, item, leng, refs, kind, both, vari, type); format() gives
 * Pympler's format dict.  Made by _typedefs; a snapshot, not the rule. */
static PyObject *Typedef_format(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *d = PyObject_GenericGetDict(self, NULL), *r = NULL, *leng = NULL;
    if (!d)
        return NULL;
    PyObject *l = PyDict_GetItemString(d, "leng"), *vari = PyDict_GetItemString(d, "vari");
    PyObject *both = PyDict_GetItemString(d, "both"), *item = PyDict_GetItemString(d, "item");
    PyObject *base = PyDict_GetItemString(d, "base"), *kind = PyDict_GetItemString(d, "kind");
    if (!l || !vari || !both || !item || !base || !kind) {
        PyErr_SetString(PyExc_AttributeError, "_Typedef lost one of its fields");
        goto done;
    }
    leng = l == Py_None ? PyUnicode_FromString("") : PyUnicode_FromFormat(" (%S)", l);
    if (leng)
        r = Py_BuildValue("{sOsNsssOsO}", "leng", leng, "item", vari == Py_True ? Py_BuildValue("s", "var") : Py_NewRef(item),
                          "code", both == Py_True ? "" : " (code only)", "base", base, "kind", kind);
done:
    Py_XDECREF(leng);
    Py_DECREF(d);
    return r;
}

static PyMethodDef Typedef_methods[] = {
    {"format", Typedef_format, METH_NOARGS, "format($self, /)\n--\n\nReturn format dict."},
    PYM_DICTOBJ_REDUCE_EX,
    {NULL, NULL, 0, NULL}};

static PyTypeObject Typedef_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pympler.asizeof._Typedef",
    PYM_DICTOBJ_FIELDS,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "_Typedef()\n--\n\nA type rule of asizeof as Pympler shows it (made by _typedefs).",
    .tp_methods = Typedef_methods,
};

/* A _Typedef of td.  New reference or NULL. */
static PyObject *typedef_object(const pym_typedef *td)
{
    const char *l = pym_leng_name(td->leng), *f = pym_refs_name(td->refs);
    PyObject *o = PyType_GenericNew(&Typedef_Type, NULL, NULL);
    PyObject *fields = o ? Py_BuildValue("{snsnszszsssOsOsO}", "base", td->base, "item", td->item, "leng", l,
                                         "refs", f, "kind", pym_kind_name(td->kind), "both",
                                         td->both ? Py_True : Py_False, "vari", td->vari ? Py_True : Py_False,
                                         "type", td->type ? td->type : Py_None)
                         : NULL;
    if (!fields || PyObject_GenericSetDict(o, fields, NULL) < 0)
        Py_CLEAR(o);
    Py_XDECREF(fields);
    return o;
}

/* _typedefs: a new dict of the process-wide rules (the builtin ones, in
 * Pympler's order, and those saved by basicsize(save=True)), keyed as
 * Pympler's: the type for its instances, a _Claskey for a class object. */
static PyObject *typedefs_snapshot(PyObject *m)
{
    asizeof_state *st = state_of(m);
    PyObject *d = PyDict_New();
    size_t pos = 0;
    uintptr_t key;
    pym_typedef *td;
    if (!d)
        return NULL;
    while (pym_tdtab_next(pym_td_global(), &pos, &key, &td)) {
        PyObject *k = key & PYM_TD_CLASSKEY ? claskey_new(st, pym_td_key_object(key))
                                            : Py_NewRef(pym_td_key_object(key));
        PyObject *v = k ? typedef_object(td) : NULL;
        int e = v ? PyDict_SetItem(d, k, v) : -1;
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (e < 0) {
            Py_DECREF(d);
            return NULL;
        }
    }
    return d;
}

#define KW (METH_VARARGS | METH_KEYWORDS)
#define FN(f) (PyCFunction)(void (*)(void))(f)
static PyMethodDef Asizer_methods[] = {
    {"asized", FN(Asizer_asized), KW, "asized(*objs, **opts): an Asized for each object (one if one given)."},
    {"asizeof", FN(Asizer_asizeof), KW, "asizeof(*objs, **opts): the combined size of the objects."},
    {"asizesof", FN(Asizer_asizesof), KW, "asizesof(*objs, **opts): the individual sizes of the objects."},
    {"exclude_objs", FN(Asizer_exclude_objs), METH_VARARGS, "Exclude the objects from sizing, profiling and ranking."},
    {"exclude_refs", FN(Asizer_exclude_refs), METH_VARARGS, "Exclude any references to the objects from sizing."},
    {"exclude_types", FN(Asizer_exclude_types), METH_VARARGS, "Exclude the instances and types of the given classes."},
    {"print_largest", FN(Asizer_print_largest), KW, "print_largest(w=0, cutoff=0, **print3options)"},
    {"print_profiles", FN(Asizer_print_profiles), KW, "print_profiles(w=0, cutoff=0, **print3options)"},
    {"print_stats", FN(Asizer_print_stats), KW,
     "print_stats(objs=(), opts={}, sized=(), sizes=(), stats=3, **print3options)"},
    {"print_summary", FN(Asizer_print_summary), KW, "print_summary(w=0, objs=(), **print3options)"},
    {"print_typedefs", FN(Asizer_print_typedefs), KW, "print_typedefs(w=0, **print3options)"},
    {"reset", FN(Asizer_reset), KW,
     "reset(above=1024, align=8, clip=80, code=False, cutoff=10, derive=False, detail=0, frames=False, "
     "ignored=True, infer=False, limit=100, stats=0, stream=None)"},
    {"set", FN(Asizer_set), KW,
     "set(above=None, align=None, code=None, cutoff=None, frames=None, detail=None, limit=None, stats=None)"},
    {"_clear", FN(Asizer__clear), METH_NOARGS, "Clear state."},
    {NULL, NULL, 0, NULL}};

static PyMemberDef Asizer_members[] = {
    {"__weaklistoffset__", T_PYSSIZET, offsetof(AsizerObject, weakreflist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyType_Slot Asizer_slots[] = {
    {Py_tp_dealloc, Asizer_dealloc},
    {Py_tp_doc, "Asizer(**opts)\n\nSizer state and options to accumulate sizes."},
    {Py_tp_traverse, Asizer_traverse},
    {Py_tp_clear, Asizer_clear_refs},
    {Py_tp_methods, Asizer_methods},
    {Py_tp_members, Asizer_members},
    {Py_tp_getset, Asizer_getset},
    {Py_tp_init, Asizer_init},
    {Py_tp_new, Asizer_new},
    {0, NULL}};

static PyType_Spec Asizer_spec = {
    .name = "pympler.asizeof.Asizer",
    .basicsize = sizeof(AsizerObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = Asizer_slots,
};

/* ======================================================================
 * module functions
 * ====================================================================== */

/* The shared Asizer, or a fresh one when it is busy (a hostile __repr__ or
 * __sizeof__ calling asizeof while we size). New reference. */
static AsizerObject *module_asizer(PyObject *m)
{
    asizeof_state *st = state_of(m);
    AsizerObject *a = (AsizerObject *)st->shared;
    if (!a->busy)
        return (AsizerObject *)Py_NewRef(a);
    return (AsizerObject *)Asizer_new(st->asizer_type, NULL, NULL);
}

static PyObject *mod_asizeof(PyObject *m, PyObject *args, PyObject *kwds)
{
    PyObject *opts = kwds ? PyDict_Copy(kwds) : PyDict_New(), *t = NULL, *s = NULL;
    AsizerObject *a = NULL;
    int x = 0;
    if (!opts)
        return NULL;
    PyObject *all = PyDict_GetItemString(opts, "all"); /* borrowed from kwds too */
    if (all)
        Py_INCREF(all);
    if (all && PyDict_DelItemString(opts, "all") < 0)
        goto done;
    if (PyTuple_GET_SIZE(args)) {
        t = Py_NewRef(args);
    }
    else {
        int is_false = all ? PyObject_RichCompareBool(all, Py_False, Py_EQ) : 1;
        if (is_false < 0)
            goto done;
        if (!all || all == Py_None || is_false) {
            t = PyTuple_New(0);
            x = 1;
        }
        else if (all == Py_True) {
            PyObject *gc = PyImport_ImportModule("gc");
            PyObject *lst = gc ? PyObject_CallMethod(gc, "get_objects", NULL) : NULL;
            Py_XDECREF(gc);
            if (!lst)
                goto done;
            t = PySequence_Tuple(lst);
            x = 1;
            if (t && !(a = module_asizer(m))) {
                Py_DECREF(lst);
                goto done;
            }
            /* the list and tuple of all objects are not sized */
            if (t && (pym_sizer_seen_default(&a->z, lst, -1) < 0 || pym_sizer_seen_default(&a->z, t, -1) < 0))
                Py_CLEAR(t);
            Py_DECREF(lst);
        }
        else {
            option_error1(PyExc_ValueError, "asizeof", "all", all);
            goto done;
        }
    }
    if (!t)
        goto done;
    if (!a && !(a = module_asizer(m)))
        goto done;
    if (asizer_reset(a, NULL, opts) < 0)
        goto done;
    if (PyTuple_GET_SIZE(t)) {
        if (x && pym_sizer_seen_default(&a->z, t, -1) < 0)
            goto done;
        if (!(s = asizer_asizeof_impl(a, t)))
            goto done;
        if (print_stats(a, t, kwds, NULL, NULL, NULL, NULL) < 0 || asizer_clear_state(a) < 0)
            Py_CLEAR(s);
    }
    else {
        s = PyLong_FromLong(0);
    }
done:
    Py_XDECREF(all);
    Py_XDECREF(opts);
    Py_XDECREF(t);
    Py_XDECREF((PyObject *)a);
    return s;
}

static PyObject *mod_sizes(PyObject *m, PyObject *args, PyObject *kwds, int asized)
{
    AsizerObject *a = module_asizer(m);
    PyObject *t = NULL;
    if (!a)
        return NULL;
    if (asizer_reset(a, NULL, kwds) < 0)
        goto done;
    if (!PyTuple_GET_SIZE(args)) {
        t = PyTuple_New(0);
        goto done;
    }
    t = asizer_sizes(a, args, asized);
    if (t && asized)
        t = unwrap_single(t);
    if (!t)
        goto done;
    if (print_stats(a, args, kwds, asized ? t : NULL, asized ? NULL : t, NULL, NULL) < 0 ||
        asizer_clear_state(a) < 0)
        Py_CLEAR(t);
done:
    Py_DECREF(a);
    return t;
}

static PyObject *mod_asizesof(PyObject *m, PyObject *args, PyObject *kwds)
{
    return mod_sizes(m, args, kwds, 0);
}

static PyObject *mod_asized(PyObject *m, PyObject *args, PyObject *kwds)
{
    return mod_sizes(m, args, kwds, 1);
}

/* _typedefof(obj, save=False, derive=False, frames=False, infer=False) */
static pym_typedef *typedefof(const char *where, PyObject *args, PyObject *kwds, PyObject **obj,
                              pym_typedef **made, PyObject **align)
{
    static const char *const names[] = {"derive", "frames", "infer", "save", "align"};
    int flags[4] = {0, 0, 0, 0};
    *made = NULL;
    if (PyTuple_GET_SIZE(args) < 1 || PyTuple_GET_SIZE(args) > (align ? 2 : 1)) {
        PyErr_Format(PyExc_TypeError, "%s() takes %s positional argument%s (%zd given)", where,
                     align ? "1 or 2" : "1", align ? "s" : "", PyTuple_GET_SIZE(args));
        return NULL;
    }
    *obj = PyTuple_GET_ITEM(args, 0);
    if (align)
        *align = PyTuple_GET_SIZE(args) > 1 ? PyTuple_GET_ITEM(args, 1) : NULL;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (kwds && PyDict_Next(kwds, &pos, &k, &v)) {
        int found = -1;
        for (int i = 0; i < (align ? 5 : 4) && PyUnicode_Check(k); i++) {
            if (PyUnicode_CompareWithASCIIString(k, names[i]) == 0)
                found = i;
        }
        if (found < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%S'", where, k);
            return NULL;
        }
        if (found == 4) {
            *align = v;
            continue;
        }
        if ((flags[found] = PyObject_IsTrue(v)) < 0)
            return NULL;
    }
    pym_td_opts o = {flags[0], flags[1], flags[2], NULL};
    pym_typedef *td = pym_typedef_lookup(*obj, &o, made);
    if (td && *made && flags[3]) {
        /* save=True: remember it process-wide, as Pympler's _typedefs */
        if (pym_tdtab_put(pym_td_global(), pym_td_key_of(*obj), *made) < 0)
            td = NULL;
        *made = NULL;
    }
    return td;
}

static PyObject *mod_basicsize(PyObject *m, PyObject *args, PyObject *kwds)
{
    (void)m;
    PyObject *obj;
    pym_typedef *made;
    pym_typedef *td = typedefof("basicsize", args, kwds, &obj, &made, NULL);
    if (!td)
        return NULL;
    PyObject *r = PyLong_FromSsize_t(td->base);
    pym_typedef_free(made);
    return r;
}

static PyObject *mod_flatsize(PyObject *m, PyObject *args, PyObject *kwds)
{
    (void)m;
    PyObject *obj, *align = NULL;
    pym_typedef *made;
    pym_typedef *td = typedefof("flatsize", args, kwds, &obj, &made, &align);
    if (!td)
        return NULL;
    PyObject *r = NULL;
    Py_ssize_t a = 0, mask = 0;
    if (align && to_ssize(align, "align", &a) < 0)
        goto done;
    if (a > 1) {
        mask = a - 1;
        if (mask & a) {
            option_error1(PyExc_ValueError, "flatsize", "align", align);
            goto done;
        }
    }
    pym_wsize f = pym_flat(td, obj, mask);
    if (f >= 0)
        r = pym_long_from_i128(f);
done:
    pym_typedef_free(made);
    return r;
}

static PyObject *mod_itemsize(PyObject *m, PyObject *args, PyObject *kwds)
{
    (void)m;
    PyObject *obj;
    pym_typedef *made;
    pym_typedef *td = typedefof("itemsize", args, kwds, &obj, &made, NULL);
    if (!td)
        return NULL;
    PyObject *r;
    if (td->vari && td->item == 1) {
        r = pym_getattr_quiet(obj, pym_str.itemsize);
        if (!r && !PyErr_Occurred())
            r = PyLong_FromLong(1);
    }
    else {
        r = PyLong_FromSsize_t(td->item);
    }
    pym_typedef_free(made);
    return r;
}

static PyObject *mod_leng(PyObject *m, PyObject *args, PyObject *kwds)
{
    (void)m;
    PyObject *obj;
    pym_typedef *made;
    pym_typedef *td = typedefof("leng", args, kwds, &obj, &made, NULL);
    if (!td)
        return NULL;
    PyObject *r = NULL;
    Py_ssize_t n = 0;
    int has = 0;
    if (pym_leng_of(td, obj, &n, &has) == 0)
        r = has ? PyLong_FromSsize_t(n) : Py_NewRef(Py_None);
    pym_typedef_free(made);
    return r;
}

/* The referents as a list of (name or None, obj); real objects throughout
 * (a would-be __dict__ is read with getattr, as the user asked for it). */
static PyObject *collect_refs(PyObject *obj, pym_typedef *td, int named)
{
    PyObject *out = PyList_New(0);
    if (!out)
        return NULL;
    if (!td->refs)
        return out;
    pym_refcursor c;
    if (pym_refs_open(&c, obj, td, named, 0) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    for (;;) {
        PyObject *child, *name;
        int r = pym_refs_next(&c, &child, &name);
        if (r == PYM_REF_END)
            break;
        if (r < 0) {
            Py_CLEAR(out);
            break;
        }
        if (r == PYM_REF_VIRTUAL_DICT && !(child = PyObject_GetAttr(obj, pym_str.__dict__))) {
            Py_XDECREF(name);
            Py_CLEAR(out);
            break;
        }
        PyObject *t = PyTuple_Pack(2, name ? name : Py_None, child);
        if (!c.borrowed || r == PYM_REF_VIRTUAL_DICT)
            Py_DECREF(child);
        Py_XDECREF(name);
        if (!t || PyList_Append(out, t) < 0) {
            Py_XDECREF(t);
            Py_CLEAR(out);
            break;
        }
        Py_DECREF(t);
    }
    pym_refs_close(&c);
    return out;
}

static PyObject *mod_refs(PyObject *m, PyObject *args, PyObject *kwds)
{
    (void)m;
    PyObject *obj;
    pym_typedef *made;
    pym_typedef *td = typedefof("refs", args, kwds, &obj, &made, NULL);
    if (!td)
        return NULL;
    PyObject *r = NULL;
    if (!td->refs)
        r = Py_NewRef(Py_None);
    else if (td->refs == PYM_REFS_SEQ)
        r = Py_NewRef(obj); /* Pympler's _seq_refs returns the object itself */
    else {
        PyObject *pairs = collect_refs(obj, td, 0);
        if (pairs) {
            Py_ssize_t n = PyList_GET_SIZE(pairs);
            PyObject *vals = PyList_New(n);
            for (Py_ssize_t i = 0; vals && i < n; i++)
                PyList_SET_ITEM(vals, i, Py_NewRef(PyTuple_GET_ITEM(PyList_GET_ITEM(pairs, i), 1)));
            Py_DECREF(pairs);
            if (vals) {
                r = td->refs == PYM_REFS_WEAK ? PyList_AsTuple(vals) : PyObject_GetIter(vals);
                Py_DECREF(vals);
            }
        }
    }
    pym_typedef_free(made);
    return r;
}

static PyObject *mod_named_refs(PyObject *m, PyObject *args, PyObject *kwds)
{
    (void)m;
    PyObject *obj;
    pym_typedef *made;
    pym_typedef *td = typedefof("named_refs", args, kwds, &obj, &made, NULL);
    if (!td)
        return NULL;
    PyObject *pairs = collect_refs(obj, td, 1), *out = NULL;
    if (pairs && (out = PyList_New(0))) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(pairs); i++) {
            PyObject *t = PyList_GET_ITEM(pairs, i);
            if (PyTuple_GET_ITEM(t, 0) != Py_None && PyList_Append(out, t) < 0) {
                Py_CLEAR(out);
                break;
            }
        }
    }
    Py_XDECREF(pairs);
    pym_typedef_free(made);
    return out;
}

int pym_infer_dict(PyObject *obj); /* typedef.c */

static PyObject *mod_adict(PyObject *m, PyObject *args)
{
    (void)m;
    int all = 1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); i++) {
        PyObject *c = PyTuple_GET_ITEM(args, i);
        PyObject *n = pym_getattr_quiet(c, pym_str.__name__);
        if (!n && PyErr_Occurred())
            return NULL;
        int ok = n && PyObject_IsTrue(n) > 0 && PyType_Check(c);
        int inf = ok ? pym_infer_dict(c) : 0;
        if (inf < 0) {
            Py_XDECREF(n);
            return NULL;
        }
        if (ok && inf) {
            PyObject *mod = pym_getattr_quiet(c, pym_str.__module__);
            if (!mod)
                mod = PyUnicode_FromString("");
            PyObject *t = mod ? PyDict_GetItemWithError(pym_dict_types, mod) : NULL;
            if (!mod || (!t && PyErr_Occurred())) {
                Py_XDECREF(mod);
                Py_DECREF(n);
                return NULL;
            }
            int has = t ? PySequence_Contains(t, n) : 0;
            if (has == 0) {
                PyObject *one = PyTuple_Pack(1, n);
                PyObject *nt = one ? (t ? PySequence_Concat(t, one) : Py_NewRef(one)) : NULL;
                Py_XDECREF(one);
                has = nt ? PyDict_SetItem(pym_dict_types, mod, nt) : -1;
                Py_XDECREF(nt);
                if (has == 0 && pym_td_adict_added(c) < 0)
                    has = -1;
            }
            Py_DECREF(mod);
            if (has < 0) {
                Py_DECREF(n);
                return NULL;
            }
        }
        else {
            all = 0;
        }
        Py_XDECREF(n);
    }
    return PyBool_FromLong(all);
}

static PyObject *mod_amapped(PyObject *m, PyObject *args, PyObject *kwds)
{
    (void)m;
    static char *kwlist[] = {"percentage", NULL};
    PyObject *p = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:amapped", kwlist, &p))
        return NULL;
    double prev = pym_amapped * 100.0;
    if (p != Py_None) {
        double v;
        if (to_double(p, "percentage", &v) < 0)
            return NULL;
        v *= 0.01;
        pym_amapped = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    return PyFloat_FromDouble(prev);
}

/* inspect.is* re-exported by Pympler */

/* What Pympler's module imports and so shows (lib/py/pyrt.h). */
static const pym_reexport reexports[] = {
    {"Callable", "typing", "Callable"},
    {"Dict", "typing", "Dict"},
    {"List", "typing", "List"},
    {"Set", "typing", "Set"},
    {"Union", "typing", "Union"},
    {"Struct", "struct", "Struct"},
    {"Types", "types", NULL},
    {"Weakref", "weakref", NULL},
    {"_Type_type", "builtins", "type"},
    {"_array", "array", "array"},
    {"_cell_type", "types", "CellType"},
    {"_getobjects", "gc", "get_objects"},
    {"_getreferents", "gc", "get_referents"},
    {"_getsizeof", "sys", "getsizeof"},
    {"_numpy", "numpy", NULL},
    {"_numpy_memmap", "numpy", "memmap"},
    {"calcsize", "struct", "calcsize"},
    {"log", "math", "log"},
    {"stat", "os", "stat"},
    {"statvfs", "os", "statvfs"},
    {"sys", "sys", NULL},
    {"warnings", "warnings", NULL},
    {"curdir", "os", "curdir"},
    {"linesep", "os", "linesep"},
    {"isbuiltin", "inspect", "isbuiltin"},
    {"isclass", "inspect", "isclass"},
    {"iscode", "inspect", "iscode"},
    {"isframe", "inspect", "isframe"},
    {"isfunction", "inspect", "isfunction"},
    {"ismethod", "inspect", "ismethod"},
    {"ismodule", "inspect", "ismodule"},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

/* __getattr__: _typedefs, made afresh on each access; else a re-export. */
static PyObject *module_getattr(PyObject *m, PyObject *name)
{
    if (PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, "_typedefs") == 0)
        return typedefs_snapshot(m);
    return reexport_getattr(m, name);
}

static PyMethodDef module_methods[] = {
    {"asizeof", FN(mod_asizeof), KW,
     "asizeof(*objs, **opts)\n\nReturn the combined size (in bytes) of all objects passed as positional "
     "arguments."},
    {"asizesof", FN(mod_asizesof), KW,
     "asizesof(*objs, **opts)\n\nReturn a tuple containing the size (in bytes) of all objects passed."},
    {"asized", FN(mod_asized), KW,
     "asized(*objs, **opts)\n\nReturn an Asized instance for each object (the instance itself if one)."},
    {"basicsize", FN(mod_basicsize), KW, "basicsize(obj, **opts)\n\nReturn the basic size of an object."},
    {"flatsize", FN(mod_flatsize), KW, "flatsize(obj, align=0, **opts)\n\nReturn the flat size of an object."},
    {"itemsize", FN(mod_itemsize), KW, "itemsize(obj, **opts)\n\nReturn the item size of an object."},
    {"leng", FN(mod_leng), KW, "leng(obj, **opts)\n\nReturn the length of an object, in number of items."},
    {"refs", FN(mod_refs), KW, "refs(obj, **opts)\n\nReturn (an iterator over) the referents of an object."},
    {"named_refs", FN(mod_named_refs), KW,
     "named_refs(obj, **opts)\n\nReturn all named referents of an object as (name, obj) pairs."},
    {"adict", FN(mod_adict), METH_VARARGS,
     "adict(*classes)\n\nInstall one or more classes to be handled as dict."},
    {"amapped", FN(mod_amapped), KW,
     "amapped(percentage=None)\n\nSet/get approximate mapped memory usage of numpy.memmap objects."},
    {"_items", mod_items, METH_O, "_items($module, obj, /)\n--\n\nobj.iteritems() or obj.items()."},
    {"_keys", mod_keys, METH_O, "_keys($module, obj, /)\n--\n\nobj.iterkeys() or obj.keys()."},
    {"_values", mod_values, METH_O, "_values($module, obj, /)\n--\n\nobj.itervalues() or obj.values()."},
    {"_p100", FN(mod_p100), KW, "_p100($module, /, part, total, prec=1)\n--\n\nReturn percentage as string."},
    {"_prepr", FN(mod_prepr), KW, "_prepr($module, /, obj, clip=0)\n--\n\nPrettify and clip long repr() string."},
    {"_seq_refs", FN(mod_seq_refs), KW, "_seq_refs($module, /, obj, unused)\n--\n\nThe sequence itself."},
    {"_len_int", mod_len_int, METH_O, "_len_int($module, obj, /)\n--\n\nLength of an int in digits."},
    {"_co_refs", FN(mod_co_refs), KW, "_co_refs($module, /, obj, named)\n--\n\nReferents of a code object."},
    {"_dict_refs", FN(mod_dict_refs), KW, "_dict_refs($module, /, obj, named)\n--\n\nKeys and values of a dict."},
    {"_inst_refs", FN(mod_inst_refs), KW, "_inst_refs($module, /, obj, named)\n--\n\nReferents of an instance."},
    {"__getattr__", module_getattr, METH_O, "__getattr__(name): _typedefs, or a name Pympler's module imports."},
    {"__dir__", reexport_dir, METH_NOARGS, "__dir__(): the module's names and the ones it re-exports."},
    {NULL, NULL, 0, NULL}};


static int add_int(PyObject *m, const char *name, long v)
{
    return PyModule_AddIntConstant(m, name, v);
}

static int module_exec(PyObject *m)
{
    asizeof_state *st = state_of(m);
    if (pym_module_attach(m) < 0 || pym_dictobj_ready(&Typedef_Type) < 0)
        return -1;
    /* the dict-like class registry is the engine's, once per process */
    if (!pym_dict_types) {
        PyObject *dt = Py_BuildValue("{s(ss)s(ss)}", "UserDict", "IterableUserDict", "UserDict", "weakref",
                                     "WeakKeyDictionary", "WeakValueDictionary");
        int rc = dt ? pym_td_init(dt) : -1;
        Py_XDECREF(dt);
        if (rc < 0)
            return -1;
    }
    if (!(st->asized_type = pym_module_add_type(m, &Asized_spec, NULL)) ||
        !(st->asizer_type = pym_module_add_type(m, &Asizer_spec, NULL)) ||
        !(st->claskey_type = pym_module_add_type(m, &Claskey_spec, NULL)) ||
        PyModule_AddStringConstant(m, "__version__", "22.12.07") < 0 ||
        PyModule_AddObjectRef(m, "_dict_types", pym_dict_types) < 0 || add_int(m, "_sizeof_CPyGC_Head", 32) < 0 ||
        add_int(m, "_sizeof_CPyDictEntry", 24) < 0 || add_int(m, "_sizeof_Csetentry", 16) < 0 ||
        add_int(m, "_sizeof_Cvoidp", 8) < 0 || add_int(m, "_sizeof_Cunicode", 1) < 0 ||
        add_int(m, "_sizeof_Crefcounts", 0) < 0 || add_int(m, "_sizeof_CPyCodeObject", 120) < 0 ||
        add_int(m, "_sizeof_CPyFrameObject", 384) < 0 || add_int(m, "_sizeof_CPyModuleObject", 24) < 0 ||
        add_int(m, "_sizeof_Cbyte", 1) < 0 || add_int(m, "_sizeof_Clong", 8) < 0 ||
        add_int(m, "_Py_TPFLAGS_HAVE_GC", 1 << 14) < 0 || add_int(m, "_Py_TPFLAGS_HEAPTYPE", 1 << 9) < 0)
        goto error;
    PyObject *all = Py_BuildValue("[ssssssssssss]", "Asized", "Asizer", "adict", "amapped", "asized", "asizeof",
                                  "asizesof", "basicsize", "flatsize", "itemsize", "leng", "refs");
    if (!all || PyModule_AddObject(m, "__all__", all) < 0) {
        Py_XDECREF(all);
        goto error;
    }
    st->shared = Asizer_new(st->asizer_type, NULL, NULL);
    if (!st->shared || asizer_reset((AsizerObject *)st->shared, NULL, NULL) < 0 ||
        PyModule_AddObjectRef(m, "_asizer", st->shared) < 0)
        goto error;
    return 0;
error:
    return -1; /* the state is cleared with the module */
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    asizeof_state *st = state_of(m);
    Py_VISIT(st->asized_type);
    Py_VISIT(st->asizer_type);
    Py_VISIT(st->claskey_type);
    Py_VISIT(st->shared);
    return 0;
}

static int module_clear(PyObject *m)
{
    asizeof_state *st = state_of(m);
    Py_CLEAR(st->shared);
    Py_CLEAR(st->asized_type);
    Py_CLEAR(st->asizer_type);
    Py_CLEAR(st->claskey_type);
    return 0;
}

static void module_free(void *m)
{
    module_clear((PyObject *)m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.asizeof",
    .m_doc = "Sizes of Python objects, as Pympler's asizeof module, implemented in C.\n\n"
             "Functions asizeof, asizesof, asized, basicsize, itemsize, flatsize, leng, refs, named_refs,\n"
             "adict, amapped; classes Asized and Asizer.  See docs/asizeof.md.",
    .m_size = sizeof(asizeof_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit_asizeof(void)
{
    return PyModuleDef_Init(&module_def);
}
