/* pympler.classtracker: ClassTracker, TrackedObject, Snapshot, as Pympler
 * 1.1's, in C.  See docs/classtracker.md.
 *
 * What is kept per tracked object is one C record (TrackedObject) and one
 * plain weak reference whose callback is the record itself (a TrackedObject
 * is callable: calling it with the dead reference is finalize()), so that
 * there is no bound method per object.  As in Pympler, where the callback is
 * the bound method tobj.finalize, the weak reference keeps its record alive
 * while the object lives.  The record
 * keeps its birth time and initial size as C values and makes Pympler's
 * `birth` float and `snapshots` list [(birth, Asized(basic, basic))] the
 * first time they are read (or when the first snapshot is added).
 *
 * track_class installs a C callable (_Constructor) as the class's __init__:
 * a method descriptor with vectorcall, which tracks the new instance and
 * calls the original __init__ with the same arguments, returning what it
 * returns and raising what it raises.
 *
 * The trackers, snapshots and the periodic thread keep their attributes in
 * an instance __dict__ under Pympler's names (lib/py/dictobj.h), so code that
 * reads tracker.index, tracker.objects or snapshot.classes keeps working.
 * Sizing is our asizeof's Asizer (the same Asized / Asizer as
 * pympler.asizeof).
 */
#include "dictobj.h"
#include "module.h"
#include "pyrt.h"
#include "refgraph.h" /* pym_safe_repr */
#include "typedef.h"  /* basicsize */

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

PyMODINIT_FUNC PyInit_classtracker(void);

/* The repr of a tracked object is clipped to this many characters. */
#define TRACKED_REPR_CLIP 128
/* The periodic thread sleeps in steps of at most this many seconds, so that
 * a stop request is seen promptly whatever the interval. */
#define PERIODIC_STEP 0.02

/* ======================================================================
 * module state
 * ====================================================================== */

typedef struct {
    PyTypeObject *tracker_type, *tobj_type, *snapshot_type, *observer_type, *ctor_type;
    PyObject *thread_type;  /* PeriodicThread (a heap subtype of threading.Thread) */
    PyObject *asized_type;  /* pympler.asizeof.Asized */
    PyObject *asizer_type;  /* pympler.asizeof.Asizer */
    PyObject *asizeof_fn;   /* pympler.asizeof.asizeof */
    PyObject *defaultdict;  /* collections.defaultdict */
    PyObject *stack_fn;     /* inspect.stack, imported on first trace */
    PyObject *empty_str;
    double local_start; /* _local_start */
    /* asizeof.basicsize of the last class sized (borrowed, checked by its
     * version tag): tracking many instances of one class looks it up once */
    PyTypeObject *bs_type;
    unsigned int bs_tag;
    Py_ssize_t bs_size;
} ct_state;

static struct PyModuleDef module_def;

static ct_state *state_of(PyObject *m)
{
    return (ct_state *)PyModule_GetState(m);
}

static ct_state *tstate(PyTypeObject *tp)
{
    return (ct_state *)pym_type_state(tp, &module_def);
}

/* interned attribute names */
static PyObject *s_index, *s_objects, *s_snapshots, *s_history, *s_keepalive, *s_observers, *s_periodic,
    *s_stream, *s_snapshot_lock, *s_acquire, *s_release, *s_append, *s_asized, *s_detail, *s_exclude_refs,
    *s_total, *s_asizeof, *s_tracked_total, *s_asizeof_total, *s_overhead, *s_timestamp, *s_system_total,
    *s_desc, *s_classes, *s_available, *s_vsz, *s_interval, *s_tracker, *s_stop, *s_create_snapshot,
    *s_init, *s_module, *s_name_attr, *s_class, *s_ref, *s_birth, *s_track_size, *s_join, *s_is_alive,
    *s_start, *s_clear, *s_track_object, *s_set_resolution_level, *s_size;

static int intern_names(void)
{
    if (s_size)
        return 0;
#define I(var, text)                                       \
    if (!(var = PyUnicode_InternFromString(text)))         \
        return -1;
    I(s_index, "index") I(s_objects, "objects") I(s_snapshots, "snapshots") I(s_history, "history")
    I(s_keepalive, "_keepalive") I(s_observers, "_observers") I(s_periodic, "_periodic_thread")
    I(s_stream, "_stream") I(s_snapshot_lock, "snapshot_lock") I(s_acquire, "acquire") I(s_release, "release")
    I(s_append, "append") I(s_asized, "asized") I(s_detail, "detail") I(s_exclude_refs, "exclude_refs")
    I(s_total, "total") I(s_asizeof, "asizeof") I(s_tracked_total, "tracked_total")
    I(s_asizeof_total, "asizeof_total") I(s_overhead, "overhead") I(s_timestamp, "timestamp")
    I(s_system_total, "system_total") I(s_desc, "desc") I(s_classes, "classes") I(s_available, "available")
    I(s_vsz, "vsz") I(s_interval, "interval") I(s_tracker, "tracker") I(s_stop, "stop")
    I(s_create_snapshot, "create_snapshot") I(s_init, "__init__") I(s_module, "__module__")
    I(s_name_attr, "__name__") I(s_class, "__class__") I(s_ref, "ref") I(s_birth, "birth")
    I(s_track_size, "track_size") I(s_join, "join") I(s_is_alive, "is_alive") I(s_start, "start")
    I(s_clear, "clear") I(s_track_object, "track_object") I(s_set_resolution_level, "set_resolution_level")
    I(s_size, "size")
#undef I
    return 0;
}

/* ======================================================================
 * time
 * ====================================================================== */

/* time.time(), as a C double. */
static double wall_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* _get_time(): seconds since the module was imported. */
static double rel_time(ct_state *st)
{
    return wall_time() - st->local_start;
}

/* ======================================================================
 * small helpers
 * ====================================================================== */

/* self.<name>(arg) through a vectorcall (no bound method).  New reference. */
static PyObject *call1(PyObject *self, PyObject *name, PyObject *arg)
{
    PyObject *args[2] = {self, arg};
    return PyObject_VectorcallMethod(name, args, 1 + (arg != NULL), NULL);
}

static PyObject *call0(PyObject *self, PyObject *name)
{
    return call1(self, name, NULL);
}

/* seq[:] = [] for a list or anything with slice deletion. 0 or -1. */
static int clear_seq(PyObject *seq)
{
    if (PyList_Check(seq))
        return PyList_SetSlice(seq, 0, PY_SSIZE_T_MAX, NULL);
    PyObject *empty = PyList_New(0);
    if (!empty)
        return -1;
    int r = PySequence_SetSlice(seq, 0, PY_SSIZE_T_MAX, empty);
    Py_DECREF(empty);
    return r;
}

/* d[key] for a dict (or a defaultdict, through __missing__) or any mapping.
 * New reference. */
