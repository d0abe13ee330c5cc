/* pympler.classtracker_stats: Stats, ConsoleStats and HtmlStats, as Pympler
 * 1.1's, in C.  See docs/classtracker.md.
 *
 * The classes keep their state in an instance __dict__ under Pympler's names
 * (index, snapshots, sorted, history, tracker, stream), so code that reads or
 * replaces them keeps working.  Reference trees (Asized) are merged and
 * printed with explicit stacks, never by recursion in C.
 *
 * Dumps are read and written by pympler._stats_io (its own safe format, and
 * Pympler 1.1's pickles on load); without that module dump_stats and
 * load_stats raise ImportError.  HtmlStats exists with its constructor and
 * attributes; create_html writes the report (pympler._htmlstats).
 */
#include "dictobj.h"
#include "module.h"
#include "pyrt.h"
#include "refgraph.h"  /* pym_trunc */
#include "summarize.h" /* pym_pp_number, pym_pp_timestamp */

#include <stddef.h>

PyMODINIT_FUNC PyInit_classtracker_stats(void);

typedef struct {
    PyTypeObject *stats_type, *console_type, *html_type;
    PyObject *asized_type; /* pympler.asizeof.Asized */
    PyObject *deepcopy;    /* copy.deepcopy */
} cs_state;

static struct PyModuleDef module_def;

static cs_state *state_of(PyObject *m)
{
    return (cs_state *)PyModule_GetState(m);
}

static cs_state *tstate(PyTypeObject *tp)
{
    return (cs_state *)pym_type_state(tp, &module_def);
}

static PyObject *s_index, *s_snapshots, *s_sorted, *s_history, *s_tracker, *s_stream, *s_size, *s_flat, *s_name,
    *s_refs, *s_write, *s_timestamp, *s_tracked_total, *s_classname, *s_tsize, *s_get_max_size,
    *s_get_size_at_time, *s_birth, *s_death, *s_classes, *s_total, *s_stop_periodic, *s_init_sort, *s_sort_stats,
    *s_annotate_snapshot, *s_print_object, *s_print_refs, *s_repr, *s_trace, *s_id, *s_desc, *s_asizeof_total,
    *s_tracked_classes, *s_load_stats, *s_colon, *s_empty, *s_close, *s_update, *s_dict, *s_append, *s_active,
    *s_sum, *s_avg, *s_pct;

static int intern_names(void)
{
    if (s_dict)
        return 0;
#define I(var, text)                               \
    if (!(var = PyUnicode_InternFromString(text))) \
        return -1;
    I(s_index, "index") I(s_snapshots, "snapshots") I(s_sorted, "sorted") I(s_history, "history")
    I(s_tracker, "tracker") I(s_stream, "stream") I(s_size, "size") I(s_flat, "flat") I(s_name, "name")
    I(s_refs, "refs") I(s_write, "write") I(s_timestamp, "timestamp") I(s_tracked_total, "tracked_total")
    I(s_classname, "classname") I(s_tsize, "tsize") I(s_get_max_size, "get_max_size")
    I(s_get_size_at_time, "get_size_at_time") I(s_birth, "birth") I(s_death, "death") I(s_classes, "classes")
    I(s_total, "total") I(s_stop_periodic, "stop_periodic_snapshots") I(s_init_sort, "_init_sort")
    I(s_sort_stats, "sort_stats") I(s_annotate_snapshot, "annotate_snapshot") I(s_print_object, "print_object")
    I(s_print_refs, "_print_refs") I(s_repr, "repr") I(s_trace, "trace") I(s_id, "id") I(s_desc, "desc")
    I(s_asizeof_total, "asizeof_total") I(s_tracked_classes, "tracked_classes") I(s_load_stats, "load_stats")
    I(s_colon, ":") I(s_empty, "") I(s_close, "close") I(s_update, "update") I(s_dict, "__dict__")
    I(s_append, "append") I(s_active, "active") I(s_sum, "sum") I(s_avg, "avg") I(s_pct, "pct")
#undef I
    return 0;
}

/* ======================================================================
 * helpers
 * ====================================================================== */

static PyObject *call1(PyObject *self, PyObject *name, PyObject *arg)
{
    PyObject *args[2] = {self, arg};
    return PyObject_VectorcallMethod(name, args, 1 + (arg != NULL), NULL);
}

static int set_attr_obj(PyObject *o, PyObject *name, PyObject *v)
{
    if (!v)
        return -1;
    int r = PyObject_SetAttr(o, name, v);
    Py_DECREF(v);
    return r;
}