static PyObject *getitem(PyObject *d, PyObject *key)
{
    if (PyDict_CheckExact(d)) {
        PyObject *v = PyDict_GetItemWithError(d, key);
        if (v || PyErr_Occurred())
            return Py_XNewRef(v);
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return PyObject_GetItem(d, key);
}

static int append_to(PyObject *seq, PyObject *v)
{
    if (PyList_CheckExact(seq))
        return PyList_Append(seq, v);
    PyObject *r = call1(seq, s_append, v);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* repr of a tracked object: Pympler's safe_repr(obj, clip=128), 'N/A' when
 * repr raises (Pympler's bare except). */
static PyObject *tracked_repr(PyObject *obj)
{
    PyObject *r = pym_safe_repr(obj, TRACKED_REPR_CLIP);
    if (r)
        return r;
    PyErr_Clear();
    return PyUnicode_FromString("N/A");
}

/* ======================================================================
 * track_object_creation / track_object_deletion
 * ====================================================================== */

/* time_series.append((_get_time(), last + delta)) where last is the count of
 * the last entry (0 for an empty series when creating).  0 or -1. */
static int series_step(ct_state *st, PyObject *series, long delta)
{
    PyObject *last = NULL, *n = NULL, *entry = NULL, *r = NULL;
    int rc = -1;
    Py_ssize_t len = PyList_Check(series) ? PyList_GET_SIZE(series) : PyObject_Length(series);
    if (len < 0)
        goto done;
    if (len == 0 && delta > 0) {
        n = PyLong_FromLong(1);
    } else {
        PyObject *item = !PyList_Check(series) ? PySequence_GetItem(series, -1)
                         : len > 0             ? Py_NewRef(PyList_GET_ITEM(series, len - 1))
                                               : NULL;
        if (!item) {
            if (len == 0)
                PyErr_SetString(PyExc_IndexError, "list index out of range");
            goto done;
        }
        if (PyTuple_CheckExact(item) && PyTuple_GET_SIZE(item) > 1)
            last = Py_NewRef(PyTuple_GET_ITEM(item, 1));
        else
            last = PySequence_GetItem(item, 1);
        Py_DECREF(item);
        if (!last)
            goto done;
        PyObject *d = PyLong_FromLong(delta);
        if (!d)
            goto done;
        n = PyNumber_Add(last, d);
        Py_DECREF(d);
    }
    if (!n)
        goto done;
    PyObject *t = PyFloat_FromDouble(rel_time(st));
    if (!t)
        goto done;
    entry = PyTuple_Pack(2, t, n);
    Py_DECREF(t);
    if (!entry)
        goto done;
    /* (float, int) can be in no cycle: spare the collector's young passes
     * (it would untrack the tuple itself at its first pass) */
    if (PyLong_CheckExact(n))
        PyObject_GC_UnTrack(entry);
    if (PyList_CheckExact(series)) {
        rc = PyList_Append(series, entry);
        goto done;
    }
    if ((r = call1(series, s_append, entry)))
        rc = 0;
done:
    Py_XDECREF(last);
    Py_XDECREF(n);
    Py_XDECREF(entry);
    Py_XDECREF(r);
    return rc;
}

static PyObject *mod_track_object_creation(PyObject *m, PyObject *series)
{
    if (series_step(state_of(m), series, 1) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *mod_track_object_deletion(PyObject *m, PyObject *series)
{
    if (series_step(state_of(m), series, -1) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *mod_get_time(PyObject *m, PyObject *unused)
{
    (void)unused;
    return PyFloat_FromDouble(rel_time(state_of(m)));
}

/* ======================================================================
 * TrackedObject
 * ====================================================================== */

enum {
    TO_BIRTH_C = 1,   /* birth is set: the float of birth_c */
    TO_LAZY_SNAP = 2, /* snapshots is [(birth, Asized(init_size, init_size))], not made yet */
    TO_SERIES = 4     /* on_delete is the history series the death is counted in */
};

typedef struct {
    PyObject_HEAD
    PyObject *dict;    /* __dict__: classname, size, tsize (Stats) and the user's */
    PyObject *ref;     /* a _TrackedRef (or what __setstate__ set); NULL: unset */
    PyObject *id, *repr, *name, *death, *trace, *snapshots, *level;
    /* called when the object dies, or (TO_SERIES) the history time series
     * its death is counted in; NULL: none */
    PyObject *on_delete;
    double birth_c;     /* birth (a float made when read) */
    int32_t init_size;  /* basic size at birth */
    int32_t flags;
} TObj; /* 112 bytes: 128 with the collector's header */

static int TObj_traverse(TObj *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->dict);
    Py_VISIT(self->ref);
    Py_VISIT(self->id);
    Py_VISIT(self->repr);
    Py_VISIT(self->name);
    Py_VISIT(self->death);
    Py_VISIT(self->trace);
    Py_VISIT(self->snapshots);
    Py_VISIT(self->level);
    Py_VISIT(self->on_delete);
    return 0;
}

static int TObj_clear(TObj *self)
{
    Py_CLEAR(self->dict);
    Py_CLEAR(self->ref);
    Py_CLEAR(self->id);
    Py_CLEAR(self->repr);
    Py_CLEAR(self->name);
    Py_CLEAR(self->death);
    Py_CLEAR(self->trace);
    Py_CLEAR(self->snapshots);
    Py_CLEAR(self->level);
    Py_CLEAR(self->on_delete);
    return 0;
}

static void TObj_dealloc(TObj *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    TObj_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *new_asized(ct_state *st, Py_ssize_t size)
{
    PyObject *n = PyLong_FromSsize_t(size);
    if (!n)
        return NULL;
    PyObject *a = PyObject_CallFunctionObjArgs(st->asized_type, n, n, NULL);
    Py_DECREF(n);
    return a;
}

/* birth as a float (new reference), NULL without an exception when unset */
static PyObject *tobj_birth(TObj *self)
{
    return (self->flags & TO_BIRTH_C) ? PyFloat_FromDouble(self->birth_c) : NULL;
}

/* Make the snapshots list if it is still implied.  0 or -1. */
static int tobj_materialize(TObj *self)
{
    if (!(self->flags & TO_LAZY_SNAP))
        return 0;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st)
        return -1;
    PyObject *birth = tobj_birth(self);
    if (!birth) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_AttributeError, "'TrackedObject' object has no attribute 'birth'");
        return -1;
    }
    PyObject *a = new_asized(st, self->init_size);
    if (!a) {
        Py_DECREF(birth);
        return -1;
    }
    PyObject *l = Py_BuildValue("[(NN)]", birth, a);
    if (!l)
        return -1;
    Py_XSETREF(self->snapshots, l);
    self->flags &= ~TO_LAZY_SNAP;
    return 0;
}

/* The basic size of obj, as asizeof.basicsize(obj) (0 when it has none). */
static Py_ssize_t basic_size(ct_state *st, PyObject *obj)
{
    PyTypeObject *tp = Py_TYPE(obj);
    if (tp == st->bs_type && tp->tp_version_tag == st->bs_tag && PyType_HasFeature(tp, Py_TPFLAGS_VALID_VERSION_TAG))
        return st->bs_size;
    pym_td_opts o = {0, 0, 0, NULL};
    pym_typedef *made = NULL;
    pym_typedef *td = pym_typedef_lookup(obj, &o, &made);
    if (!td)
        return -1;
    Py_ssize_t b = td->base;
    pym_typedef_free(made);
    if (b < 0)
        b = 0;
    if (PyType_HasFeature(tp, Py_TPFLAGS_HEAPTYPE) && PyType_HasFeature(tp, Py_TPFLAGS_VALID_VERSION_TAG)) {
        st->bs_type = tp;
        st->bs_tag = tp->tp_version_tag;
        st->bs_size = b;
    }
    return b;
}

static PyObject *make_ref(PyObject *instance, TObj *owner)
{
    if (!PyType_SUPPORTS_WEAKREFS(Py_TYPE(instance))) {
        PyErr_Format(PyExc_TypeError,
                     "cannot track an object of class '%.200s': its instances cannot be weakly referenced "
                     "(a class with __slots__ needs '__weakref__' among them)",
                     Py_TYPE(instance)->tp_name);
        return NULL;
    }
    return PyWeakref_NewRef(instance, (PyObject *)owner);
}

/* Fill a fresh record for instance.  0 or -1. */
static int tobj_setup(ct_state *st, TObj *self, PyObject *instance, PyObject *id, PyObject *name, PyObject *level)
{
    PyObject *ref = make_ref(instance, self);
    if (!ref)
        return -1;
    Py_XSETREF(self->ref, ref);
    Py_ssize_t b = basic_size(st, instance);
    if (b < 0)
        return -1;
    Py_XSETREF(self->id, id ? Py_NewRef(id) : PyLong_FromVoidPtr(instance));
    if (!self->id)
        return -1;
    Py_XSETREF(self->repr, Py_NewRef(st->empty_str));
    Py_XSETREF(self->name, Py_NewRef(name));
    self->birth_c = rel_time(st);
    Py_XSETREF(self->death, Py_NewRef(Py_None));
    Py_XSETREF(self->level, Py_NewRef(level));
    Py_XSETREF(self->trace, Py_NewRef(Py_None));
    Py_CLEAR(self->snapshots);
    self->init_size = b > INT32_MAX ? INT32_MAX : (int32_t)b;
    self->flags = TO_BIRTH_C | TO_LAZY_SNAP;
    return 0;
}

/* inspect.stack() without the frames, outermost first (from C there is no
 * frame of ours to skip: the innermost is the caller's).  New list. */
static PyObject *save_trace(ct_state *st)
{
    if (!st->stack_fn && !(st->stack_fn = pym_module_attr("inspect", "stack")))
        return NULL;
    PyObject *stack = PyObject_CallNoArgs(st->stack_fn);
    if (!stack)
        return NULL;
    PyObject *trace = NULL, *fast = PySequence_Fast(stack, "inspect.stack() must return a sequence");
    Py_DECREF(stack);
    if (!fast)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (!(trace = PyList_New(n)))
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *rec = PySequence_GetSlice(PySequence_Fast_GET_ITEM(fast, i), 1, PY_SSIZE_T_MAX);
        if (!rec) {
            Py_CLEAR(trace);
            goto done;
        }
        PyList_SET_ITEM(trace, n - 1 - i, rec);
    }
done:
    Py_DECREF(fast);
    return trace;
}

static int TObj_init(TObj *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"instance", "name", "resolution_level", "trace", "on_delete", NULL};
    PyObject *instance, *name, *level = NULL, *trace = Py_False, *on_delete = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|OOO:TrackedObject", kwlist, &instance, &name, &level, &trace,
                                     &on_delete))
        return -1;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st)
        return -1;
    PyObject *zero = NULL;
    if (!level && !(level = zero = PyLong_FromLong(0)))
        return -1;
    int rc = tobj_setup(st, self, instance, NULL, name, level);
    Py_XDECREF(zero);
    if (rc < 0)
        return -1;
    int t = PyObject_IsTrue(trace);
    if (t < 0)
        return -1;
    if (t) {
        PyObject *tr = save_trace(st);
        if (!tr)
            return -1;
        Py_XSETREF(self->trace, tr);
    }
    Py_XSETREF(self->on_delete, on_delete == Py_None ? NULL : Py_NewRef(on_delete));
    return 0;
}

/* The death of the tracked object: death = _get_time(), then on_delete() or
 * the deletion step of its history series; errors are swallowed, as Pympler's
 * finalize does (it may run at interpreter exit). */
static void tobj_finalize(TObj *self)
{
    ct_state *st = tstate(Py_TYPE(self));
    if (!st) {
        PyErr_Clear();
        return;
    }
    PyObject *d = PyFloat_FromDouble(rel_time(st));
    if (!d) {
        PyErr_Clear();
        return;
    }
    Py_XSETREF(self->death, d);
    if (self->on_delete && (self->flags & TO_SERIES)) {
        series_step(st, self->on_delete, -1);
    } else if (self->on_delete) {
        PyObject *r = PyObject_CallNoArgs(self->on_delete);
        Py_XDECREF(r);
    }
    if (PyErr_Occurred())
        PyErr_Clear();
}

static PyObject *TObj_finalize(TObj *self, PyObject *ref)
{
    (void)ref;
    tobj_finalize(self);
    Py_RETURN_NONE;
}

/* tobj(ref): the weakref callback, finalize(ref). */
static PyObject *TObj_call(TObj *self, PyObject *args, PyObject *kwds)
{
    if (!PyArg_ParseTuple(args, "O:TrackedObject", &(PyObject *){NULL}) || (kwds && PyDict_GET_SIZE(kwds))) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "TrackedObject() takes no keyword arguments");
        return NULL;
    }
    tobj_finalize(self);
    Py_RETURN_NONE;
}

static PyObject *TObj_getstate(TObj *self, PyObject *unused)
{
    (void)unused;
    if (tobj_materialize(self) < 0)
        return NULL;
    PyObject *birth = tobj_birth(self);
    if (!birth && PyErr_Occurred())
        return NULL;
    PyObject *state = PyDict_New();
    if (!state) {
        Py_XDECREF(birth);
        return NULL;
    }
    struct {
        const char *k;
        PyObject *v;
    } items[] = {{"id", self->id},       {"repr", self->repr},   {"name", self->name},
                 {"birth", birth}, {"death", self->death}, {"trace", self->trace},
                 {"snapshots", self->snapshots}, {"_resolution_level", self->level}};
    for (size_t i = 0; i < sizeof items / sizeof *items; i++) {
        if (items[i].v && PyDict_SetItemString(state, items[i].k, items[i].v) < 0) {
            Py_DECREF(state);
            Py_XDECREF(birth);
            return NULL;
        }
    }
    Py_XDECREF(birth);
    return state;
}

static PyObject *TObj_setstate(TObj *self, PyObject *state)
{
    PyObject *items = PyMapping_Items(state);
    if (!items)
        return NULL;
    PyObject *r = NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        if (!PyTuple_Check(kv) || PyTuple_GET_SIZE(kv) != 2) {
            PyErr_SetString(PyExc_TypeError, "__setstate__: items() must give (key, value) pairs");
            goto done;
        }
        if (PyObject_SetAttr((PyObject *)self, PyTuple_GET_ITEM(kv, 0), PyTuple_GET_ITEM(kv, 1)) < 0)
            goto done;
    }
    r = Py_NewRef(Py_None);
done:
    Py_DECREF(items);
    return r;
}

/* self.snapshots.append((ts, sizer.asized(obj, detail=level))), then the repr. */
static int tobj_track_size(TObj *self, PyObject *ts, PyObject *sizer)
{
    if (!self->ref) {
        PyErr_SetString(PyExc_AttributeError, "'TrackedObject' object has no attribute 'ref'");
        return -1;
    }
    if (tobj_materialize(self) < 0)
        return -1;
    if (!self->snapshots || !self->level) {
        PyErr_SetString(PyExc_AttributeError, !self->level ? "'TrackedObject' object has no attribute "
                                                               "'_resolution_level'"
                                                             : "'TrackedObject' object has no attribute 'snapshots'");
        return -1;
    }
    PyObject *obj = PyWeakref_CheckRef(self->ref) ? pym_weakref_get(self->ref) : PyObject_CallNoArgs(self->ref);
    if (!obj)
        return -1;
    int rc = -1;
    PyObject *asized = NULL, *entry = NULL, *kw = NULL;
    if (!(kw = PyTuple_Pack(1, s_detail)))
        goto done;
    PyObject *args[3] = {sizer, obj, self->level};
    if (!(asized = PyObject_VectorcallMethod(s_asized, args, 2, kw)))
        goto done;
    if (!(entry = PyTuple_Pack(2, ts, asized)))
        goto done;
    if (append_to(self->snapshots, entry) < 0)
        goto done;
    if (obj != Py_None) {
        PyObject *r = tracked_repr(obj);
        if (!r)
            goto done;
        Py_XSETREF(self->repr, r);
    }
    rc = 0;
done:
    Py_DECREF(obj);
    Py_XDECREF(kw);
    Py_XDECREF(asized);
    Py_XDECREF(entry);
    return rc;
}