/* stream.write(fmt % args); steals args.  0 or -1. */
static int write_fmt(PyObject *stream, const char *fmt, PyObject *args)
{
    if (!args)
        return -1;
    PyObject *f = PyUnicode_FromString(fmt), *s = f ? PyUnicode_Format(f, args) : NULL;
    Py_XDECREF(f);
    Py_DECREF(args);
    if (!s)
        return -1;
    PyObject *r = call1(stream, s_write, s);
    Py_DECREF(s);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static int write_str(PyObject *stream, PyObject *s)
{
    if (!s)
        return -1;
    PyObject *r = call1(stream, s_write, s);
    Py_DECREF(s);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static PyObject *get_stream(PyObject *self)
{
    return PyObject_GetAttr(self, s_stream);
}

/* ======================================================================
 * module functions: _ref2key, _merge_asized, _merge_objects, _format_trace
 * ====================================================================== */

/* ref.name.split(':')[0].  New reference. */
static PyObject *ref2key(PyObject *ref)
{
    PyObject *name = PyObject_GetAttr(ref, s_name);
    if (!name)
        return NULL;
    if (PyUnicode_CheckExact(name)) {
        Py_ssize_t at = PyUnicode_FindChar(name, ':', 0, PyUnicode_GET_LENGTH(name), 1);
        if (at == -2) {
            Py_DECREF(name);
            return NULL;
        }
        if (at < 0)
            return name;
        PyObject *r = PyUnicode_Substring(name, 0, at);
        Py_DECREF(name);
        return r;
    }
    PyObject *parts = PyObject_CallMethod(name, "split", "O", s_colon);
    Py_DECREF(name);
    if (!parts)
        return NULL;
    PyObject *r = PySequence_GetItem(parts, 0);
    Py_DECREF(parts);
    return r;
}

static PyObject *mod_ref2key(PyObject *m, PyObject *ref)
{
    (void)m;
    return ref2key(ref);
}

/* o.<name> += d.<name> */
static int add_attr(PyObject *o, PyObject *d, PyObject *name)
{
    PyObject *a = PyObject_GetAttr(o, name), *b = a ? PyObject_GetAttr(d, name) : NULL;
    PyObject *s = b ? PyNumber_InPlaceAdd(a, b) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(b);
    return set_attr_obj(o, name, s);
}

/* A copy of one Asized node (size, flat and name shared, refs ()).  */
static PyObject *asized_node_copy(cs_state *st, PyObject *src)
{
    PyObject *size = PyObject_GetAttr(src, s_size), *flat = size ? PyObject_GetAttr(src, s_flat) : NULL;
    PyObject *name = flat ? PyObject_GetAttr(src, s_name) : NULL, *empty = name ? PyTuple_New(0) : NULL;
    PyObject *c = empty ? PyObject_CallFunctionObjArgs(st->asized_type, size, flat, empty, name, NULL) : NULL;
    Py_XDECREF(size);
    Py_XDECREF(flat);
    Py_XDECREF(name);
    Py_XDECREF(empty);
    return c;
}

/* deepcopy(ref) for a tree of our Asized (which does not pickle), with an
 * explicit worklist; anything else goes to copy.deepcopy.  New reference. */
static PyObject *asized_deepcopy(cs_state *st, PyObject *ref)
{
    if (!Py_IS_TYPE(ref, (PyTypeObject *)st->asized_type))
        return PyObject_CallOneArg(st->deepcopy, ref);
    PyObject *root = asized_node_copy(st, ref), *work = root ? PyList_New(0) : NULL;
    if (!work)
        goto fail;
    PyObject *pair = PyTuple_Pack(2, root, ref);
    if (!pair || PyList_Append(work, pair) < 0) {
        Py_XDECREF(pair);
        goto fail;
    }
    Py_DECREF(pair);
    while (PyList_GET_SIZE(work) > 0) {
        Py_ssize_t last = PyList_GET_SIZE(work) - 1;
        pair = Py_NewRef(PyList_GET_ITEM(work, last));
        if (PyList_SetSlice(work, last, last + 1, NULL) < 0) {
            Py_DECREF(pair);
            goto fail;
        }
        PyObject *c = PyTuple_GET_ITEM(pair, 0), *src = PyTuple_GET_ITEM(pair, 1);
        PyObject *refs = PyObject_GetAttr(src, s_refs), *kids = refs ? PySequence_List(refs) : NULL;
        Py_XDECREF(refs);
        int bad = !kids;
        for (Py_ssize_t i = 0; !bad && i < PyList_GET_SIZE(kids); i++) {
            PyObject *k = PyList_GET_ITEM(kids, i);
            PyObject *kc = Py_IS_TYPE(k, (PyTypeObject *)st->asized_type) ? asized_node_copy(st, k)
                                                                        : PyObject_CallOneArg(st->deepcopy, k);
            PyObject *p2 = kc && Py_IS_TYPE(k, (PyTypeObject *)st->asized_type) ? PyTuple_Pack(2, kc, k) : NULL;
            if (!kc || (p2 && PyList_Append(work, p2) < 0) || (!p2 && PyErr_Occurred())) {
                Py_XDECREF(kc);
                Py_XDECREF(p2);
                bad = 1;
                break;
            }
            Py_XDECREF(p2);
            PyList_SET_ITEM(kids, i, kc); /* drops the original's borrowed slot reference */
            Py_DECREF(k);
        }
        if (!bad) {
            PyObject *t = PyList_AsTuple(kids);
            bad = !t || PyObject_SetAttr(c, s_refs, t) < 0;
            Py_XDECREF(t);
        }
        Py_XDECREF(kids);
        Py_DECREF(pair);
        if (bad)
            goto fail;
    }
    Py_DECREF(work);
    return root;
fail:
    Py_XDECREF(work);
    Py_XDECREF(root);
    return NULL;
}

typedef struct {
    PyObject *base, *other; /* owned */
    Py_ssize_t level;
} merge_frame;

/* One merge of Pympler's _merge_asized(base, other, level): sizes added,
 * refs of other merged into base's by key, the matching pairs pushed for
 * the same treatment one level down (in the order the recursion would take
 * them: the caller processes pushed frames last-in first-out).  0 or -1. */
static int merge_one(cs_state *st, PyObject *base, PyObject *other, Py_ssize_t level, merge_frame **stack,
                     size_t *n, size_t *cap)
{
    PyObject *brefs = NULL, *map = NULL, *orefs = NULL;
    PyObject **pending = NULL;
    size_t npending = 0;
    int rc = -1;
    if (add_attr(base, other, s_size) < 0 || add_attr(base, other, s_flat) < 0)
        goto done;
    if (level > 0 && set_attr_obj(base, s_name, ref2key(base)) < 0)
        goto done;
    PyObject *r0 = PyObject_GetAttr(base, s_refs);
    brefs = r0 ? PySequence_List(r0) : NULL;
    Py_XDECREF(r0);
    if (!brefs || PyObject_SetAttr(base, s_refs, brefs) < 0)
        goto done;
    /* base.refs may have been stored as a copy by a hostile setter: read it back */
    Py_SETREF(brefs, PyObject_GetAttr(base, s_refs));
    if (!brefs || !(map = PyDict_New()))
        goto done;
    {
        PyObject *fast = PySequence_Fast(brefs, "refs must be a sequence");
        if (!fast)
            goto done;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
            PyObject *ref = PySequence_Fast_GET_ITEM(fast, i), *key = ref2key(ref);
            if (!key || PyDict_SetItem(map, key, ref) < 0) {
                Py_XDECREF(key);
                Py_DECREF(fast);
                goto done;
            }
            Py_DECREF(key);
        }
        Py_DECREF(fast);
    }
    PyObject *o0 = PyObject_GetAttr(other, s_refs);
    orefs = o0 ? PySequence_List(o0) : NULL;
    Py_XDECREF(o0);
    if (!orefs)
        goto done;
    Py_ssize_t no = PyList_GET_SIZE(orefs);
    if (!(pending = PyMem_Malloc(sizeof(PyObject *) * 2 * (size_t)(no ? no : 1)))) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < no; i++) {
        PyObject *ref = PyList_GET_ITEM(orefs, i), *key = ref2key(ref);
        if (!key)
            goto done;
        PyObject *match = PyDict_GetItemWithError(map, key);
        if (match) {
            pending[2 * npending] = Py_NewRef(match);
            pending[2 * npending + 1] = Py_NewRef(ref);
            npending++;
        } else if (!PyErr_Occurred()) {
            PyObject *copy = asized_deepcopy(st, ref);
            int bad = !copy;
            if (!bad) {
                PyObject *r = call1(brefs, s_append, copy);
                bad = !r;
                Py_XDECREF(r);
                if (!bad)
                    bad = PyObject_SetAttr(copy, s_name, key) < 0;
                Py_DECREF(copy);
            }
            if (bad) {
                Py_DECREF(key);
                goto done;
            }
        }
        Py_DECREF(key);
        if (PyErr_Occurred())
            goto done;
    }
    /* push in reverse, so the first match is merged first */
    if (*n + npending > *cap) {
        size_t nc = (*cap ? *cap * 2 : 16) + npending;
        merge_frame *ns = PyMem_Realloc(*stack, nc * sizeof *ns);
        if (!ns) {
            PyErr_NoMemory();
            goto done;
        }
        *stack = ns;
        *cap = nc;
    }
    for (size_t i = npending; i-- > 0;) {
        (*stack)[*n].base = pending[2 * i];
        (*stack)[*n].other = pending[2 * i + 1];
        (*stack)[*n].level = level + 1;
        (*n)++;
    }
    npending = 0;
    rc = 0;
done:
    for (size_t i = 0; i < npending; i++) {
        Py_DECREF(pending[2 * i]);
        Py_DECREF(pending[2 * i + 1]);
    }
    PyMem_Free(pending);
    Py_XDECREF(brefs);
    Py_XDECREF(map);
    Py_XDECREF(orefs);
    return rc;
}

static int merge_asized(cs_state *st, PyObject *base, PyObject *other, Py_ssize_t level)
{
    merge_frame *stack = NULL;
    size_t n = 0, cap = 0;
    int rc = merge_one(st, base, other, level, &stack, &n, &cap);
    while (rc == 0 && n > 0) {
        merge_frame f = stack[--n];
        rc = merge_one(st, f.base, f.other, f.level, &stack, &n, &cap);
        Py_DECREF(f.base);
        Py_DECREF(f.other);
    }
    while (n > 0) {
        n--;
        Py_DECREF(stack[n].base);
        Py_DECREF(stack[n].other);
    }
    PyMem_Free(stack);
    return rc;
}

static PyObject *mod_merge_asized(PyObject *m, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"base", "other", "level", NULL};
    PyObject *base, *other;
    Py_ssize_t level = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|n:_merge_asized", kwlist, &base, &other, &level))
        return NULL;
    if (merge_asized(state_of(m), base, other, level) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* the size entry of obj.snapshots at tref (the last one), or NULL: *found 0 */
static int merge_objects(cs_state *st, PyObject *tref, PyObject *merged, PyObject *obj)
{
    PyObject *snaps = PyObject_GetAttr(obj, s_snapshots);
    if (!snaps)
        return -1;
    PyObject *fast = PySequence_Fast(snaps, "snapshots must be a sequence");
    Py_DECREF(snaps);
    if (!fast)
        return -1;
    PyObject *size = NULL;
    int rc = -1;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        PyObject *e = PySequence_Fast_GET_ITEM(fast, i), *t, *s;
        if (PyTuple_Check(e) && PyTuple_GET_SIZE(e) == 2) {
            t = Py_NewRef(PyTuple_GET_ITEM(e, 0));
            s = Py_NewRef(PyTuple_GET_ITEM(e, 1));
        } else {
            PyObject *f2 = PySequence_Fast(e, "a snapshot entry must be a pair");
            if (!f2)
                goto done;
            if (PySequence_Fast_GET_SIZE(f2) != 2) {
                Py_DECREF(f2);
                PyErr_SetString(PyExc_ValueError, "a snapshot entry must be a (timestamp, size) pair");
                goto done;
            }
            t = Py_NewRef(PySequence_Fast_GET_ITEM(f2, 0));
            s = Py_NewRef(PySequence_Fast_GET_ITEM(f2, 1));
            Py_DECREF(f2);
        }
        int eq = PyObject_RichCompareBool(t, tref, Py_EQ);
        Py_DECREF(t);
        if (eq < 0) {
            Py_DECREF(s);
            goto done;
        }
        if (eq)
            Py_XSETREF(size, s);
        else
            Py_DECREF(s);
    }
    rc = 0;
    if (size) {
        int truth = PyObject_IsTrue(size);
        if (truth < 0 || (truth && merge_asized(st, merged, size, 0) < 0))
            rc = -1;
    }
done:
    Py_DECREF(fast);
    Py_XDECREF(size);
    return rc;
}

static PyObject *mod_merge_objects(PyObject *m, PyObject *args)
{
    PyObject *tref, *merged, *obj;
    if (!PyArg_ParseTuple(args, "OOO:_merge_objects", &tref, &merged, &obj))
        return NULL;
    if (merge_objects(state_of(m), tref, merged, obj) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *format_trace(PyObject *trace)
{
    PyObject *lines = PyList_New(0), *fast = NULL, *r = NULL;
    PyObject *fmt = PyUnicode_FromString("  %s:%4d in %s\n"), *indent = PyUnicode_FromString("    "),
             *nl = PyUnicode_FromString("\n");
    if (!lines || !fmt || !indent || !nl || !(fast = PySequence_Fast(trace, "trace must be a sequence")))
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        PyObject *rec = PySequence_Tuple(PySequence_Fast_GET_ITEM(fast, i));
        if (!rec)
            goto done;
        if (PyTuple_GET_SIZE(rec) != 5) {
            PyErr_Format(PyExc_ValueError, "a trace record must have 5 items (%zd given)", PyTuple_GET_SIZE(rec));
            Py_DECREF(rec);
            goto done;
        }
        PyObject *src = PyTuple_GET_ITEM(rec, 3);
        int t = PyObject_IsTrue(src);
        if (t < 0) {
            Py_DECREF(rec);
            goto done;
        }
        if (t) {
            PyObject *it = PyObject_GetIter(src), *line;
            if (!it) {
                Py_DECREF(rec);
                goto done;
            }
            while ((line = PyIter_Next(it))) {
                PyObject *stripped = PyObject_CallMethod(line, "strip", NULL);
                Py_DECREF(line);
                PyObject *a = stripped ? PyNumber_Add(indent, stripped) : NULL;
                Py_XDECREF(stripped);
                PyObject *b = a ? PyNumber_Add(a, nl) : NULL;
                Py_XDECREF(a);
                if (!b || PyList_Append(lines, b) < 0) {
                    Py_XDECREF(b);
                    break;
                }
                Py_DECREF(b);
            }
            Py_DECREF(it);
            if (PyErr_Occurred()) {
                Py_DECREF(rec);
                goto done;
            }
        }
        PyObject *args = PyTuple_Pack(3, PyTuple_GET_ITEM(rec, 0), PyTuple_GET_ITEM(rec, 1), PyTuple_GET_ITEM(rec, 2));
        Py_DECREF(rec);
        PyObject *l = args ? PyUnicode_Format(fmt, args) : NULL;
        Py_XDECREF(args);
        if (!l || PyList_Append(lines, l) < 0) {
            Py_XDECREF(l);
            goto done;
        }
        Py_DECREF(l);
    }
    r = PyUnicode_Join(s_empty, lines);
done:
    Py_XDECREF(lines);
    Py_XDECREF(fast);
    Py_XDECREF(fmt);
    Py_XDECREF(indent);
    Py_XDECREF(nl);
    return r;
}

static PyObject *mod_format_trace(PyObject *m, PyObject *trace)
{
    (void)m;
    return format_trace(trace);
}

/* ======================================================================
 * Stats
 * ====================================================================== */

static int Stats_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"tracker", "filename", "stream", NULL};
    PyObject *tracker = Py_None, *filename = Py_None, *stream = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOO:Stats", kwlist, &tracker, &filename, &stream))
        return -1;
    int s = PyObject_IsTrue(stream);
    if (s < 0)
        return -1;
    if (s) {
        if (PyObject_SetAttr(self, s_stream, stream) < 0)
            return -1;
    } else {
        PyObject *out = PySys_GetObject("stdout"); /* borrowed */
        if (PyObject_SetAttr(self, s_stream, out ? out : Py_None) < 0)
            return -1;
    }
    if (PyObject_SetAttr(self, s_tracker, tracker) < 0 || set_attr_obj(self, s_index, PyDict_New()) < 0 ||
        set_attr_obj(self, s_snapshots, PyList_New(0)) < 0)
        return -1;
    int t = PyObject_IsTrue(tracker);
    if (t < 0)
        return -1;
    if (t && (set_attr_obj(self, s_index, PyObject_GetAttr(tracker, s_index)) < 0 ||
              set_attr_obj(self, s_snapshots, PyObject_GetAttr(tracker, s_snapshots)) < 0 ||
              set_attr_obj(self, s_history, PyObject_GetAttr(tracker, s_history)) < 0))
        return -1;
    if (set_attr_obj(self, s_sorted, PyList_New(0)) < 0)
        return -1;
    int f = PyObject_IsTrue(filename);
    if (f < 0)
        return -1;
    if (f) {
        PyObject *r = call1(self, s_load_stats, filename);
        if (!r)
            return -1;
        Py_DECREF(r);
    }
    return 0;
}

/* pympler._stats_io, or ImportError naming it. */
static PyObject *stats_io(void)
{
    PyObject *m = PyImport_ImportModule("pympler._stats_io");
    if (!m && PyErr_ExceptionMatches(PyExc_ImportError))
        return pym_err_format_from_cause(PyExc_ImportError,
                                         "dump_stats and load_stats need pympler._stats_io, which this build does "
                                         "not have");
    return m;
}

static PyObject *Stats_load_stats(PyObject *self, PyObject *fdump)
{
    PyObject *io = stats_io(), *res = NULL, *index = NULL, *snaps = NULL, *r = NULL, *tobj_cls = NULL,
             *snap_cls = NULL, *dd = NULL, *items = NULL;
    if (!io || !(res = PyObject_CallMethod(io, "load", "O", fdump)))
        goto done;
    if (!PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 2) {
        PyErr_SetString(PyExc_TypeError, "pympler._stats_io.load() must return (index_states, snapshot_states)");
        goto done;
    }
    if (!(tobj_cls = pym_module_attr("pympler.classtracker", "TrackedObject")) ||
        !(snap_cls = pym_module_attr("pympler.classtracker", "Snapshot")) ||
        !(dd = pym_module_attr("collections", "defaultdict")))
        goto done;
    if (!(index = PyObject_CallOneArg(dd, (PyObject *)&PyList_Type)))
        goto done;
    if (!(items = PyMapping_Items(PyTuple_GET_ITEM(res, 0))))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *kv = PyList_GET_ITEM(items, i), *lst = NULL, *fast = NULL;
        if (!PyTuple_Check(kv) || PyTuple_GET_SIZE(kv) != 2 || !(lst = PyList_New(0)) ||
            !(fast = PySequence_Fast(PyTuple_GET_ITEM(kv, 1), "index states must be lists"))) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "index states must map names to lists");
            Py_XDECREF(lst);
            goto done;
        }
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(fast); j++) {
            PyObject *o = PyObject_CallMethod(tobj_cls, "__new__", "O", tobj_cls);
            PyObject *s = o ? PyObject_CallMethod(o, "__setstate__", "O", PySequence_Fast_GET_ITEM(fast, j)) : NULL;
            if (!s || PyList_Append(lst, o) < 0) {
                Py_XDECREF(o);
                Py_XDECREF(s);
                Py_DECREF(lst);
                Py_DECREF(fast);
                goto done;
            }
            Py_DECREF(s);
            Py_DECREF(o);
        }
        Py_DECREF(fast);
        int bad = PyObject_SetItem(index, PyTuple_GET_ITEM(kv, 0), lst) < 0;
        Py_DECREF(lst);
        if (bad)
            goto done;
    }
    PyObject *sfast = PySequence_Fast(PyTuple_GET_ITEM(res, 1), "snapshot states must be a list");
    if (!sfast || !(snaps = PyList_New(0))) {
        Py_XDECREF(sfast);
        goto done;
    }
    for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(sfast); j++) {
        PyObject *o = PyObject_CallMethod(snap_cls, "__new__", "O", snap_cls);
        PyObject *d = o ? PyObject_GetAttr(o, s_dict) : NULL;
        PyObject *u = d ? call1(d, s_update, PySequence_Fast_GET_ITEM(sfast, j)) : NULL;
        Py_XDECREF(d);
        if (!u || PyList_Append(snaps, o) < 0) {
            Py_XDECREF(o);
            Py_XDECREF(u);
            Py_DECREF(sfast);
            goto done;
        }
        Py_DECREF(u);
        Py_DECREF(o);
    }
    Py_DECREF(sfast);
    if (PyObject_SetAttr(self, s_index, index) < 0 || PyObject_SetAttr(self, s_snapshots, snaps) < 0 ||
        set_attr_obj(self, s_sorted, PyList_New(0)) < 0)
        goto done;
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(io);
    Py_XDECREF(res);
    Py_XDECREF(index);
    Py_XDECREF(snaps);
    Py_XDECREF(tobj_cls);
    Py_XDECREF(snap_cls);
    Py_XDECREF(dd);
    Py_XDECREF(items);
    return r;
}