static PyObject *TObj_track_size(TObj *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"ts", "sizer"};
    PyObject *v[2] = {NULL, NULL};
    Py_ssize_t nk = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError, "track_size() takes 2 positional arguments but %zd were given", nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        v[i] = args[i];
    for (Py_ssize_t i = 0; i < nk; i++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, i);
        int found = -1;
        for (int j = 0; j < 2; j++)
            if (PyUnicode_CompareWithASCIIString(k, names[j]) == 0)
                found = j;
        if (found < 0 || v[found]) {
            PyErr_Format(PyExc_TypeError, found < 0 ? "track_size() got an unexpected keyword argument '%U'"
                                                    : "track_size() got multiple values for argument '%U'",
                         k);
            return NULL;
        }
        v[found] = args[nargs + i];
    }
    if (!v[0] || !v[1]) {
        PyErr_Format(PyExc_TypeError, "track_size() missing required argument '%s'", v[0] ? "sizer" : "ts");
        return NULL;
    }
    if (tobj_track_size(self, v[0], v[1]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* the list of (timestamp, Asized) (a new reference) or NULL */
static PyObject *tobj_snapshots_fast(TObj *self)
{
    if (tobj_materialize(self) < 0)
        return NULL;
    if (!self->snapshots) {
        PyErr_SetString(PyExc_AttributeError, "'TrackedObject' object has no attribute 'snapshots'");
        return NULL;
    }
    return PySequence_Fast(self->snapshots, "snapshots must be a sequence");
}

/* (t, s) of one snapshot entry, borrowed from the tuple, or -1. */
static int unpack2(PyObject *entry, PyObject **t, PyObject **s)
{
    if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 2) {
        PyErr_SetString(PyExc_TypeError, "a snapshot entry must be a (timestamp, Asized) pair");
        return -1;
    }
    *t = PyTuple_GET_ITEM(entry, 0);
    *s = PyTuple_GET_ITEM(entry, 1);
    return 0;
}

static PyObject *TObj_get_max_size(TObj *self, PyObject *unused)
{
    (void)unused;
    if ((self->flags & TO_LAZY_SNAP))
        return PyLong_FromSsize_t(self->init_size);
    PyObject *fast = tobj_snapshots_fast(self);
    if (!fast)
        return NULL;
    PyObject *best = NULL;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        PyObject *t, *s;
        if (unpack2(PySequence_Fast_GET_ITEM(fast, i), &t, &s) < 0)
            goto fail;
        PyObject *size = PyObject_GetAttr(s, s_size);
        if (!size)
            goto fail;
        int gt = best ? PyObject_RichCompareBool(size, best, Py_GT) : 1;
        if (gt < 0) {
            Py_DECREF(size);
            goto fail;
        }
        if (gt)
            Py_XSETREF(best, size);
        else
            Py_DECREF(size);
    }
    Py_DECREF(fast);
    if (!best)
        PyErr_SetString(PyExc_ValueError, "max() arg is an empty sequence");
    return best;
fail:
    Py_DECREF(fast);
    Py_XDECREF(best);
    return NULL;
}

static PyObject *TObj_get_size_at_time(TObj *self, PyObject *timestamp)
{
    if ((self->flags & TO_LAZY_SNAP) && PyFloat_CheckExact(timestamp))
        return PyLong_FromSsize_t(PyFloat_AS_DOUBLE(timestamp) == self->birth_c ? self->init_size : 0);
    PyObject *fast = tobj_snapshots_fast(self);
    if (!fast)
        return NULL;
    PyObject *size = PyLong_FromLong(0);
    for (Py_ssize_t i = 0; size && i < PySequence_Fast_GET_SIZE(fast); i++) {
        PyObject *t, *s;
        if (unpack2(PySequence_Fast_GET_ITEM(fast, i), &t, &s) < 0) {
            Py_CLEAR(size);
            break;
        }
        int eq = PyObject_RichCompareBool(t, timestamp, Py_EQ);
        if (eq < 0)
            Py_CLEAR(size);
        else if (eq)
            Py_XSETREF(size, PyObject_GetAttr(s, s_size));
    }
    Py_DECREF(fast);
    return size;
}

static PyObject *TObj_set_resolution_level(TObj *self, PyObject *level)
{
    Py_XSETREF(self->level, Py_NewRef(level));
    Py_RETURN_NONE;
}

static PyObject *TObj_save_trace(TObj *self, PyObject *unused)
{
    (void)unused;
    ct_state *st = tstate(Py_TYPE(self));
    PyObject *tr = st ? save_trace(st) : NULL;
    if (!tr)
        return NULL;
    Py_XSETREF(self->trace, tr);
    Py_RETURN_NONE;
}

static PyObject *TObj_get_birth(TObj *self, void *c)
{
    (void)c;
    PyObject *b = tobj_birth(self);
    if (!b && !PyErr_Occurred())
        PyErr_SetString(PyExc_AttributeError, "'TrackedObject' object has no attribute 'birth'");
    return b;
}

static int TObj_set_birth(TObj *self, PyObject *v, void *c)
{
    (void)c;
    if (!v) {
        self->flags &= ~TO_BIRTH_C;
        return 0;
    }
    /* kept as a C double: birth is a number (a time), as _get_time() gives */
    double d = PyFloat_AsDouble(v);
    if (d == -1.0 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_TypeError))
            PyErr_Format(PyExc_TypeError, "TrackedObject.birth must be a number, not %.200s", Py_TYPE(v)->tp_name);
        return -1;
    }
    self->birth_c = d;
    self->flags |= TO_BIRTH_C;
    return 0;
}

static PyObject *TObj_get_snapshots(TObj *self, void *c)
{
    (void)c;
    if (tobj_materialize(self) < 0)
        return NULL;
    if (!self->snapshots)
        PyErr_SetString(PyExc_AttributeError, "'TrackedObject' object has no attribute 'snapshots'");
    return Py_XNewRef(self->snapshots);
}

static int TObj_set_snapshots(TObj *self, PyObject *v, void *c)
{
    (void)c;
    self->flags &= ~TO_LAZY_SNAP;
    Py_XSETREF(self->snapshots, Py_XNewRef(v));
    return 0;
}

static PyObject *TObj_get_on_delete(TObj *self, void *c)
{
    (void)c;
    return Py_NewRef(self->on_delete && !(self->flags & TO_SERIES) ? self->on_delete : Py_None);
}

static int TObj_set_on_delete(TObj *self, PyObject *v, void *c)
{
    (void)c;
    if (!v && (self->flags & TO_SERIES))
        return 0; /* nothing the user set */
    self->flags &= ~TO_SERIES;
    Py_XSETREF(self->on_delete, v && v != Py_None ? Py_NewRef(v) : NULL);
    return 0;
}

static PyObject *TObj_get_dict(TObj *self, void *c)
{
    (void)c;
    if (!self->dict && !(self->dict = PyDict_New()))
        return NULL;
    return Py_NewRef(self->dict);
}