static int stop_tracker(PyObject *self)
{
    PyObject *tracker = PyObject_GetAttr(self, s_tracker);
    if (!tracker)
        return -1;
    int t = PyObject_IsTrue(tracker);
    if (t > 0) {
        PyObject *r = call1(tracker, s_stop_periodic, NULL);
        t = r ? 0 : -1;
        Py_XDECREF(r);
    }
    Py_DECREF(tracker);
    return t < 0 ? -1 : 0;
}

static PyObject *Stats_dump_stats(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"fdump", "close", NULL};
    PyObject *fdump, *close = Py_True;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:dump_stats", kwlist, &fdump, &close))
        return NULL;
    if (stop_tracker(self) < 0)
        return NULL;
    PyObject *io = stats_io(), *index = NULL, *snaps = NULL, *r = NULL;
    if (!io || !(index = PyObject_GetAttr(self, s_index)) || !(snaps = PyObject_GetAttr(self, s_snapshots)))
        goto done;
    PyObject *d = PyObject_CallMethod(io, "dump", "OOO", fdump, index, snaps);
    if (!d)
        goto done;
    Py_DECREF(d);
    int c = PyObject_IsTrue(close);
    if (c < 0)
        goto done;
    if (c && !PyUnicode_Check(fdump) && !PyBytes_Check(fdump) && PyObject_HasAttr(fdump, s_close)) {
        PyObject *cr = call1(fdump, s_close, NULL);
        if (!cr)
            goto done;
        Py_DECREF(cr);
    }
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(io);
    Py_XDECREF(index);
    Py_XDECREF(snaps);
    return r;
}

static PyObject *Stats_init_sort(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *sorted = PyObject_GetAttr(self, s_sorted), *snaps = NULL, *sfast = NULL, *index = NULL, *keys = NULL,
             *tmax = Py_NewRef(Py_None), *maxsize = PyLong_FromLong(0), *r = NULL;
    if (!sorted || !maxsize)
        goto done;
    int t = PyObject_IsTrue(sorted);
    if (t < 0)
        goto done;
    if (t) {
        r = Py_NewRef(Py_None);
        goto done;
    }
    if (!(snaps = PyObject_GetAttr(self, s_snapshots)) || !(sfast = PySequence_Fast(snaps, "snapshots must be a list")))
        goto done;
    /* Pympler's loop: the last snapshot with tracked_total > 0 (maxsize stays 0) */
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(sfast); i++) {
        PyObject *sn = PySequence_Fast_GET_ITEM(sfast, i);
        PyObject *tt = PyObject_GetAttr(sn, s_tracked_total);
        int gt = tt ? PyObject_RichCompareBool(tt, maxsize, Py_GT) : -1;
        Py_XDECREF(tt);
        if (gt < 0)
            goto done;
        if (gt) {
            PyObject *ts = PyObject_GetAttr(sn, s_timestamp);
            if (!ts)
                goto done;
            Py_SETREF(tmax, ts);
        }
    }
    if (!(index = PyObject_GetAttr(self, s_index)) || !(keys = PyMapping_Keys(index)))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        PyObject *lst = PyObject_GetItem(index, key);
        PyObject *fast = lst ? PySequence_Fast(lst, "index values must be lists") : NULL;
        if (!fast) {
            Py_XDECREF(lst);
            goto done;
        }
        for (Py_ssize_t j = 0; j < PySequence_Fast_GET_SIZE(fast); j++) {
            PyObject *tobj = PySequence_Fast_GET_ITEM(fast, j);
            if (PyObject_SetAttr(tobj, s_classname, key) < 0 ||
                set_attr_obj(tobj, s_size, call1(tobj, s_get_max_size, NULL)) < 0 ||
                set_attr_obj(tobj, s_tsize, call1(tobj, s_get_size_at_time, tmax)) < 0) {
                Py_DECREF(fast);
                Py_DECREF(lst);
                goto done;
            }
        }
        Py_DECREF(fast);
        PyObject *ext = PyObject_CallMethod(sorted, "extend", "O", lst);
        Py_DECREF(lst);
        if (!ext)
            goto done;
        Py_DECREF(ext);
    }
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(sorted);
    Py_XDECREF(snaps);
    Py_XDECREF(sfast);
    Py_XDECREF(index);
    Py_XDECREF(keys);
    Py_XDECREF(tmax);
    Py_XDECREF(maxsize);
    return r;
}

static const char *const criteria[] = {"classname", "tsize", "birth", "death", "name", "repr", "size"};
#define NCRITERIA (sizeof criteria / sizeof *criteria)

/* the sort key of obj: (getattr(obj, attr, '') ..., sizes as -int(size)) */
static PyObject *sort_key(PyObject *obj, PyObject *attrs)
{
    Py_ssize_t n = PyTuple_GET_SIZE(attrs);
    PyObject *key = PyTuple_New(n);
    if (!key)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *attr = PyTuple_GET_ITEM(attrs, i);
        PyObject *v = PyObject_GetAttr(obj, attr);
        if (!v) {
            if (!PyErr_ExceptionMatches(PyExc_AttributeError))
                goto fail;
            PyErr_Clear();
            v = Py_NewRef(s_empty);
        }
        if (PyUnicode_Check(attr) && (PyUnicode_CompareWithASCIIString(attr, "tsize") == 0 ||
                                      PyUnicode_CompareWithASCIIString(attr, "size") == 0)) {
            PyObject *iv = PyNumber_Long(v);
            Py_DECREF(v);
            v = iv ? PyNumber_Negative(iv) : NULL;
            Py_XDECREF(iv);
            if (!v)
                goto fail;
        }
        PyTuple_SET_ITEM(key, i, v);
    }
    return key;
fail:
    Py_DECREF(key);
    return NULL;
}

static PyObject *Stats_sort_stats(PyObject *self, PyObject *args)
{
    PyObject *attrs = NULL, *sorted = NULL, *deco = NULL, *r = NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(args); i++) {
        PyObject *a = PyTuple_GET_ITEM(args, i);
        if (PyObject_Hash(a) == -1)
            return NULL;
        int ok = 0;
        for (size_t j = 0; PyUnicode_Check(a) && j < NCRITERIA; j++)
            ok |= PyUnicode_CompareWithASCIIString(a, criteria[j]) == 0;
        if (!ok) {
            PyErr_SetString(PyExc_ValueError, "Invalid sort criteria");
            return NULL;
        }
    }
    if (PyTuple_GET_SIZE(args)) {
        attrs = Py_NewRef(args);
    } else {
        if (!(attrs = PyTuple_New(NCRITERIA)))
            return NULL;
        for (size_t j = 0; j < NCRITERIA; j++) {
            PyObject *s = PyUnicode_InternFromString(criteria[j]);
            if (!s)
                goto done;
            PyTuple_SET_ITEM(attrs, (Py_ssize_t)j, s);
        }
    }
    PyObject *is = call1(self, s_init_sort, NULL);
    if (!is)
        goto done;
    Py_DECREF(is);
    if (!(sorted = PyObject_GetAttr(self, s_sorted)))
        goto done;
    if (!PyList_Check(sorted)) {
        PyErr_SetString(PyExc_TypeError, "Stats.sorted must be a list");
        goto done;
    }
    Py_ssize_t n = PyList_GET_SIZE(sorted);
    if (!(deco = PyList_New(0)))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(sorted); i++) {
        PyObject *o = PyList_GET_ITEM(sorted, i);
        Py_INCREF(o);
        PyObject *k = sort_key(o, attrs), *pos = k ? PyLong_FromSsize_t(i) : NULL;
        PyObject *t = pos ? PyTuple_Pack(3, k, pos, o) : NULL;
        Py_DECREF(o);
        Py_XDECREF(k);
        Py_XDECREF(pos);
        if (!t || PyList_Append(deco, t) < 0) {
            Py_XDECREF(t);
            goto done;
        }
        Py_DECREF(t);
    }
    (void)n;
    if (PyList_Sort(deco) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(deco); i++) {
        PyObject *o = PyTuple_GET_ITEM(PyList_GET_ITEM(deco, i), 2);
        Py_INCREF(o);
        Py_SETREF(PyList_GET_ITEM(deco, i), o);
    }
    if (PyList_SetSlice(sorted, 0, PY_SSIZE_T_MAX, deco) < 0)
        goto done;
    r = Py_NewRef(self);
done:
    Py_XDECREF(attrs);
    Py_XDECREF(sorted);
    Py_XDECREF(deco);
    return r;
}

static PyObject *Stats_reverse_order(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *is = call1(self, s_init_sort, NULL);
    if (!is)
        return NULL;
    Py_DECREF(is);
    PyObject *sorted = PyObject_GetAttr(self, s_sorted);
    if (!sorted)
        return NULL;
    PyObject *rv = PyObject_CallMethod(sorted, "reverse", NULL);
    Py_DECREF(sorted);
    if (!rv)
        return NULL;
    Py_DECREF(rv);
    return Py_NewRef(self);
}

/* a / b, 0 when b is zero (Pympler's except ZeroDivisionError) */
static PyObject *div_or_zero(PyObject *a, PyObject *b)
{
    PyObject *r = PyNumber_TrueDivide(a, b);
    if (!r && PyErr_ExceptionMatches(PyExc_ZeroDivisionError)) {
        PyErr_Clear();
        r = PyLong_FromLong(0);
    }
    return r;
}

static PyObject *annotate_snapshot(cs_state *st, PyObject *self, PyObject *snapshot)
{
    PyObject *classes = PyObject_GetAttr(snapshot, s_classes);
    if (!classes || classes != Py_None)
        return classes;
    Py_DECREF(classes);
    PyObject *index = NULL, *keys = NULL, *ts = NULL, *total = NULL, *hundred = NULL, *r = NULL;
    if (!(classes = PyDict_New()) || PyObject_SetAttr(snapshot, s_classes, classes) < 0 ||
        !(index = PyObject_GetAttr(self, s_index)) || !(keys = PyMapping_Keys(index)) ||
        !(ts = PyObject_GetAttr(snapshot, s_timestamp)) || !(hundred = PyFloat_FromDouble(100.0)))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++) {
        PyObject *name = PyList_GET_ITEM(keys, i);
        PyObject *sum = PyLong_FromLong(0), *active = PyLong_FromLong(0), *one = PyLong_FromLong(1);
        PyObject *merged = sum ? PyObject_CallFunction(st->asized_type, "ii", 0, 0) : NULL;
        PyObject *lst = merged ? PyObject_GetItem(index, name) : NULL;
        PyObject *fast = lst ? PySequence_Fast(lst, "index values must be lists") : NULL;
        PyObject *info = NULL, *pct = NULL, *avg = NULL, *stotal = NULL;
        int ok = fast != NULL && active && one;
        for (Py_ssize_t j = 0; ok && j < PySequence_Fast_GET_SIZE(fast); j++) {
            PyObject *tobj = PySequence_Fast_GET_ITEM(fast, j);
            if (merge_objects(st, ts, merged, tobj) < 0) {
                ok = 0;
                break;
            }
            PyObject *s = call1(tobj, s_get_size_at_time, ts);
            PyObject *ns = s ? PyNumber_Add(sum, s) : NULL;
            Py_XDECREF(s);
            if (!ns) {
                ok = 0;
                break;
            }
            Py_SETREF(sum, ns);
            PyObject *birth = PyObject_GetAttr(tobj, s_birth);
            int lt = birth ? PyObject_RichCompareBool(birth, ts, Py_LT) : -1;
            Py_XDECREF(birth);
            if (lt > 0) {
                PyObject *death = PyObject_GetAttr(tobj, s_death);
                if (!death)
                    lt = -1;
                else if (death != Py_None)
                    lt = PyObject_RichCompareBool(death, ts, Py_GT);
                Py_XDECREF(death);
            }
            if (lt < 0) {
                ok = 0;
                break;
            }
            if (lt) {
                PyObject *na = PyNumber_Add(active, one);
                if (!na) {
                    ok = 0;
                    break;
                }
                Py_SETREF(active, na);
            }
        }
        if (ok) {
            PyObject *p = PyNumber_Multiply(sum, hundred);
            stotal = p ? PyObject_GetAttr(snapshot, s_total) : NULL;
            pct = stotal ? div_or_zero(p, stotal) : NULL;
            Py_XDECREF(p);
            avg = pct ? div_or_zero(sum, active) : NULL;
            info = avg ? Py_BuildValue("{sOsOsOsOsO}", "sum", sum, "avg", avg, "pct", pct, "active", active,
                                       "merged", merged)
                       : NULL;
            ok = info && PyDict_SetItem(classes, name, info) == 0;
        }
        Py_XDECREF(sum);
        Py_XDECREF(active);
        Py_XDECREF(one);
        Py_XDECREF(merged);
        Py_XDECREF(lst);
        Py_XDECREF(fast);
        Py_XDECREF(info);
        Py_XDECREF(pct);
        Py_XDECREF(avg);
        Py_XDECREF(stotal);
        if (!ok)
            goto done;
    }
    r = Py_NewRef(classes);
done:
    Py_XDECREF(classes);
    Py_XDECREF(index);
    Py_XDECREF(keys);
    Py_XDECREF(ts);
    Py_XDECREF(total);
    Py_XDECREF(hundred);
    return r;
}

/* Py_BuildValue's "{s...}" sorts nothing, but keep Pympler's key order:
 * sum, avg, pct, active, merged -- Py_BuildValue inserts in order. */

static PyObject *Stats_annotate_snapshot(PyObject *self, PyObject *snapshot)
{
    cs_state *st = tstate(Py_TYPE(self));
    return st ? annotate_snapshot(st, self, snapshot) : NULL;
}

static PyObject *Stats_annotate(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *snaps = PyObject_GetAttr(self, s_snapshots);
    PyObject *fast = snaps ? PySequence_Fast(snaps, "snapshots must be a list") : NULL;
    Py_XDECREF(snaps);
    if (!fast)
        return NULL;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        PyObject *r = call1(self, s_annotate_snapshot, PySequence_Fast_GET_ITEM(fast, i));
        if (!r) {
            Py_DECREF(fast);
            return NULL;
        }
        Py_DECREF(r);
    }
    Py_DECREF(fast);
    Py_RETURN_NONE;
}

static PyObject *Stats_get_tracked_classes(PyObject *self, void *c)
{
    (void)c;
    PyObject *index = PyObject_GetAttr(self, s_index);
    if (!index)
        return NULL;
    PyObject *keys = PyMapping_Keys(index);
    Py_DECREF(index);
    if (!keys)
        return NULL;
    PyObject *l = PySequence_List(keys);
    Py_DECREF(keys);
    if (l && PyList_Sort(l) < 0)
        Py_CLEAR(l);
    return l;
}

/* ======================================================================
 * ConsoleStats
 * ====================================================================== */

/* refs sorted by size (stable), then reversed, as Pympler's _print_refs. */
static PyObject *refs_by_size_desc(PyObject *refs)
{
    PyObject *lst = PySequence_List(refs), *deco = NULL;
    if (!lst)
        return NULL;
    if (!(deco = PyList_New(PyList_GET_SIZE(lst))))
        goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lst); i++) {
        PyObject *o = PyList_GET_ITEM(lst, i), *sz = PyObject_GetAttr(o, s_size), *pos = PyLong_FromSsize_t(i);
        PyObject *t = sz && pos ? PyTuple_Pack(3, sz, pos, o) : NULL;
        Py_XDECREF(sz);
        Py_XDECREF(pos);
        if (!t)
            goto fail;
        PyList_SET_ITEM(deco, i, t);
    }
    if (PyList_Sort(deco) < 0 || PyList_Reverse(deco) < 0)
        goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(deco); i++)
        PyList_SetItem(lst, i, Py_NewRef(PyTuple_GET_ITEM(PyList_GET_ITEM(deco, i), 2)));
    Py_DECREF(deco);
    return lst;
fail:
    Py_XDECREF(deco);
    Py_DECREF(lst);
    return NULL;
}

typedef struct {
    PyObject *refs; /* owned: sorted list */
    Py_ssize_t next;
    PyObject *prefix; /* owned */
    long level;
} refs_frame;

/* Pympler's ConsoleStats._print_refs, with an explicit stack: deeper levels
 * use minsize 0 and minpct 0.1, as the recursive call there does. */