static PyGetSetDef TObj_getset[] = {
    {"birth", (getter)TObj_get_birth, (setter)TObj_set_birth, "When the object was tracked (_get_time()).", NULL},
    {"snapshots", (getter)TObj_get_snapshots, (setter)TObj_set_snapshots,
     "[(timestamp, Asized)]: the sizes sampled, the first one at birth.", NULL},
    {"on_delete", (getter)TObj_get_on_delete, (setter)TObj_set_on_delete,
     "Called when the object dies (None: the tracker's own history count).", NULL},
    {"__dict__", (getter)TObj_get_dict, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMemberDef TObj_members[] = {
    {"ref", T_OBJECT_EX, offsetof(TObj, ref), 0, "Weak reference to the tracked object."},
    {"id", T_OBJECT_EX, offsetof(TObj, id), 0, "id() of the tracked object."},
    {"repr", T_OBJECT_EX, offsetof(TObj, repr), 0, "repr() of the object at the last snapshot."},
    {"name", T_OBJECT_EX, offsetof(TObj, name), 0, "The name it is tracked under."},
    {"death", T_OBJECT_EX, offsetof(TObj, death), 0, "When it died, or None."},
    {"trace", T_OBJECT_EX, offsetof(TObj, trace), 0, "Instantiation trace, or None."},
    {"_resolution_level", T_OBJECT_EX, offsetof(TObj, level), 0, NULL},
    {"__dictoffset__", T_PYSSIZET, offsetof(TObj, dict), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyMethodDef TObj_methods[] = {
    {"__getstate__", (PyCFunction)TObj_getstate, METH_NOARGS,
     "__getstate__($self)\n--\n\nThe slots but ref and __dict__, as a dict (for dump_stats)."},
    {"__setstate__", (PyCFunction)TObj_setstate, METH_O, "__setstate__($self, state)\n--\n\nSet the attributes of a state dict."},
    {"_save_trace", (PyCFunction)TObj_save_trace, METH_NOARGS, "_save_trace($self)\n--\n\nSave the current stack trace."},
    {"track_size", (PyCFunction)(void (*)(void))TObj_track_size, METH_FASTCALL | METH_KEYWORDS,
     "track_size($self, ts, sizer)\n--\n\nStore timestamp and current size (sizer.asized) for later evaluation."},
    {"get_max_size", (PyCFunction)TObj_get_max_size, METH_NOARGS, "get_max_size($self)\n--\n\nThe maximum of all sampled sizes."},
    {"get_size_at_time", (PyCFunction)TObj_get_size_at_time, METH_O,
     "get_size_at_time($self, timestamp)\n--\n\nThe size at that snapshot, 0 if not sized then."},
    {"set_resolution_level", (PyCFunction)TObj_set_resolution_level, METH_O,
     "set_resolution_level($self, resolution_level)\n--\n\nThe detail of the next sizes."},
    {"finalize", (PyCFunction)TObj_finalize, METH_O,
     "finalize($self, ref)\n--\n\nMark the object dead (death = _get_time()) and call on_delete."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot TObj_slots[] = {
    {Py_tp_doc, "TrackedObject(instance, name, resolution_level=0, trace=False, on_delete=None)\n--\n\n"
                "Stores size and lifetime information of a tracked object, which a weak reference\n"
                "monitors without preventing its deletion."},
    {Py_tp_traverse, TObj_traverse},
    {Py_tp_clear, TObj_clear},
    {Py_tp_dealloc, TObj_dealloc},
    {Py_tp_init, TObj_init},
    {Py_tp_call, TObj_call},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_methods, TObj_methods},
    {Py_tp_members, TObj_members},
    {Py_tp_getset, TObj_getset},
    {0, NULL}};

static PyType_Spec TObj_spec = {
    .name = "pympler.classtracker.TrackedObject",
    .basicsize = sizeof(TObj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = TObj_slots,
};

/* ======================================================================
 * _ClassObserver
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    PyObject *init, *name, *detail, *keep, *trace;
    int had_own_init; /* __init__ was in the class's own __dict__ */
    int keep_c, trace_c;
} Observer;

static int Observer_traverse(Observer *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->init);
    Py_VISIT(self->name);
    Py_VISIT(self->detail);
    Py_VISIT(self->keep);
    Py_VISIT(self->trace);
    return 0;
}

static int Observer_clear(Observer *self)
{
    Py_CLEAR(self->init);
    Py_CLEAR(self->name);
    Py_CLEAR(self->detail);
    Py_CLEAR(self->keep);
    Py_CLEAR(self->trace);
    return 0;
}

static void Observer_dealloc(Observer *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Observer_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static int observer_modify(Observer *self, PyObject *name, PyObject *detail, PyObject *keep, PyObject *trace)
{
    int k = PyObject_IsTrue(keep), t = k < 0 ? -1 : PyObject_IsTrue(trace);
    if (k < 0 || t < 0)
        return -1;
    Py_XSETREF(self->name, Py_NewRef(name));
    Py_XSETREF(self->detail, Py_NewRef(detail));
    Py_XSETREF(self->keep, Py_NewRef(keep));
    Py_XSETREF(self->trace, Py_NewRef(trace));
    self->keep_c = k;
    self->trace_c = t;
    return 0;
}

static int Observer_init(Observer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"init", "name", "detail", "keep", "trace", NULL};
    PyObject *init, *name, *detail, *keep, *trace;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOO:_ClassObserver", kwlist, &init, &name, &detail, &keep,
                                     &trace))
        return -1;
    Py_XSETREF(self->init, Py_NewRef(init));
    self->had_own_init = 1;
    return observer_modify(self, name, detail, keep, trace);
}

static PyObject *Observer_modify(Observer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"name", "detail", "keep", "trace", NULL};
    PyObject *name, *detail, *keep, *trace;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO:modify", kwlist, &name, &detail, &keep, &trace))
        return NULL;
    if (observer_modify(self, name, detail, keep, trace) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int Observer_set_keep(Observer *self, PyObject *v, void *c)
{
    int b = c ? 0 : 0;
    if (!v) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete this attribute");
        return -1;
    }
    if ((b = PyObject_IsTrue(v)) < 0)
        return -1;
    if (c) {
        Py_XSETREF(self->trace, Py_NewRef(v));
        self->trace_c = b;
    } else {
        Py_XSETREF(self->keep, Py_NewRef(v));
        self->keep_c = b;
    }
    return 0;
}

static PyObject *Observer_get_keep(Observer *self, void *c)
{
    PyObject *v = c ? self->trace : self->keep;
    if (!v)
        PyErr_SetString(PyExc_AttributeError, c ? "trace" : "keep");
    return Py_XNewRef(v);
}

static PyMemberDef Observer_members[] = {
    {"init", T_OBJECT_EX, offsetof(Observer, init), 0, "The original constructor."},
    {"name", T_OBJECT_EX, offsetof(Observer, name), 0, NULL},
    {"detail", T_OBJECT_EX, offsetof(Observer, detail), 0, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyGetSetDef Observer_getset[] = {
    {"keep", (getter)Observer_get_keep, (setter)Observer_set_keep, NULL, NULL},
    {"trace", (getter)Observer_get_keep, (setter)Observer_set_keep, NULL, (void *)1},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef Observer_methods[] = {
    {"modify", (PyCFunction)(void (*)(void))Observer_modify, METH_VARARGS | METH_KEYWORDS,
     "modify(name, detail, keep, trace)"},
    {NULL, NULL, 0, NULL}};

static PyType_Slot Observer_slots[] = {
    {Py_tp_doc, "_ClassObserver(init, name, detail, keep, trace)\n--\n\nStores options for tracked classes and "
                "the original constructor."},
    {Py_tp_traverse, Observer_traverse},
    {Py_tp_clear, Observer_clear},
    {Py_tp_dealloc, Observer_dealloc},
    {Py_tp_init, Observer_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_members, Observer_members},
    {Py_tp_getset, Observer_getset},
    {Py_tp_methods, Observer_methods},
    {0, NULL}};

static PyType_Spec Observer_spec = {
    .name = "pympler.classtracker._ClassObserver",
    .basicsize = sizeof(Observer),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = Observer_slots,
};

/* ======================================================================
 * ClassTracker: track_object
 * ====================================================================== */

/* Is the record tracking a live object? 1, 0, or -1. */
static int tobj_alive(ct_state *st, PyObject *tobj)
{
    if (Py_IS_TYPE(tobj, st->tobj_type) && ((TObj *)tobj)->ref && PyWeakref_CheckRef(((TObj *)tobj)->ref))
        return pym_weakref_borrow(((TObj *)tobj)->ref) != Py_None;
    PyObject *ref = PyObject_GetAttr(tobj, s_ref);
    if (!ref)
        return -1;
    PyObject *o = PyObject_CallNoArgs(ref);
    Py_DECREF(ref);
    if (!o)
        return -1;
    int alive = o != Py_None;
    Py_DECREF(o);
    return alive;
}

/* ClassTracker.track_object, the work: name NULL or falsy gives the
 * instance's class name.  0 or -1. */
static int track_object_impl(ct_state *st, PyObject *self, PyObject *instance, PyObject *name, PyObject *level,
                             int keep, int trace)
{
    PyObject *objects = NULL, *id = NULL, *cname = NULL, *history = NULL, *series = NULL, *index = NULL,
             *bucket = NULL;
    TObj *tobj = NULL;
    int rc = -1;
    if (!(objects = PyObject_GetAttr(self, s_objects)) || !(id = PyLong_FromVoidPtr(instance)))
        goto done;
    PyObject *old = PyDict_CheckExact(objects) ? Py_XNewRef(PyDict_GetItemWithError(objects, id))
                                               : PyObject_GetItem(objects, id);
    if (old) {
        int alive = tobj_alive(st, old);
        Py_DECREF(old);
        if (alive) {
            rc = alive < 0 ? -1 : 0;
            goto done;
        }
    } else if (PyErr_Occurred()) {
        if (PyDict_CheckExact(objects) || !PyErr_ExceptionMatches(PyExc_KeyError))
            goto done;
        PyErr_Clear();
    }
    if (!PyType_SUPPORTS_WEAKREFS(Py_TYPE(instance))) {
        /* before any bookkeeping: nothing is left behind */
        PyErr_Format(PyExc_TypeError,
                     "cannot track an object of class '%.200s': its instances cannot be weakly referenced "
                     "(a class with __slots__ needs '__weakref__' among them)",
                     Py_TYPE(instance)->tp_name);
        goto done;
    }
    int named = name ? PyObject_IsTrue(name) : 0;
    if (named < 0)
        goto done;
    if (!named) {
        PyObject *cls = PyObject_GetAttr(instance, s_class);
        if (!cls)
            goto done;
        cname = PyObject_GetAttr(cls, s_name_attr);
        Py_DECREF(cls);
        if (!cname)
            goto done;
        name = cname;
    }
    if (!(history = PyObject_GetAttr(self, s_history)) || !(series = PyObject_GetItem(history, name)))
        goto done;
    if (!(tobj = (TObj *)PyType_GenericAlloc(st->tobj_type, 0)))
        goto done;
    if (tobj_setup(st, tobj, instance, id, name, level) < 0)
        goto done;
    if (trace) {
        PyObject *tr = save_trace(st);
        if (!tr)
            goto done;
        Py_XSETREF(tobj->trace, tr);
    }
    if (series_step(st, series, 1) < 0)
        goto done;
    Py_XSETREF(tobj->on_delete, Py_NewRef(series));
    tobj->flags |= TO_SERIES;
    if (!(index = PyObject_GetAttr(self, s_index)) || !(bucket = PyObject_GetItem(index, name)) ||
        append_to(bucket, (PyObject *)tobj) < 0 || PyObject_SetItem(objects, id, (PyObject *)tobj) < 0)
        goto done;
    if (keep) {
        PyObject *ka = PyObject_GetAttr(self, s_keepalive);
        if (!ka)
            goto done;
        int r = append_to(ka, instance);
        Py_DECREF(ka);
        if (r < 0)
            goto done;
    }
    rc = 0;
done:
    Py_XDECREF(objects);
    Py_XDECREF(id);
    Py_XDECREF(cname);
    Py_XDECREF(history);
    Py_XDECREF(series);
    Py_XDECREF(index);
    Py_XDECREF(bucket);
    Py_XDECREF(tobj);
    return rc;
}

/* ---- argument parsing for the methods ---------------------------------------- */

/* Parse (obj, name=None, resolution_level=0, keep=False, trace=False) as
 * track_object and track_class take them. */
static int parse_track_args(const char *fn, const char *first, PyObject *args, PyObject *kwds, PyObject **obj,
                            PyObject **name, PyObject **level, int *keep, int *trace)
{
    char fmt[64];
    char *kwlist[] = {(char *)first, "name", "resolution_level", "keep", "trace", NULL};
    PyObject *k = Py_False, *t = Py_False;
    *name = Py_None;
    *level = NULL;
    snprintf(fmt, sizeof fmt, "O|OOOO:%s", fn);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, fmt, kwlist, obj, name, level, &k, &t))
        return -1;
    if ((*keep = PyObject_IsTrue(k)) < 0 || (*trace = PyObject_IsTrue(t)) < 0)
        return -1;
    return 0;
}

static PyObject *small_zero(void)
{
    return PyLong_FromLong(0);
}

static PyObject *CT_track_object(PyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *instance, *name, *level;
    int keep, trace;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st || parse_track_args("track_object", "instance", args, kwds, &instance, &name, &level, &keep, &trace) < 0)
        return NULL;
    PyObject *zero = NULL;
    if (!level && !(level = zero = small_zero()))
        return NULL;
    int rc = track_object_impl(st, self, instance, name == Py_None ? NULL : name, level, keep, trace);
    Py_XDECREF(zero);
    if (rc < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* ======================================================================
 * _Constructor: the __init__ track_class installs
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    PyObject *tracker;  /* the ClassTracker */
    Observer *observer; /* its options and the original __init__ */
    PyObject *func;     /* _inject_constructor's func; NULL: the tracker's own tracking */
    vectorcallfunc vectorcall;
} Ctor;

static int Ctor_traverse(Ctor *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->tracker);
    Py_VISIT(self->observer);
    Py_VISIT(self->func);
    return 0;
}

static int Ctor_clear(Ctor *self)
{
    Py_CLEAR(self->tracker);
    Py_CLEAR(self->observer);
    Py_CLEAR(self->func);
    return 0;
}

static void Ctor_dealloc(Ctor *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Ctor_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *Ctor_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Ctor *self = (Ctor *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Observer *obs = self->observer;
    if (!obs || !obs->init || !self->tracker) {
        PyErr_SetString(PyExc_RuntimeError, "this tracked constructor was cleared");
        return NULL;
    }
    if (self->func) {
        /* func(observer, *args, **kwargs) */
        Py_ssize_t nk = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
        PyObject **a = PyMem_Malloc(sizeof(PyObject *) * (size_t)(nargs + nk + 1));
        if (!a)
            return PyErr_NoMemory();
        a[0] = (PyObject *)obs;
        for (Py_ssize_t i = 0; i < nargs + nk; i++)
            a[i + 1] = args[i];
        PyObject *r = PyObject_Vectorcall(self->func, a, (size_t)(nargs + 1), kwnames);
        PyMem_Free(a);
        return r;
    }
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "__init__() needs the instance as its first argument");
        return NULL;
    }
    ct_state *st = tstate(Py_TYPE(self));
    if (!st)
        return NULL;
    /* the observer's values, held: track_object may run Python code */
    PyObject *init = Py_NewRef(obs->init), *name = Py_NewRef(obs->name), *detail = Py_NewRef(obs->detail);
    int keep = obs->keep_c, trace = obs->trace_c;
    PyObject *r = NULL;
    if (track_object_impl(st, self->tracker, args[0], name, detail, keep, trace) == 0)
        r = PyObject_Vectorcall(init, args, nargsf, kwnames);
    Py_DECREF(init);
    Py_DECREF(name);
    Py_DECREF(detail);
    return r;
}

static PyObject *Ctor_descr_get(PyObject *self, PyObject *obj, PyObject *type)
{
    (void)type;
    if (!obj || obj == Py_None)
        return Py_NewRef(self);
    return PyMethod_New(self, obj);
}

static PyObject *Ctor_get_wrapped(Ctor *self, void *c)
{
    (void)c;
    if (!self->observer || !self->observer->init)
        Py_RETURN_NONE;
    return Py_NewRef(self->observer->init);
}

static PyGetSetDef Ctor_getset[] = {
    {"__wrapped__", (getter)Ctor_get_wrapped, NULL, "The original __init__.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMemberDef Ctor_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Ctor, vectorcall), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyType_Slot Ctor_slots[] = {
    {Py_tp_doc, "The __init__ a ClassTracker installs in a tracked class: it tracks the new instance,\n"
                "then calls the original __init__ (returning what it returns)."},
    {Py_tp_traverse, Ctor_traverse},
    {Py_tp_clear, Ctor_clear},
    {Py_tp_dealloc, Ctor_dealloc},
    {Py_tp_call, PyVectorcall_Call},
    {Py_tp_descr_get, Ctor_descr_get},
    {Py_tp_getset, Ctor_getset},
    {Py_tp_members, Ctor_members},
    {0, NULL}};

static PyType_Spec Ctor_spec = {
    .name = "pympler.classtracker._Constructor",
    .basicsize = sizeof(Ctor),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR |
             Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = Ctor_slots,
};

/* ======================================================================
 * ClassTracker: classes
 * ====================================================================== */

static int inject(ct_state *st, PyObject *self, PyObject *cls, PyObject *func, PyObject *name, PyObject *level,
                  PyObject *keep, PyObject *trace)
{
    PyObject *observers = NULL, *orig = NULL;
    Observer *obs = NULL;
    Ctor *ctor = NULL;
    int rc = -1;
    if (!(observers = PyObject_GetAttr(self, s_observers)))
        goto done;
    /* a static type refuses the new __init__ below; only a heap type's own
     * dict is looked at (3.12+ keeps a static builtin's dict elsewhere) */
    PyObject *own = NULL;
    if (PyType_HasFeature((PyTypeObject *)cls, Py_TPFLAGS_HEAPTYPE) && ((PyTypeObject *)cls)->tp_dict &&
        !(own = PyDict_GetItemWithError(((PyTypeObject *)cls)->tp_dict, s_init)) && PyErr_Occurred())
        goto done;
    if (!(orig = PyObject_GetAttr(cls, s_init))) {
        /* Pympler: a constructor that does nothing */
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            goto done;
        PyErr_Clear();
        if (!(orig = pym_module_attr("builtins", "object")))
            goto done;
        Py_SETREF(orig, PyObject_GetAttr(orig, s_init));
        if (!orig)
            goto done;
    }
    if (!(obs = (Observer *)PyType_GenericAlloc(st->observer_type, 0)))
        goto done;
    obs->init = Py_NewRef(orig);
    obs->had_own_init = own != NULL;
    if (observer_modify(obs, name, level, keep, trace) < 0)
        goto done;
    if (!(ctor = (Ctor *)PyType_GenericAlloc(st->ctor_type, 0)))
        goto done;
    ctor->tracker = Py_NewRef(self);
    ctor->observer = (Observer *)Py_NewRef(obs);
    ctor->func = Py_XNewRef(func);
    ctor->vectorcall = Ctor_vectorcall;
    if (PyObject_SetAttr(cls, s_init, (PyObject *)ctor) < 0 || PyObject_SetItem(observers, cls, (PyObject *)obs) < 0)
        goto done;
    rc = 0;
done:
    Py_XDECREF(observers);
    Py_XDECREF(orig);
    Py_XDECREF(obs);
    Py_XDECREF(ctor);
    return rc;
}

/* _restore_constructor: the original __init__ back (removed again when the
 * class had none of its own), the observer forgotten.  KeyError if not
 * tracked. */
static int restore(PyObject *self, PyObject *cls)
{
    PyObject *observers = PyObject_GetAttr(self, s_observers);
    if (!observers)
        return -1;
    int rc = -1;
    PyObject *obs = PyObject_GetItem(observers, cls);
    if (!obs)
        goto done;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st)
        goto done;
    if (Py_IS_TYPE(obs, st->observer_type) && !((Observer *)obs)->had_own_init && PyType_Check(cls)) {
        if (PyObject_DelAttr(cls, s_init) < 0) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError))
                goto done;
            PyErr_Clear();
        }
    } else {
        PyObject *init = PyObject_GetAttrString(obs, "init");
        if (!init)
            goto done;
        int r = PyObject_SetAttr(cls, s_init, init);
        Py_DECREF(init);
        if (r < 0)
            goto done;
    }
    rc = PyObject_DelItem(observers, cls);
done:
    Py_XDECREF(obs);
    Py_DECREF(observers);
    return rc;
}

static PyObject *CT_track_class(PyObject *self, PyObject *args, PyObject *kwds)
{
    char *kwlist[] = {"cls", "name", "resolution_level", "keep", "trace", NULL};
    PyObject *cls, *name = Py_None, *level = NULL, *keep = Py_False, *trace = Py_False;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st || !PyArg_ParseTupleAndKeywords(args, kwds, "O|OOOO:track_class", kwlist, &cls, &name, &level, &keep,
                                            &trace))
        return NULL;
    if (!PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "only class objects can be tracked");
        return NULL;
    }
    PyObject *zero = NULL, *made = NULL, *observers = NULL, *r = NULL;
    if (!level && !(level = zero = small_zero()))
        return NULL;
    if (name == Py_None) {
        PyObject *mod = PyObject_GetAttr(cls, s_module), *nm = mod ? PyObject_GetAttr(cls, s_name_attr) : NULL;
        if (nm) {
            PyObject *dot = PyUnicode_FromString(".");
            PyObject *a = dot ? PyNumber_Add(mod, dot) : NULL;
            made = a ? PyNumber_Add(a, nm) : NULL;
            Py_XDECREF(dot);
            Py_XDECREF(a);
        }
        Py_XDECREF(mod);
        Py_XDECREF(nm);
        if (!made)
            goto done;
        name = made;
    }
    if (!(observers = PyObject_GetAttr(self, s_observers)))
        goto done;
    int tracked = PySequence_Contains(observers, cls);
    if (tracked < 0)
        goto done;
    if (tracked) {
        PyObject *obs = PyObject_GetItem(observers, cls);
        if (!obs)
            goto done;
        PyObject *m = PyObject_CallMethod(obs, "modify", "OOOO", name, level, keep, trace);
        Py_DECREF(obs);
        if (!m)
            goto done;
        Py_DECREF(m);
    } else if (inject(st, self, cls, NULL, name, level, keep, trace) < 0) {
        goto done;
    }
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(zero);
    Py_XDECREF(made);
    Py_XDECREF(observers);
    return r;
}