static int print_refs(PyObject *stream, PyObject *refs, PyObject *total, PyObject *prefix, long level,
                      PyObject *minsize, PyObject *minpct)
{
    refs_frame *stack = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    PyObject *hundred = PyFloat_FromDouble(100.0), *zero = PyLong_FromLong(0), *dflt_pct = PyFloat_FromDouble(0.1),
             *indent = PyUnicode_FromString("  ");
    if (!hundred || !zero || !dflt_pct || !indent)
        goto done;
    PyObject *first = refs_by_size_desc(refs);
    if (!first)
        goto done;
    if (!(stack = PyMem_Malloc(sizeof *stack * 16))) {
        Py_DECREF(first);
        PyErr_NoMemory();
        goto done;
    }
    cap = 16;
    stack[0] = (refs_frame){first, 0, Py_NewRef(prefix), level};
    n = 1;
    while (n > 0) {
        refs_frame *f = &stack[n - 1];
        if (f->next >= PyList_GET_SIZE(f->refs)) {
            Py_DECREF(f->refs);
            Py_DECREF(f->prefix);
            n--;
            continue;
        }
        PyObject *ref = Py_NewRef(PyList_GET_ITEM(f->refs, f->next));
        f->next++;
        PyObject *ms = n == 1 ? minsize : zero, *mp = n == 1 ? minpct : dflt_pct;
        PyObject *size = PyObject_GetAttr(ref, s_size), *pct = NULL, *sub = NULL;
        int show = size ? PyObject_RichCompareBool(size, ms, Py_GT) : -1;
        if (show > 0) {
            PyObject *p = PyNumber_Multiply(size, hundred);
            pct = p ? PyNumber_TrueDivide(p, total) : NULL;
            Py_XDECREF(p);
            show = pct ? PyObject_RichCompareBool(pct, mp, Py_GT) : -1;
        }
        if (show > 0) {
            PyObject *name = PyObject_GetAttr(ref, s_name), *sname = name ? PyObject_Str(name) : NULL;
            PyObject *full = sname ? PyNumber_Add(f->prefix, sname) : NULL;
            PyObject *tr = full ? pym_trunc(full, 50, 0) : NULL;
            PyObject *pp = tr ? pym_pp_number(size) : NULL;
            PyObject *ip = pp ? PyNumber_Long(pct) : NULL;
            Py_XDECREF(name);
            Py_XDECREF(sname);
            Py_XDECREF(full);
            if (!ip || write_fmt(stream, "%-50s %-14s %3d%% [%d]\n", Py_BuildValue("(OOOl)", tr, pp, ip, f->level)) < 0)
                show = -1;
            Py_XDECREF(tr);
            Py_XDECREF(pp);
            Py_XDECREF(ip);
            PyObject *children = show > 0 ? PyObject_GetAttr(ref, s_refs) : NULL;
            if (show > 0 && (!children || !(sub = refs_by_size_desc(children))))
                show = -1;
            Py_XDECREF(children);
            PyObject *np = show > 0 ? PyNumber_Add(f->prefix, indent) : NULL;
            if (show > 0 && !np)
                show = -1;
            if (show > 0) {
                if (n == cap) {
                    refs_frame *ns = PyMem_Realloc(stack, sizeof *stack * cap * 2);
                    if (!ns) {
                        PyErr_NoMemory();
                        show = -1;
                        Py_DECREF(np);
                        Py_CLEAR(sub);
                    } else {
                        stack = ns;
                        cap *= 2;
                    }
                }
                if (show > 0) {
                    long lv = stack[n - 1].level + 1;
                    stack[n++] = (refs_frame){sub, 0, np, lv};
                    sub = NULL;
                }
            }
        }
        Py_DECREF(ref);
        Py_XDECREF(size);
        Py_XDECREF(pct);
        Py_XDECREF(sub);
        if (show < 0)
            goto done;
    }
    rc = 0;
done:
    while (n > 0) {
        n--;
        Py_DECREF(stack[n].refs);
        Py_DECREF(stack[n].prefix);
    }
    PyMem_Free(stack);
    Py_XDECREF(hundred);
    Py_XDECREF(zero);
    Py_XDECREF(dflt_pct);
    Py_XDECREF(indent);
    return rc;
}

static PyObject *Console_print_refs(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"refs", "total", "prefix", "level", "minsize", "minpct", NULL};
    PyObject *refs, *total, *prefix = NULL, *minsize = NULL, *minpct = NULL;
    long level = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|OlOO:_print_refs", kwlist, &refs, &total, &prefix, &level,
                                     &minsize, &minpct))
        return NULL;
    PyObject *p = prefix ? Py_NewRef(prefix) : PyUnicode_FromString("    ");
    PyObject *ms = minsize ? Py_NewRef(minsize) : PyLong_FromLong(0);
    PyObject *mp = minpct ? Py_NewRef(minpct) : PyFloat_FromDouble(0.1);
    PyObject *stream = get_stream(self), *r = NULL;
    if (p && ms && mp && stream && print_refs(stream, refs, total, p, level, ms, mp) == 0)
        r = Py_NewRef(Py_None);
    Py_XDECREF(p);
    Py_XDECREF(ms);
    Py_XDECREF(mp);
    Py_XDECREF(stream);
    return r;
}

static PyObject *Console_print_object(PyObject *self, PyObject *tobj)
{
    PyObject *stream = get_stream(self), *death = NULL, *name = NULL, *repr = NULL, *tn = NULL, *tr = NULL,
             *trace = NULL, *snaps = NULL, *fast = NULL, *r = NULL;
    if (!stream || !(death = PyObject_GetAttr(tobj, s_death)) || !(name = PyObject_GetAttr(tobj, s_name)) ||
        !(repr = PyObject_GetAttr(tobj, s_repr)) || !(tn = pym_trunc(name, 32, 1)) || !(tr = pym_trunc(repr, 35, 0)))
        goto done;
    int dead = PyObject_IsTrue(death);
    if (dead < 0)
        goto done;
    if (dead) {
        if (write_fmt(stream, "%-32s ( free )   %-35s\n", PyTuple_Pack(2, tn, tr)) < 0)
            goto done;
    } else {
        PyObject *id = PyObject_GetAttr(tobj, s_id);
        if (!id || write_fmt(stream, "%-32s 0x%08x %-35s\n", Py_BuildValue("(ONO)", tn, id, tr)) < 0)
            goto done;
    }
    if (!(trace = PyObject_GetAttr(tobj, s_trace)))
        goto done;
    int t = PyObject_IsTrue(trace);
    if (t < 0 || (t && write_str(stream, format_trace(trace)) < 0))
        goto done;
    if (!(snaps = PyObject_GetAttr(tobj, s_snapshots)) || !(fast = PySequence_Fast(snaps, "snapshots must be a list")))
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        PyObject *e = PySequence_Tuple(PySequence_Fast_GET_ITEM(fast, i));
        if (!e)
            goto done;
        if (PyTuple_GET_SIZE(e) != 2) {
            Py_DECREF(e);
            PyErr_SetString(PyExc_ValueError, "a snapshot entry must be a (timestamp, size) pair");
            goto done;
        }
        PyObject *size = PyTuple_GET_ITEM(e, 1);
        PyObject *sz = PyObject_GetAttr(size, s_size), *ppt = sz ? pym_pp_timestamp(PyTuple_GET_ITEM(e, 0)) : NULL;
        PyObject *pps = ppt ? pym_pp_number(sz) : NULL;
        int bad = !pps || write_fmt(stream, "  %-30s %s\n", PyTuple_Pack(2, ppt, pps)) < 0;
        Py_XDECREF(ppt);
        Py_XDECREF(pps);
        PyObject *refs = bad ? NULL : PyObject_GetAttr(size, s_refs);
        if (!bad) {
            PyObject *args[4] = {self, refs, sz};
            PyObject *pr = refs ? PyObject_VectorcallMethod(s_print_refs, args, 3, NULL) : NULL;
            bad = !pr;
            Py_XDECREF(pr);
        }
        Py_XDECREF(refs);
        Py_XDECREF(sz);
        Py_DECREF(e);
        if (bad)
            goto done;
    }
    if (death != Py_None) {
        PyObject *pt = pym_pp_timestamp(death);
        if (!pt || write_fmt(stream, "  %-30s finalize\n", Py_BuildValue("(N)", pt)) < 0)
            goto done;
    }
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(stream);
    Py_XDECREF(death);
    Py_XDECREF(name);
    Py_XDECREF(repr);
    Py_XDECREF(tn);
    Py_XDECREF(tr);
    Py_XDECREF(trace);
    Py_XDECREF(snaps);
    Py_XDECREF(fast);
    return r;
}