static PyObject *CT_inject_constructor(PyObject *self, PyObject *args)
{
    PyObject *cls, *func, *name, *level, *keep, *trace;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st || !PyArg_ParseTuple(args, "OOOOOO:_inject_constructor", &cls, &func, &name, &level, &keep, &trace))
        return NULL;
    if (!PyType_Check(cls)) {
        PyErr_SetString(PyExc_TypeError, "_inject_constructor() needs a class");
        return NULL;
    }
    if (inject(st, self, cls, func, name, level, keep, trace) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* _tracker(_observer_, _self_, *args, **kwds): track, then the original. */
static PyObject *CT_tracker(PyObject *self, PyObject *args, PyObject *kwds)
{
    ct_state *st = tstate(Py_TYPE(self));
    if (!st)
        return NULL;
    if (PyTuple_GET_SIZE(args) < 2) {
        PyErr_SetString(PyExc_TypeError, "_tracker() needs an observer and an instance");
        return NULL;
    }
    PyObject *obs = PyTuple_GET_ITEM(args, 0), *inst = PyTuple_GET_ITEM(args, 1);
    PyObject *name = NULL, *detail = NULL, *keep = NULL, *trace = NULL, *init = NULL, *rest = NULL, *r = NULL;
    if (!(name = PyObject_GetAttrString(obs, "name")) || !(detail = PyObject_GetAttrString(obs, "detail")) ||
        !(keep = PyObject_GetAttrString(obs, "keep")) || !(trace = PyObject_GetAttrString(obs, "trace")) ||
        !(init = PyObject_GetAttrString(obs, "init")))
        goto done;
    int k = PyObject_IsTrue(keep), t = k < 0 ? -1 : PyObject_IsTrue(trace);
    if (t < 0 || track_object_impl(st, self, inst, name, detail, k, t) < 0)
        goto done;
    if (!(rest = PyTuple_GetSlice(args, 1, PY_SSIZE_T_MAX)))
        goto done;
    PyObject *res = PyObject_Call(init, rest, kwds);
    if (!res)
        goto done;
    Py_DECREF(res);
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(name);
    Py_XDECREF(detail);
    Py_XDECREF(keep);
    Py_XDECREF(trace);
    Py_XDECREF(init);
    Py_XDECREF(rest);
    return r;
}

static PyObject *CT_is_tracked(PyObject *self, PyObject *cls)
{
    PyObject *observers = PyObject_GetAttr(self, s_observers);
    if (!observers)
        return NULL;
    int r = PySequence_Contains(observers, cls);
    Py_DECREF(observers);
    return r < 0 ? NULL : PyBool_FromLong(r);
}

static PyObject *CT_track_modify(PyObject *self, PyObject *args)
{
    PyObject *cls, *name, *detail, *keep, *trace;
    if (!PyArg_ParseTuple(args, "OOOOO:_track_modify", &cls, &name, &detail, &keep, &trace))
        return NULL;
    PyObject *observers = PyObject_GetAttr(self, s_observers);
    PyObject *obs = observers ? PyObject_GetItem(observers, cls) : NULL;
    Py_XDECREF(observers);
    if (!obs)
        return NULL;
    PyObject *r = PyObject_CallMethod(obs, "modify", "OOOO", name, detail, keep, trace);
    Py_DECREF(obs);
    return r;
}

static PyObject *CT_detach_class(PyObject *self, PyObject *cls)
{
    if (restore(self, cls) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int detach_all_classes(PyObject *self)
{
    PyObject *observers = PyObject_GetAttr(self, s_observers);
    if (!observers)
        return -1;
    PyObject *keys = PySequence_List(observers);
    Py_DECREF(observers);
    if (!keys)
        return -1;
    int rc = 0;
    for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(keys); i++)
        rc = restore(self, PyList_GET_ITEM(keys, i));
    Py_DECREF(keys);
    return rc;
}

static PyObject *CT_detach_all_classes(PyObject *self, PyObject *unused)
{
    (void)unused;
    if (detach_all_classes(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int clear_attr(PyObject *self, PyObject *name, int slice)
{
    PyObject *v = PyObject_GetAttr(self, name);
    if (!v)
        return -1;
    int rc;
    if (slice) {
        rc = clear_seq(v);
    } else {
        PyObject *r = call0(v, s_clear);
        rc = r ? 0 : -1;
        Py_XDECREF(r);
    }
    Py_DECREF(v);
    return rc;
}

static int detach_all(PyObject *self)
{
    if (detach_all_classes(self) < 0 || clear_attr(self, s_objects, 0) < 0 || clear_attr(self, s_index, 0) < 0 ||
        clear_attr(self, s_keepalive, 1) < 0)
        return -1;
    return 0;
}

static PyObject *CT_detach_all(PyObject *self, PyObject *unused)
{
    (void)unused;
    if (detach_all(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *CT_clear(PyObject *self, PyObject *unused)
{
    (void)unused;
    if (detach_all(self) < 0 || clear_attr(self, s_snapshots, 1) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *CT_track_change(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"instance", "resolution_level", NULL};
    PyObject *instance, *level = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:track_change", kwlist, &instance, &level))
        return NULL;
    PyObject *objects = PyObject_GetAttr(self, s_objects), *id = NULL, *tobj = NULL, *zero = NULL, *r = NULL;
    if (!objects || !(id = PyLong_FromVoidPtr(instance)) || !(tobj = getitem(objects, id)))
        goto done;
    if (!level && !(level = zero = small_zero()))
        goto done;
    r = call1(tobj, s_set_resolution_level, level);
done:
    Py_XDECREF(objects);
    Py_XDECREF(id);
    Py_XDECREF(tobj);
    Py_XDECREF(zero);
    return r;
}

/* ======================================================================
 * ClassTracker: periodic snapshots
 * ====================================================================== */

static int stop_periodic(PyObject *self)
{
    PyObject *th = PyObject_GetAttr(self, s_periodic);
    if (!th)
        return -1;
    int rc = -1, t = PyObject_IsTrue(th);
    if (t <= 0) {
        rc = t;
        goto done;
    }
    PyObject *alive = call0(th, s_is_alive);
    if (!alive)
        goto done;
    int a = PyObject_IsTrue(alive);
    Py_DECREF(alive);
    if (a < 0)
        goto done;
    if (a) {
        if (PyObject_SetAttr(th, s_stop, Py_True) < 0)
            goto done;
        PyObject *j = call0(th, s_join);
        if (!j)
            goto done;
        Py_DECREF(j);
        /* the atexit stop of a stopped thread is no longer needed */
        PyObject *stop_fn = pym_getattr_optional(th, "_stop_at_exit");
        if (!stop_fn && PyErr_Occurred())
            goto done;
        if (stop_fn) {
            PyObject *unreg = pym_module_attr("atexit", "unregister");
            PyObject *u = unreg ? PyObject_CallOneArg(unreg, stop_fn) : NULL;
            Py_XDECREF(unreg);
            Py_DECREF(stop_fn);
            if (!u)
                goto done;
            Py_DECREF(u);
        }
        if (PyObject_SetAttr(self, s_periodic, Py_None) < 0)
            goto done;
    }
    rc = 0;
done:
    Py_DECREF(th);
    return rc;
}

static PyObject *CT_stop_periodic_snapshots(PyObject *self, PyObject *unused)
{
    (void)unused;
    if (stop_periodic(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *CT_start_periodic_snapshots(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"interval", NULL};
    PyObject *interval = NULL, *made = NULL;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st || !PyArg_ParseTupleAndKeywords(args, kwds, "|O:start_periodic_snapshots", kwlist, &interval))
        return NULL;
    if (!interval && !(interval = made = PyFloat_FromDouble(1.0)))
        return NULL;
    PyObject *th = PyObject_GetAttr(self, s_periodic), *r = NULL;
    if (!th)
        goto done;
    int t = PyObject_IsTrue(th);
    if (t < 0)
        goto done;
    if (t) {
        if (PyObject_SetAttr(th, s_interval, interval) < 0)
            goto done;
    } else {
        PyObject *kw = Py_BuildValue("{sssO}", "name", "BackgroundMonitor", "daemon", Py_True);
        PyObject *a = kw ? PyTuple_Pack(2, self, interval) : NULL;
        PyObject *nt = a ? PyObject_Call(st->thread_type, a, kw) : NULL;
        Py_XDECREF(kw);
        Py_XDECREF(a);
        if (!nt)
            goto done;
        int bad = PyObject_SetAttr(self, s_periodic, nt) < 0;
        PyObject *s = bad ? NULL : call0(nt, s_start);
        Py_DECREF(nt);
        if (!s)
            goto done;
        Py_DECREF(s);
    }
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(th);
    Py_XDECREF(made);
    return r;
}

static PyObject *CT_close(PyObject *self, PyObject *unused)
{
    (void)unused;
    if (detach_all_classes(self) < 0 || stop_periodic(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* ======================================================================
 * ClassTracker: create_snapshot
 * ====================================================================== */

typedef struct {
    double birth;
    Py_ssize_t order;
    PyObject *tobj; /* borrowed from the list of values */
} birth_rec;

static int birth_cmp(const void *a, const void *b)
{
    const birth_rec *x = a, *y = b;
    if (x->birth < y->birth)
        return -1;
    if (x->birth > y->birth)
        return 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* list(values) sorted by birth (stable).  New list. */
static PyObject *sorted_by_birth(ct_state *st, PyObject *values)
{
    Py_ssize_t n = PyList_GET_SIZE(values);
    birth_rec *recs = PyMem_Malloc(sizeof(birth_rec) * (size_t)(n ? n : 1));
    if (!recs)
        return PyErr_NoMemory();
    PyObject *out = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(values, i);
        recs[i].order = i;
        recs[i].tobj = t;
        if (Py_IS_TYPE(t, st->tobj_type) && (((TObj *)t)->flags & TO_BIRTH_C)) {
            recs[i].birth = ((TObj *)t)->birth_c;
            continue;
        }
        PyObject *b = PyObject_GetAttr(t, s_birth);
        double d = b ? PyFloat_AsDouble(b) : -1.0;
        Py_XDECREF(b);
        if (d == -1.0 && PyErr_Occurred())
            goto done;
        recs[i].birth = d;
    }
    qsort(recs, (size_t)n, sizeof *recs, birth_cmp);
    if (!(out = PyList_New(n)))
        goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        PyList_SET_ITEM(out, i, Py_NewRef(recs[i].tobj));
done:
    PyMem_Free(recs);
    return out;
}

static PyObject *tobj_target(ct_state *st, PyObject *tobj)
{
    if (Py_IS_TYPE(tobj, st->tobj_type) && ((TObj *)tobj)->ref && PyWeakref_CheckRef(((TObj *)tobj)->ref))
        return pym_weakref_get(((TObj *)tobj)->ref);
    PyObject *ref = PyObject_GetAttr(tobj, s_ref);
    if (!ref)
        return NULL;
    PyObject *o = PyObject_CallNoArgs(ref);
    Py_DECREF(ref);
    return o;
}

static int set_attr_obj(PyObject *o, PyObject *name, PyObject *v)
{
    if (!v)
        return -1;
    int r = PyObject_SetAttr(o, name, v);
    Py_DECREF(v);
    return r;
}

static int snapshot_impl(ct_state *st, PyObject *self, PyObject *description, int compute_total)
{
    PyObject *objects = NULL, *values = NULL, *targets = NULL, *sizer = NULL, *sorted = NULL, *ts = NULL,
             *desc = NULL, *snap = NULL, *total = NULL, *snaps = NULL;
    int rc = -1;
    if (!(objects = PyObject_GetAttr(self, s_objects)))
        goto done;
    if (!(values = PyDict_CheckExact(objects) ? PyDict_Values(objects) : PyObject_CallMethod(objects, "values", NULL)))
        goto done;
    Py_SETREF(values, PySequence_List(values));
    if (!values)
        goto done;
    ts = PyFloat_FromDouble(rel_time(st));
    if (!ts || !(sizer = PyObject_CallNoArgs(st->asizer_type)))
        goto done;
    Py_ssize_t n = PyList_GET_SIZE(values);
    if (!(targets = PyTuple_New(n)))
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = tobj_target(st, PyList_GET_ITEM(values, i));
        if (!o)
            goto done;
        PyTuple_SET_ITEM(targets, i, o);
    }
    PyObject *exclude = PyObject_GetAttr(sizer, s_exclude_refs);
    PyObject *ex = exclude ? PyObject_Call(exclude, targets, NULL) : NULL;
    Py_XDECREF(exclude);
    if (!ex)
        goto done;
    Py_DECREF(ex);
    if (!(sorted = sorted_by_birth(st, values)))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(sorted); i++) {
        PyObject *t = PyList_GET_ITEM(sorted, i);
        if (Py_IS_TYPE(t, st->tobj_type)) {
            if (tobj_track_size((TObj *)t, ts, sizer) < 0)
                goto done;
        } else {
            PyObject *args[3] = {t, ts, sizer};
            PyObject *r = PyObject_VectorcallMethod(s_track_size, args, 3, NULL);
            if (!r)
                goto done;
            Py_DECREF(r);
        }
    }
    if (!(desc = PyObject_Str(description)))
        goto done;
    if (!(snap = PyObject_CallFunctionObjArgs((PyObject *)st->snapshot_type, ts, desc, NULL)))
        goto done;
    if (!(total = PyObject_GetAttr(sizer, s_total)) || PyObject_SetAttr(snap, s_tracked_total, total) < 0)
        goto done;
    if (compute_total) {
        PyObject *kw = Py_BuildValue("{sOsO}", "all", Py_True, "code", Py_True);
        PyObject *empty = kw ? PyTuple_New(0) : NULL;
        PyObject *at = empty ? PyObject_Call(st->asizeof_fn, empty, kw) : NULL;
        Py_XDECREF(kw);
        Py_XDECREF(empty);
        if (set_attr_obj(snap, s_asizeof_total, at) < 0)
            goto done;
    }
    PyObject *zero = PyLong_FromLong(0);
    if (set_attr_obj(snap, s_overhead, zero) < 0)
        goto done;
    int t = PyObject_IsTrue(total);
    if (t < 0)
        goto done;
    if (t) {
        PyObject *ov = call1(sizer, s_asizeof, self);
        if (!ov)
            goto done;
        if (PyObject_SetAttr(snap, s_overhead, ov) < 0) {
            Py_DECREF(ov);
            goto done;
        }
        PyObject *at = PyObject_GetAttr(snap, s_asizeof_total);
        int a = at ? PyObject_IsTrue(at) : -1;
        if (a > 0) {
            PyObject *d = PyNumber_Subtract(at, ov);
            a = set_attr_obj(snap, s_asizeof_total, d);
        }
        Py_XDECREF(at);
        Py_DECREF(ov);
        if (a < 0)
            goto done;
    }
    if (!(snaps = PyObject_GetAttr(self, s_snapshots)) || append_to(snaps, snap) < 0)
        goto done;
    rc = 0;
done:
    Py_XDECREF(objects);
    Py_XDECREF(values);
    Py_XDECREF(targets);
    Py_XDECREF(sizer);
    Py_XDECREF(sorted);
    Py_XDECREF(ts);
    Py_XDECREF(desc);
    Py_XDECREF(snap);
    Py_XDECREF(total);
    Py_XDECREF(snaps);
    return rc;
}

static PyObject *CT_create_snapshot(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"description", "compute_total", NULL};
    PyObject *description = NULL, *ct = Py_False;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st || !PyArg_ParseTupleAndKeywords(args, kwds, "|OO:create_snapshot", kwlist, &description, &ct))
        return NULL;
    int compute = PyObject_IsTrue(ct);
    if (compute < 0)
        return NULL;
    PyObject *lock = PyObject_GetAttr(self, s_snapshot_lock);
    if (!lock)
        return NULL;
    PyObject *a = call0(lock, s_acquire);
    if (!a) {
        Py_DECREF(lock);
        return NULL;
    }
    Py_DECREF(a);
    /* The snapshot makes a few acyclic objects per tracked object (an Asized,
     * a tuple, a repr): no collection while it runs, as they would only
     * rescan the tracked heap again and again. */
    int gc_was = PyGC_Disable();
    int rc = snapshot_impl(st, self, description ? description : st->empty_str, compute);
    if (gc_was)
        PyGC_Enable();
    /* release whatever happened, keeping the first exception */
    PyObject *et, *ev, *etb;
    PyErr_Fetch(&et, &ev, &etb);
    PyObject *rel = call0(lock, s_release);
    Py_DECREF(lock);
    if (et) {
        Py_XDECREF(rel);
        PyErr_Restore(et, ev, etb);
        return NULL;
    }
    if (!rel)
        return NULL;
    Py_DECREF(rel);
    (void)rc;
    Py_RETURN_NONE;
}

/* ======================================================================
 * ClassTracker: the type
 * ====================================================================== */

static int CT_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"stream", NULL};
    PyObject *stream = Py_None;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st || !PyArg_ParseTupleAndKeywords(args, kwds, "|O:ClassTracker", kwlist, &stream))
        return -1;
    PyObject *list_type = (PyObject *)&PyList_Type;
    if (set_attr_obj(self, s_index, PyObject_CallOneArg(st->defaultdict, list_type)) < 0 ||
        set_attr_obj(self, s_objects, PyDict_New()) < 0 || set_attr_obj(self, s_snapshots, PyList_New(0)) < 0 ||
        set_attr_obj(self, s_history, PyObject_CallOneArg(st->defaultdict, list_type)) < 0 ||
        set_attr_obj(self, s_keepalive, PyList_New(0)) < 0 || set_attr_obj(self, s_observers, PyDict_New()) < 0 ||
        PyObject_SetAttr(self, s_periodic, Py_None) < 0 || PyObject_SetAttr(self, s_stream, stream) < 0)
        return -1;
    return 0;
}

static PyObject *CT_get_stats(PyObject *self, void *c)
{
    (void)c;
    PyObject *cls = pym_module_attr("pympler.classtracker_stats", "ConsoleStats");
    if (!cls)
        return NULL;
    PyObject *stream = PyObject_GetAttr(self, s_stream), *r = NULL;
    if (stream) {
        PyObject *kw = Py_BuildValue("{sOsO}", "tracker", self, "stream", stream);
        PyObject *empty = kw ? PyTuple_New(0) : NULL;
        r = empty ? PyObject_Call(cls, empty, kw) : NULL;
        Py_XDECREF(kw);
        Py_XDECREF(empty);
        Py_DECREF(stream);
    }
    Py_DECREF(cls);
    return r;
}

static PyGetSetDef CT_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {"stats", CT_get_stats, NULL,
     "A ConsoleStats initialized with the current state of the class tracker.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

#define KW (METH_VARARGS | METH_KEYWORDS)
#define FN(f) (PyCFunction)(void (*)(void))(f)

static PyMethodDef CT_methods[] = {
    {"track_object", FN(CT_track_object), KW,
     "track_object($self, instance, name=None, resolution_level=0, keep=False, trace=False)\n--\n\n"
     "Track object 'instance' and sample size and lifetime information.  Objects that\n"
     "cannot be weakly referenced raise TypeError."},
    {"track_class", FN(CT_track_class), KW,
     "track_class($self, cls, name=None, resolution_level=0, keep=False, trace=False)\n--\n\n"
     "Track all objects of the class `cls` created from now on (by wrapping its __init__)."},
    {"track_change", FN(CT_track_change), KW,
     "track_change($self, instance, resolution_level=0)\n--\n\nChange the options of a tracked object (KeyError if not "
     "tracked)."},
    {"detach_class", FN(CT_detach_class), METH_O, "detach_class($self, cls)\n--\n\nStop tracking class 'cls'."},
    {"detach_all_classes", FN(CT_detach_all_classes), METH_NOARGS, "detach_all_classes($self)\n--\n\nDetach from all tracked classes."},
    {"detach_all", FN(CT_detach_all), METH_NOARGS, "detach_all($self)\n--\n\nDetach from all tracked classes and objects."},
    {"clear", FN(CT_clear), METH_NOARGS, "clear($self)\n--\n\nClear all gathered data and detach from all tracked objects/classes."},
    {"close", FN(CT_close), METH_NOARGS,
     "close($self)\n--\n\nDetach from tracked classes (and stop periodic snapshots); for contextlib.closing."},
    {"start_periodic_snapshots", FN(CT_start_periodic_snapshots), KW,
     "start_periodic_snapshots($self, interval=1.0)\n--\n\nStart a daemon thread taking snapshots every `interval` "
     "seconds."},
    {"stop_periodic_snapshots", FN(CT_stop_periodic_snapshots), METH_NOARGS,
     "stop_periodic_snapshots($self)\n--\n\nStop the periodic snapshots and wait for the thread."},
    {"create_snapshot", FN(CT_create_snapshot), KW,
     "create_snapshot($self, description='', compute_total=False)\n--\n\nCollect current per instance statistics."},
    {"_inject_constructor", FN(CT_inject_constructor), METH_VARARGS,
     "_inject_constructor(cls, func, name, resolution_level, keep, trace)"},
    {"_tracker", FN(CT_tracker), KW, "_tracker(_observer_, _self_, *args, **kwds)"},
    {"_is_tracked", FN(CT_is_tracked), METH_O, "_is_tracked(cls)"},
    {"_track_modify", FN(CT_track_modify), METH_VARARGS, "_track_modify(cls, name, detail, keep, trace)"},
    {"_restore_constructor", FN(CT_detach_class), METH_O, "_restore_constructor(cls)"},
    PYM_DICTOBJ_REDUCE_EX,
    {NULL, NULL, 0, NULL}};

static PyType_Slot CT_slots[] = {
    {Py_tp_traverse, pym_dictobj_heap_traverse},
    {Py_tp_clear, pym_dictobj_clear},
    {Py_tp_dealloc, pym_dictobj_heap_dealloc},
    {Py_tp_members, pym_dictobj_members},
    {Py_tp_getset, CT_getset},
    {Py_tp_doc, "ClassTracker(stream=None)\n--\n\nTrack the sizes and lifetimes of objects and of all instances of "
                "classes."},
    {Py_tp_methods, CT_methods},
    {Py_tp_init, CT_init},
    {0, NULL}};

static PyType_Spec CT_spec = {
    .name = "pympler.classtracker.ClassTracker",
    .basicsize = sizeof(pym_dictobj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = CT_slots,
};

/* ======================================================================
 * Snapshot
 * ====================================================================== */

static int Snap_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"timestamp", "description", NULL};
    PyObject *timestamp, *description = NULL;
    ct_state *st = tstate(Py_TYPE(self));
    if (!st || !PyArg_ParseTupleAndKeywords(args, kwds, "O|O:Snapshot", kwlist, &timestamp, &description))
        return -1;
    PyObject *pmi = pym_module_attr("pympler.process", "ProcessMemoryInfo");
    if (!pmi)
        return -1;
    PyObject *sys = PyObject_CallNoArgs(pmi);
    Py_DECREF(pmi);
    if (set_attr_obj(self, s_tracked_total, PyLong_FromLong(0)) < 0 ||
        set_attr_obj(self, s_asizeof_total, PyLong_FromLong(0)) < 0 ||
        set_attr_obj(self, s_overhead, PyLong_FromLong(0)) < 0 || PyObject_SetAttr(self, s_timestamp, timestamp) < 0 ||
        set_attr_obj(self, s_system_total, sys) < 0 ||
        PyObject_SetAttr(self, s_desc, description ? description : st->empty_str) < 0 ||
        PyObject_SetAttr(self, s_classes, Py_None) < 0)
        return -1;
    return 0;
}

static PyObject *Snap_get_total(PyObject *self, void *c)
{
    (void)c;
    PyObject *sys = PyObject_GetAttr(self, s_system_total);
    if (!sys)
        return NULL;
    PyObject *av = PyObject_GetAttr(sys, s_available);
    int a = av ? PyObject_IsTrue(av) : -1;
    Py_XDECREF(av);
    PyObject *r = NULL;
    if (a > 0)
        r = PyObject_GetAttr(sys, s_vsz);
    Py_DECREF(sys);
    if (a)
        return r;
    PyObject *at = PyObject_GetAttr(self, s_asizeof_total);
    if (!at)
        return NULL;
    int t = PyObject_IsTrue(at);
    if (t)
        return t < 0 ? (Py_DECREF(at), NULL) : at;
    Py_DECREF(at);
    return PyObject_GetAttr(self, s_tracked_total);
}

static PyObject *Snap_get_label(PyObject *self, void *c)
{
    (void)c;
    PyObject *desc = PyObject_GetAttr(self, s_desc), *ts = NULL, *fmt = NULL, *args = NULL, *r = NULL;
    if (!desc || !(ts = PyObject_GetAttr(self, s_timestamp)))
        goto done;
    int d = PyObject_IsTrue(desc);
    if (d < 0)
        goto done;
    if (!(fmt = PyUnicode_FromString(d ? "%s (%.3fs)" : "%.3fs")))
        goto done;
    if (!(args = d ? PyTuple_Pack(2, desc, ts) : PyTuple_Pack(1, ts)))
        goto done;
    r = PyUnicode_Format(fmt, args);
done:
    Py_XDECREF(desc);
    Py_XDECREF(ts);
    Py_XDECREF(fmt);
    Py_XDECREF(args);
    return r;
}

static PyGetSetDef Snap_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {"total", Snap_get_total, NULL,
     "The total (virtual) size of the process in bytes, else the best number available.", NULL},
    {"label", Snap_get_label, NULL, "Timestamped label for this snapshot, or a raw timestamp.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef Snap_methods[] = {PYM_DICTOBJ_REDUCE_EX, {NULL, NULL, 0, NULL}};

static PyType_Slot Snap_slots[] = {
    {Py_tp_traverse, pym_dictobj_heap_traverse},
    {Py_tp_clear, pym_dictobj_clear},
    {Py_tp_dealloc, pym_dictobj_heap_dealloc},
    {Py_tp_members, pym_dictobj_members},
    {Py_tp_getset, Snap_getset},
    {Py_tp_doc, "Snapshot(timestamp, description='')\n--\n\nSample sizes of objects and the process at an instant."},
    {Py_tp_methods, Snap_methods},
    {Py_tp_init, Snap_init},
    {0, NULL}};

static PyType_Spec Snap_spec = {
    .name = "pympler.classtracker.Snapshot",
    .basicsize = sizeof(pym_dictobj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = Snap_slots,
};

/* ======================================================================
 * PeriodicThread (a subclass of threading.Thread)
 * ====================================================================== */

static PyObject *PT_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) < 2) {
        PyErr_SetString(PyExc_TypeError, "PeriodicThread() needs a tracker and an interval");
        return NULL;
    }
    PyObject *rest = NULL, *base_init = NULL, *r = NULL;
    PyObject *me = PyTuple_GET_ITEM(args, 0);
    if (PyTuple_GET_SIZE(args) < 3) {
        PyErr_SetString(PyExc_TypeError, "PeriodicThread.__init__() missing 'tracker' and 'interval'");
        return NULL;
    }
    if (PyObject_SetAttr(me, s_interval, PyTuple_GET_ITEM(args, 2)) < 0 ||
        PyObject_SetAttr(me, s_tracker, PyTuple_GET_ITEM(args, 1)) < 0 || PyObject_SetAttr(me, s_stop, Py_False) < 0)
        return NULL;
    (void)self;
    if (!(base_init = pym_module_attr("threading", "Thread")))
        return NULL;
    Py_SETREF(base_init, PyObject_GetAttr(base_init, s_init));
    if (!base_init)
        return NULL;
    PyObject *head = PyTuple_Pack(1, me), *tail = head ? PyTuple_GetSlice(args, 3, PY_SSIZE_T_MAX) : NULL;
    rest = tail ? PySequence_Concat(head, tail) : NULL;
    Py_XDECREF(head);
    Py_XDECREF(tail);
    if (rest)
        r = PyObject_Call(base_init, rest, kwds);
    Py_XDECREF(rest);
    Py_DECREF(base_init);
    if (!r)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

/* sleep(seconds) without the GIL, in steps, until stop is set.  0 or -1. */
static int periodic_sleep(PyObject *me, double seconds)
{
    double end = wall_time() + seconds;
    for (;;) {
        PyObject *stop = PyObject_GetAttr(me, s_stop);
        int s = stop ? PyObject_IsTrue(stop) : -1;
        Py_XDECREF(stop);
        if (s)
            return s < 0 ? -1 : 0;
        double left = end - wall_time();
        if (!(left > 0))
            return 0;
        if (left > PERIODIC_STEP)
            left = PERIODIC_STEP;
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        Py_BEGIN_ALLOW_THREADS
        nanosleep(&ts, NULL);
        Py_END_ALLOW_THREADS
        if (PyErr_CheckSignals() < 0)
            return -1;
    }
}

static PyObject *PT_run(PyObject *m, PyObject *me)
{
    (void)m;
    if (PyObject_SetAttr(me, s_stop, Py_False) < 0)
        return NULL;
    for (;;) {
        PyObject *stop = PyObject_GetAttr(me, s_stop);
        int s = stop ? PyObject_IsTrue(stop) : -1;
        Py_XDECREF(stop);
        if (s < 0)
            return NULL;
        if (s)
            break;
        PyObject *tracker = PyObject_GetAttr(me, s_tracker);
        if (!tracker)
            return NULL;
        PyObject *r = call0(tracker, s_create_snapshot);
        Py_DECREF(tracker);
        if (!r)
            return NULL;
        Py_DECREF(r);
        PyObject *iv = PyObject_GetAttr(me, s_interval);
        double d = iv ? PyFloat_AsDouble(iv) : -1.0;
        Py_XDECREF(iv);
        if (d == -1.0 && PyErr_Occurred())
            return NULL;
        if (isnan(d) || d < 0) {
            PyErr_SetString(PyExc_ValueError, "sleep length must be non-negative");
            return NULL;
        }
        if (periodic_sleep(me, d) < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}

/* atexit: stop and join a running periodic thread before the interpreter
 * goes away (it would otherwise be frozen mid-snapshot). */
static PyObject *PT_atexit_stop(PyObject *m, PyObject *me)
{
    (void)m;
    if (PyObject_SetAttr(me, s_stop, Py_True) < 0)
        return NULL;
    PyObject *alive = call0(me, s_is_alive);
    int a = alive ? PyObject_IsTrue(alive) : -1;
    Py_XDECREF(alive);
    if (a > 0) {
        PyObject *j = PyObject_CallMethod(me, "join", "d", 5.0);
        Py_XDECREF(j);
        if (!j)
            return NULL;
    }
    if (a < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *PT_start(PyObject *m, PyObject *me)
{
    (void)m;
    PyObject *base = pym_module_attr("threading", "Thread"), *r = NULL;
    if (!base)
        return NULL;
    PyObject *start = PyObject_GetAttr(base, s_start);
    Py_DECREF(base);
    if (!start)
        return NULL;
    r = PyObject_CallOneArg(start, me);
    Py_DECREF(start);
    if (!r)
        return NULL;
    Py_DECREF(r);
    /* atexit.register(_stop_at_exit, self): harmless once stopped */
    PyObject *stop_fn = PyObject_GetAttrString(me, "_stop_at_exit");
    PyObject *reg = stop_fn ? pym_module_attr("atexit", "register") : NULL;
    PyObject *rr = reg ? PyObject_CallOneArg(reg, stop_fn) : NULL;
    Py_XDECREF(stop_fn);
    Py_XDECREF(reg);
    if (!rr)
        return NULL;
    Py_DECREF(rr);
    Py_RETURN_NONE;
}

/* ======================================================================
 * module
 * ====================================================================== */

static PyMethodDef pt_defs[] = {
    {"run", PT_run, METH_O, "run($module, self)\n--\n\nTake snapshots every `interval` seconds until `stop` is set."},
    {"start", PT_start, METH_O, "start($module, self)\n--\n\nStart the thread (it is stopped at interpreter exit)."},
    {"_stop_at_exit", PT_atexit_stop, METH_O, "Stop and join the thread (atexit)."},
    {"__init__", FN(PT_init), KW, "__init__(self, tracker, interval, *args, **kwargs)"},
};

/* class PeriodicThread(threading.Thread) with the functions above as its
 * methods: made through type(), as a Python subclass would be. */
static PyObject *make_thread_type(PyObject *m)
{
    PyObject *thread = pym_module_attr("threading", "Thread"), *ns = NULL, *cls = NULL, *bases = NULL;
    if (!thread)
        return NULL;
    if (!(ns = PyDict_New()))
        goto done;
    for (size_t i = 0; i < sizeof pt_defs / sizeof *pt_defs; i++) {
        PyObject *f = PyCFunction_NewEx(&pt_defs[i], m, NULL);
        PyObject *meth = f ? PyInstanceMethod_New(f) : NULL;
        Py_XDECREF(f);
        if (!meth || PyDict_SetItemString(ns, pt_defs[i].ml_name, meth) < 0) {
            Py_XDECREF(meth);
            goto done;
        }
        Py_DECREF(meth);
    }
    PyObject *doc = PyUnicode_FromString("PeriodicThread(tracker, interval, *args, **kwargs)\n\n"
                                         "Thread object to take snapshots periodically.");
    if (!doc || PyDict_SetItemString(ns, "__doc__", doc) < 0 ||
        PyDict_SetItemString(ns, "__module__", PyModule_GetNameObject(m)) < 0) {
        Py_XDECREF(doc);
        goto done;
    }
    Py_DECREF(doc);
    {
        PyObject *q = PyUnicode_FromString("PeriodicThread");
        if (!q || PyDict_SetItemString(ns, "__qualname__", q) < 0) {
            Py_XDECREF(q);
            goto done;
        }
        Py_DECREF(q);
    }
    if (!(bases = PyTuple_Pack(1, thread)))
        goto done;
    cls = PyObject_CallFunction((PyObject *)&PyType_Type, "sOO", "PeriodicThread", bases, ns);
done:
    Py_XDECREF(thread);
    Py_XDECREF(ns);
    Py_XDECREF(bases);
    return cls;
}

static const pym_reexport reexports[] = {
    {"Any", "typing", "Any"},
    {"Callable", "typing", "Callable"},
    {"Dict", "typing", "Dict"},
    {"IO", "typing", "IO"},
    {"List", "typing", "List"},
    {"Optional", "typing", "Optional"},
    {"Tuple", "typing", "Tuple"},
    {"ConsoleStats", "pympler.classtracker_stats", "ConsoleStats"},
    {"asizeof", "pympler.asizeof", NULL},
    {"pympler", "pympler", NULL},
    {"defaultdict", "collections", "defaultdict"},
    {"isclass", "inspect", "isclass"},
    {"stack", "inspect", "stack"},
    {"partial", "functools", "partial"},
    {"safe_repr", "pympler.util.stringutils", "safe_repr"},
    {"Thread", "threading", "Thread"},
    {"Lock", "threading", "Lock"},
    {"sleep", "time", "sleep"},
    {"time", "time", "time"},
    {"weakref_ref", "weakref", "ref"},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods_all[] = {
    {"track_object_creation", mod_track_object_creation, METH_O,
     "track_object_creation($module, time_series)\n--\n\nAppend (_get_time(), last count + 1)."},
    {"track_object_deletion", mod_track_object_deletion, METH_O,
     "track_object_deletion($module, time_series)\n--\n\nAppend (_get_time(), last count - 1)."},
    {"_get_time", mod_get_time, METH_NOARGS, "_get_time($module)\n--\n\nA timestamp relative to the import of the module."},
    PYM_REEXPORT_METHODS,
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    ct_state *st = state_of(m);
    if (pym_module_attach(m) < 0 || intern_names() < 0)
        return -1;
    st->local_start = wall_time();
    if (!(st->empty_str = PyUnicode_FromString("")) ||
        !(st->asized_type = pym_module_attr("pympler.asizeof", "Asized")) ||
        !(st->asizer_type = pym_module_attr("pympler.asizeof", "Asizer")) ||
        !(st->asizeof_fn = pym_module_attr("pympler.asizeof", "asizeof")) ||
        !(st->defaultdict = pym_module_attr("collections", "defaultdict")))
        return -1;
    if (!(st->tobj_type = pym_module_add_type(m, &TObj_spec, NULL)) ||
        !(st->observer_type = pym_module_add_type(m, &Observer_spec, NULL)) ||
        !(st->ctor_type = pym_module_add_type(m, &Ctor_spec, NULL)) ||
        !(st->snapshot_type = pym_module_add_type(m, &Snap_spec, NULL)) ||
        !(st->tracker_type = pym_module_add_type(m, &CT_spec, NULL)))
        return -1;
    /* __slots__ as Pympler's classes declare them: asizeof sizes a record's
     * slots through them (the tracker's overhead counts what Pympler's does) */
    PyObject *slots = Py_BuildValue("(sssssssss)", "ref", "id", "repr", "name", "birth", "death", "trace",
                                    "snapshots", "_resolution_level");
    if (slots) {
        PyObject *with_dict = PyUnicode_FromString("__dict__"), *one = with_dict ? PyTuple_Pack(1, with_dict) : NULL;
        Py_XSETREF(slots, one ? PySequence_Concat(slots, one) : NULL);
        Py_XDECREF(with_dict);
        Py_XDECREF(one);
    }
    int bad = !slots || PyObject_SetAttrString((PyObject *)st->tobj_type, "__slots__", slots) < 0;
    Py_XDECREF(slots);
    if (bad || !(slots = Py_BuildValue("(sssss)", "init", "name", "detail", "keep", "trace")))
        return -1;
    bad = PyObject_SetAttrString((PyObject *)st->observer_type, "__slots__", slots) < 0;
    Py_DECREF(slots);
    if (bad)
        return -1;
    /* ClassTracker.snapshot_lock: one lock of the class, as Pympler's */
    PyObject *lock = pym_module_attr("_thread", "allocate_lock");
    PyObject *l = lock ? PyObject_CallNoArgs(lock) : NULL;
    Py_XDECREF(lock);
    if (!l || PyObject_SetAttr((PyObject *)st->tracker_type, s_snapshot_lock, l) < 0) {
        Py_XDECREF(l);
        return -1;
    }
    Py_DECREF(l);
    if (!(st->thread_type = make_thread_type(m)) || PyModule_AddObjectRef(m, "PeriodicThread", st->thread_type) < 0)
        return -1;
    PyObject *all = Py_BuildValue("[s]", "ClassTracker");
    if (!all || PyModule_AddObject(m, "__all__", all) < 0) {
        Py_XDECREF(all);
        return -1;
    }
    if (PyModule_AddObject(m, "_local_start", PyFloat_FromDouble(st->local_start)) < 0)
        return -1;
    return 0;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    ct_state *st = state_of(m);
    Py_VISIT(st->tracker_type);
    Py_VISIT(st->tobj_type);
    Py_VISIT(st->snapshot_type);
    Py_VISIT(st->observer_type);
    Py_VISIT(st->ctor_type);
    Py_VISIT(st->thread_type);
    Py_VISIT(st->asized_type);
    Py_VISIT(st->asizer_type);
    Py_VISIT(st->asizeof_fn);
    Py_VISIT(st->defaultdict);
    Py_VISIT(st->stack_fn);
    Py_VISIT(st->empty_str);
    return 0;
}

static int module_clear(PyObject *m)
{
    ct_state *st = state_of(m);
    Py_CLEAR(st->tracker_type);
    Py_CLEAR(st->tobj_type);
    Py_CLEAR(st->snapshot_type);
    Py_CLEAR(st->observer_type);
    Py_CLEAR(st->ctor_type);
    Py_CLEAR(st->thread_type);
    Py_CLEAR(st->asized_type);
    Py_CLEAR(st->asizer_type);
    Py_CLEAR(st->asizeof_fn);
    Py_CLEAR(st->defaultdict);
    Py_CLEAR(st->stack_fn);
    Py_CLEAR(st->empty_str);
    return 0;
}

static void module_free(void *m)
{
    module_clear((PyObject *)m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.classtracker",
    .m_doc = "The ClassTracker: insight into the memory distribution of a Python program, by\n"
             "tracking the sizes and lifetimes of individual objects and of all instances of\n"
             "certain classes (Pympler 1.1's classtracker, in C).",
    .m_size = sizeof(ct_state),
    .m_methods = module_methods_all,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit_classtracker(void)
{
    return PyModuleDef_Init(&module_def);
}