static PyObject *Console_print_stats(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"clsname", "limit", NULL};
    PyObject *clsname = Py_None, *limit = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OO:print_stats", kwlist, &clsname, &limit))
        return NULL;
    if (stop_tracker(self) < 0)
        return NULL;
    PyObject *sorted = NULL, *sel = NULL, *lim = NULL, *r = NULL, *one = PyFloat_FromDouble(1.0);
    if (!one)
        return NULL;
    if (!limit)
        limit = one;
    if (!(sorted = PyObject_GetAttr(self, s_sorted)))
        goto done;
    int t = PyObject_IsTrue(sorted);
    if (t < 0)
        goto done;
    if (!t) {
        PyObject *s = call1(self, s_sort_stats, NULL);
        if (!s)
            goto done;
        Py_DECREF(s);
        Py_SETREF(sorted, PyObject_GetAttr(self, s_sorted));
        if (!sorted)
            goto done;
    }
    int c = PyObject_IsTrue(clsname);
    if (c < 0)
        goto done;
    if (!(sel = PySequence_List(sorted)))
        goto done;
    if (c) {
        PyObject *keep = PyList_New(0);
        if (!keep)
            goto done;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(sel); i++) {
            PyObject *o = PyList_GET_ITEM(sel, i), *cn = PyObject_GetAttr(o, s_classname);
            int in = cn ? PySequence_Contains(cn, clsname) : -1;
            Py_XDECREF(cn);
            if (in < 0 || (in && PyList_Append(keep, o) < 0)) {
                Py_DECREF(keep);
                goto done;
            }
        }
        Py_SETREF(sel, keep);
    }
    int small = PyObject_RichCompareBool(limit, one, Py_LT);
    if (small < 0)
        goto done;
    if (small) {
        Py_ssize_t total = PyObject_Length(sorted);
        if (total < 0)
            goto done;
        PyObject *n = PyLong_FromSsize_t(total), *prod = n ? PyNumber_Multiply(n, limit) : NULL;
        Py_XDECREF(n);
        PyObject *ip = prod ? PyNumber_Long(prod) : NULL;
        Py_XDECREF(prod);
        if (!ip)
            goto done;
        PyObject *onei = PyLong_FromLong(1);
        int lt = onei ? PyObject_RichCompareBool(ip, onei, Py_LT) : -1;
        if (lt < 0) {
            Py_DECREF(ip);
            Py_XDECREF(onei);
            goto done;
        }
        lim = lt ? onei : ip;
        Py_DECREF(lt ? ip : onei);
    } else if (!(lim = PyNumber_Long(limit))) {
        goto done;
    }
    Py_ssize_t k = PyLong_AsSsize_t(lim);
    if (k == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError))
            goto done;
        PyErr_Clear();
        PyObject *z = PyLong_FromLong(0);
        int neg = z ? PyObject_RichCompareBool(lim, z, Py_LT) : -1;
        Py_XDECREF(z);
        if (neg < 0)
            goto done;
        k = neg ? PY_SSIZE_T_MIN : PY_SSIZE_T_MAX;
    }
    PyObject *part = PyList_GetSlice(sel, 0, k < 0 ? (PyList_GET_SIZE(sel) + k > 0 ? PyList_GET_SIZE(sel) + k : 0) : k);
    if (!part)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(part); i++) {
        PyObject *pr = call1(self, s_print_object, PyList_GET_ITEM(part, i));
        if (!pr) {
            Py_DECREF(part);
            goto done;
        }
        Py_DECREF(pr);
    }
    Py_DECREF(part);
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(one);
    Py_XDECREF(sorted);
    Py_XDECREF(sel);
    Py_XDECREF(lim);
    return r;
}

static PyObject *Console_print_summary(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *classlist = PyObject_GetAttr(self, s_tracked_classes), *stream = NULL, *snaps = NULL, *fast = NULL,
             *r = NULL;
    if (!classlist || !(stream = get_stream(self)))
        goto done;
    PyObject *head = PyUnicode_FromFormat("---- SUMMARY %s\n", "------------------------------------------------------------------");
    if (write_str(stream, head) < 0)
        goto done;
    if (!(snaps = PyObject_GetAttr(self, s_snapshots)) || !(fast = PySequence_Fast(snaps, "snapshots must be a list")))
        goto done;
    PyObject *cl = PySequence_Fast(classlist, "tracked_classes must be a list");
    if (!cl)
        goto done;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        PyObject *sn = PySequence_Fast_GET_ITEM(fast, i);
        PyObject *classes = call1(self, s_annotate_snapshot, sn);
        PyObject *desc = classes ? PyObject_GetAttr(sn, s_desc) : NULL, *td = desc ? pym_trunc(desc, 35, 0) : NULL;
        PyObject *at = td ? PyObject_GetAttr(sn, s_asizeof_total) : NULL, *ppat = at ? pym_pp_number(at) : NULL;
        int bad = !ppat ||
                  write_fmt(stream, "%-35s %11s %12s %12s %5s\n", Py_BuildValue("(OsOss)", td, "active", ppat, "average", "pct")) < 0;
        Py_XDECREF(desc);
        Py_XDECREF(td);
        Py_XDECREF(at);
        Py_XDECREF(ppat);
        for (Py_ssize_t j = 0; !bad && j < PySequence_Fast_GET_SIZE(cl); j++) {
            PyObject *cname = PySequence_Fast_GET_ITEM(cl, j);
            PyObject *info = PyObject_GetItem(classes, cname);
            PyObject *tn = info ? pym_trunc(cname, 33, 0) : NULL;
            PyObject *active = tn ? PyObject_GetItem(info, s_active) : NULL;
            PyObject *sum = active ? PyObject_GetItem(info, s_sum) : NULL;
            PyObject *avg = sum ? PyObject_GetItem(info, s_avg) : NULL;
            PyObject *pct = avg ? PyObject_GetItem(info, s_pct) : NULL;
            PyObject *psum = pct ? pym_pp_number(sum) : NULL, *pavg = psum ? pym_pp_number(avg) : NULL;
            bad = !pavg || write_fmt(stream, "  %-33s %11d %12s %12s %4d%%\n",
                                     PyTuple_Pack(5, tn, active, psum, pavg, pct)) < 0;
            Py_XDECREF(info);
            Py_XDECREF(tn);
            Py_XDECREF(active);
            Py_XDECREF(sum);
            Py_XDECREF(avg);
            Py_XDECREF(pct);
            Py_XDECREF(psum);
            Py_XDECREF(pavg);
        }
        Py_XDECREF(classes);
        if (bad) {
            Py_DECREF(cl);
            goto done;
        }
    }
    Py_DECREF(cl);
    if (write_str(stream, PyUnicode_FromString("-------------------------------------------------------------------------------\n")) < 0)
        goto done;
    r = Py_NewRef(Py_None);
done:
    Py_XDECREF(classlist);
    Py_XDECREF(stream);
    Py_XDECREF(snaps);
    Py_XDECREF(fast);
    return r;
}

/* ======================================================================
 * HtmlStats: create_html writes the whole report (pympler._htmlstats); the
 * pieces Pympler builds it from are not separate methods here
 * ====================================================================== */

/* _repr_html_(): Stats shown in a notebook (Jupyter's rich display), by
 * pympler._htmlstats. */
static PyObject *Stats_repr_html(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *f = pym_module_attr("pympler._htmlstats", "repr_html");
    PyObject *r = f ? PyObject_CallOneArg(f, self) : NULL;
    Py_XDECREF(f);
    return r;
}

/* create_html(fname, title='ClassTracker Statistics'): the pages are
 * written by pympler._htmlstats (its own file: the HTML report). */
static PyObject *Html_create_html(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"fname", "title", NULL};
    PyObject *fname, *title = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|U:create_html", kwlist, &fname, &title))
        return NULL;
    PyObject *f = pym_module_attr("pympler._htmlstats", "create_html");
    if (!f)
        return NULL;
    PyObject *r = title ? PyObject_CallFunctionObjArgs(f, self, fname, title, NULL)
                        : PyObject_CallFunctionObjArgs(f, self, fname, NULL);
    Py_DECREF(f);
    return r;
}

static PyObject *Html_not_yet(PyObject *self, PyObject *args, PyObject *kwds)
{
    (void)self;
    (void)args;
    (void)kwds;
    PyErr_SetString(PyExc_NotImplementedError,
                    "HtmlStats: the pages and charts are written together by create_html(fname); "
                    "this piece of Pympler's HtmlStats is not a method of its own here");
    return NULL;
}

/* ======================================================================
 * types and module
 * ====================================================================== */

#define KW (METH_VARARGS | METH_KEYWORDS)
#define FN(f) (PyCFunction)(void (*)(void))(f)

static PyGetSetDef Stats_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {"tracked_classes", Stats_get_tracked_classes, NULL, "All tracked class names, sorted.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef Stats_methods[] = {
    {"load_stats", FN(Stats_load_stats), METH_O,
     "load_stats($self, fdump)\n--\n\nLoad the data from a dump file (a file name or a binary file)."},
    {"dump_stats", FN(Stats_dump_stats), KW,
     "dump_stats($self, fdump, close=True)\n--\n\nDump the logged data to a file (a file name or a binary file)."},
    {"_init_sort", FN(Stats_init_sort), METH_NOARGS, "_init_sort($self)\n--\n\nPrepare the data to be sorted."},
    {"sort_stats", FN(Stats_sort_stats), METH_VARARGS,
     "sort_stats($self, *args)\n--\n\nSort the tracked objects by 'classname', 'tsize', 'birth', 'death', 'name',\n"
     "'repr' or 'size' (sizes descending).  Returns self."},
    {"reverse_order", FN(Stats_reverse_order), METH_NOARGS, "reverse_order($self)\n--\n\nReverse the order of self.sorted.  Returns self."},
    {"annotate", FN(Stats_annotate), METH_NOARGS, "annotate($self)\n--\n\nAnnotate all snapshots with class-based summaries."},
    {"_repr_html_", FN(Stats_repr_html), METH_NOARGS,
     "_repr_html_($self)\n--\n\nThe statistics in a notebook: the chart of the tracked classes and the last "
     "snapshot's numbers (Jupyter's rich display)."},
    {"annotate_snapshot", FN(Stats_annotate_snapshot), METH_O,
     "annotate_snapshot($self, snapshot)\n--\n\nStore (and return) per-class statistics in snapshot.classes."},
    PYM_DICTOBJ_REDUCE_EX,
    {NULL, NULL, 0, NULL}};

static PyType_Slot Stats_slots[] = {
    {Py_tp_traverse, pym_dictobj_heap_traverse},
    {Py_tp_clear, pym_dictobj_clear},
    {Py_tp_dealloc, pym_dictobj_heap_dealloc},
    {Py_tp_members, pym_dictobj_members},
    {Py_tp_getset, Stats_getset},
    {Py_tp_doc, "Stats(tracker=None, filename=None, stream=None)\n--\n\nPresents the memory statistics gathered by a "
                "ClassTracker."},
    {Py_tp_methods, Stats_methods},
    {Py_tp_init, Stats_init},
    {0, NULL}};

static PyType_Spec Stats_spec = {
    .name = "pympler.classtracker_stats.Stats",
    .basicsize = sizeof(pym_dictobj),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = Stats_slots,
};

static PyMethodDef Console_methods[] = {
    {"_print_refs", FN(Console_print_refs), KW,
     "_print_refs($self, refs, total, prefix='    ', level=1, minsize=0, minpct=0.1)\n--\n\nPrint referents."},
    {"print_object", FN(Console_print_object), METH_O, "print_object($self, tobj)\n--\n\nPrint one tracked object."},
    {"print_stats", FN(Console_print_stats), KW,
     "print_stats($self, clsname=None, limit=1.0)\n--\n\nWrite tracked objects to the stream (limit 1.0: one object)."},
    {"print_summary", FN(Console_print_summary), METH_NOARGS, "print_summary($self)\n--\n\nPrint per-class summary for each snapshot."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot Console_slots[] = {
    {Py_tp_doc, "ConsoleStats(tracker=None, filename=None, stream=None)\n--\n\nPresentation layer for Stats to be "
                "used in text-based consoles."},
    {Py_tp_methods, Console_methods},
    {0, NULL}};

static PyType_Spec Console_spec = {
    .name = "pympler.classtracker_stats.ConsoleStats",
    .basicsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = Console_slots,
};

static PyMethodDef Html_methods[] = {
    {"create_html", FN(Html_create_html), KW,
     "create_html(fname, title='ClassTracker Statistics')\n\nWrite the HTML report: fname, and one page per "
     "tracked class with charts and reference graphs in fname's stem + '_files' (docs/classtracker.md)."},
    {"create_title_page", FN(Html_not_yet), KW, "create_title_page(filename, title='') (not separate: use create_html)"},
    {"print_class_details", FN(Html_not_yet), KW, "print_class_details(fname, classname) (not separate: use create_html)"},
    {"create_lifetime_chart", FN(Html_not_yet), KW, "create_lifetime_chart(classname, filename='') (not separate: use create_html)"},
    {"create_snapshot_chart", FN(Html_not_yet), KW, "create_snapshot_chart(filename='') (not separate: use create_html)"},
    {"create_pie_chart", FN(Html_not_yet), KW, "create_pie_chart(snapshot, filename='') (not separate: use create_html)"},
    {NULL, NULL, 0, NULL}};

static PyType_Slot Html_slots[] = {
    {Py_tp_doc, "HtmlStats(tracker=None, filename=None, stream=None)\n--\n\nOutput the ClassTracker statistics as "
                "HTML pages and graphs: create_html (pympler._htmlstats); the page and chart methods of Pympler's "
                "HtmlStats are not separate here and raise NotImplementedError."},
    {Py_tp_methods, Html_methods},
    {0, NULL}};

static PyType_Spec Html_spec = {
    .name = "pympler.classtracker_stats.HtmlStats",
    .basicsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = Html_slots,
};

static const pym_reexport reexports[] = {
    {"Any", "typing", "Any"},
    {"Dict", "typing", "Dict"},
    {"IO", "typing", "IO"},
    {"Iterable", "typing", "Iterable"},
    {"List", "typing", "List"},
    {"Optional", "typing", "Optional"},
    {"Tuple", "typing", "Tuple"},
    {"Union", "typing", "Union"},
    {"Asized", "pympler.asizeof", "Asized"},
    {"deepcopy", "copy", "deepcopy"},
    {"os", "os", NULL},
    {"pickle", "pickle", NULL},
    {"sys", "sys", NULL},
    {"pp", "pympler.util.stringutils", "pp"},
    {"pp_timestamp", "pympler.util.stringutils", "pp_timestamp"},
    {"trunc", "pympler.util.stringutils", "trunc"},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods[] = {
    {"_ref2key", mod_ref2key, METH_O, "_ref2key(ref)\n\nref.name up to the first ':'."},
    {"_merge_asized", FN(mod_merge_asized), KW,
     "_merge_asized($module, base, other, level=0)\n--\n\nMerge Asized instances `base` and `other` into `base`."},
    {"_merge_objects", FN(mod_merge_objects), METH_VARARGS,
     "_merge_objects($module, tref, merged, obj)\n--\n\nMerge the size of tracked object `obj` at time `tref` into `merged`."},
    {"_format_trace", mod_format_trace, METH_O, "_format_trace($module, trace)\n--\n\nThe stripped stack trace as text."},
    PYM_REEXPORT_METHODS,
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    cs_state *st = state_of(m);
    if (pym_module_attach(m) < 0 || intern_names() < 0)
        return -1;
    if (!(st->asized_type = pym_module_attr("pympler.asizeof", "Asized")) ||
        !(st->deepcopy = pym_module_attr("copy", "deepcopy")))
        return -1;
    if (!(st->stats_type = pym_module_add_type(m, &Stats_spec, NULL)) ||
        !(st->console_type = pym_module_add_type(m, &Console_spec, st->stats_type)) ||
        !(st->html_type = pym_module_add_type(m, &Html_spec, st->stats_type)))
        return -1;
    PyObject *all = Py_BuildValue("[sss]", "Stats", "ConsoleStats", "HtmlStats");
    if (!all || PyModule_AddObject(m, "__all__", all) < 0) {
        Py_XDECREF(all);
        return -1;
    }
    if (PyModule_AddObjectRef(m, "TYPE_CHECKING", Py_False) < 0)
        return -1;
    return 0;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    cs_state *st = state_of(m);
    Py_VISIT(st->stats_type);
    Py_VISIT(st->console_type);
    Py_VISIT(st->html_type);
    Py_VISIT(st->asized_type);
    Py_VISIT(st->deepcopy);
    return 0;
}

static int module_clear(PyObject *m)
{
    cs_state *st = state_of(m);
    Py_CLEAR(st->stats_type);
    Py_CLEAR(st->console_type);
    Py_CLEAR(st->html_type);
    Py_CLEAR(st->asized_type);
    Py_CLEAR(st->deepcopy);
    return 0;
}

static void module_free(void *m)
{
    module_clear((PyObject *)m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.classtracker_stats",
    .m_doc = "Provide saving, loading and presenting gathered ClassTracker statistics\n"
             "(Pympler 1.1's classtracker_stats, in C).",
    .m_size = sizeof(cs_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit_classtracker_stats(void)
{
    return PyModuleDef_Init(&module_def);
}
