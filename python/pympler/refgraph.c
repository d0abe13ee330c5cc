/* pympler.refgraph: ReferenceGraph, as Pympler 1.1's, in C.
 *
 * A ReferenceGraph keeps its state in ordinary attributes (objects, count,
 * num_in_cycles, edges, metadata, total_size, _reduced, index), as Pympler's
 * class does, so existing code that reads or copies them keeps working.  The
 * work -- edges and labels (lib/py/refgraph.c), cycles and components
 * (lib/core/graph.c), sizes (lib/py/sizer.c), layout and rendering through
 * the Graphviz libraries (render/) -- is done in C.  Deliberate differences
 * from Pympler are listed in docs/refgraph.md.
 */
#include "graph.h"
#include "module.h"
#include "pyrt.h"
#include "ptrindex.h"
#include "refgraph.h"
#include "render.h"
#include "sizer.h"
#include "strbuf.h"
#include "typedef.h"

#include <stdio.h>
#include <string.h>
#include <structmember.h>

PyMODINIT_FUNC PyInit_refgraph(void);

/* Labels of a rendered node: Pympler's lengths. */
#define REPR_CLIP 128   /* safe_repr(obj, clip=128) stored in metadata */
#define LABEL_TRUNC 48  /* trunc(md.str, 48) in the DOT label */

static PyObject *S_objects, *S_count, *S_num_in_cycles, *S_edges, *S_metadata, *S_total_size, *S__reduced,
    *S_index, *S_id, *S_size, *S_type, *S_str, *S_group, *S_cycle, *S_src, *S_dst, *S_label, *S_NA,
    *S___class__, *S___name__;

/* ======================================================================
 * _MetaObject and _Edge
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    PyObject *size, *id, *type, *str, *group, *cycle;
} MetaObject;

static PyTypeObject Meta_Type;

static int Meta_traverse(MetaObject *m, visitproc visit, void *arg)
{
    Py_VISIT(m->size);
    Py_VISIT(m->id);
    Py_VISIT(m->type);
    Py_VISIT(m->str);
    Py_VISIT(m->group);
    Py_VISIT(m->cycle);
    return 0;
}

static int Meta_clear(MetaObject *m)
{
    Py_CLEAR(m->size);
    Py_CLEAR(m->id);
    Py_CLEAR(m->type);
    Py_CLEAR(m->str);
    Py_CLEAR(m->group);
    Py_CLEAR(m->cycle);
    return 0;
}

static void Meta_dealloc(MetaObject *m)
{
    PyObject_GC_UnTrack(m);
    Meta_clear(m);
    Py_TYPE(m)->tp_free((PyObject *)m);
}

static PyObject *Meta_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "_MetaObject() takes no arguments");
        return NULL;
    }
    MetaObject *m = (MetaObject *)type->tp_alloc(type, 0);
    if (m)
        m->cycle = Py_NewRef(Py_False);
    return (PyObject *)m;
}

static PyMemberDef Meta_members[] = {
    {"size", T_OBJECT_EX, offsetof(MetaObject, size), 0, "size in bytes (asizeof, refs to other members excluded)"},
    {"id", T_OBJECT_EX, offsetof(MetaObject, id), 0, "id() of the object"},
    {"type", T_OBJECT_EX, offsetof(MetaObject, type), 0, "name of the object's class"},
    {"str", T_OBJECT_EX, offsetof(MetaObject, str), 0, "repr, clipped to 128 characters"},
    {"group", T_OBJECT_EX, offsetof(MetaObject, group), 0, "index of its connected component (after split)"},
    {"cycle", T_OBJECT_EX, offsetof(MetaObject, cycle), 0, "True in a graph reduced to its cycles"},
    {NULL, 0, 0, 0, NULL}};

static PyTypeObject Meta_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pympler.refgraph._MetaObject",
    .tp_basicsize = sizeof(MetaObject),
    .tp_dealloc = (destructor)Meta_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Meta-information of one object of a ReferenceGraph.",
    .tp_traverse = (traverseproc)Meta_traverse,
    .tp_clear = (inquiry)Meta_clear,
    .tp_members = Meta_members,
    .tp_new = Meta_new,
};

typedef struct {
    PyObject_HEAD
    PyObject *src, *dst, *label, *group;
} EdgeObject;

static PyTypeObject Edge_Type;

static int Edge_traverse(EdgeObject *e, visitproc visit, void *arg)
{
    Py_VISIT(e->src);
    Py_VISIT(e->dst);
    Py_VISIT(e->label);
    Py_VISIT(e->group);
    return 0;
}

static int Edge_clear(EdgeObject *e)
{
    Py_CLEAR(e->src);
    Py_CLEAR(e->dst);
    Py_CLEAR(e->label);
    Py_CLEAR(e->group);
    return 0;
}

static void Edge_dealloc(EdgeObject *e)
{
    PyObject_GC_UnTrack(e);
    Edge_clear(e);
    Py_TYPE(e)->tp_free((PyObject *)e);
}

static PyObject *edge_new(PyObject *src, PyObject *dst, PyObject *label)
{
    EdgeObject *e = PyObject_GC_New(EdgeObject, &Edge_Type);
    if (!e)
        return NULL;
    e->src = Py_NewRef(src);
    e->dst = Py_NewRef(dst);
    e->label = Py_NewRef(label);
    e->group = Py_NewRef(Py_None);
    PyObject_GC_Track(e);
    return (PyObject *)e;
}

static PyObject *Edge_tp_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"src", "dst", "label", NULL};
    PyObject *s, *d, *l;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOO:_Edge", kwlist, &s, &d, &l))
        return NULL;
    EdgeObject *e = (EdgeObject *)type->tp_alloc(type, 0);
    if (!e)
        return NULL;
    e->src = Py_NewRef(s);
    e->dst = Py_NewRef(d);
    e->label = Py_NewRef(l);
    e->group = Py_NewRef(Py_None);
    return (PyObject *)e;
}

static PyObject *edge_key(EdgeObject *e)
{
    return PyTuple_Pack(3, e->src ? e->src : Py_None, e->dst ? e->dst : Py_None,
                        e->label ? e->label : Py_None);
}

static Py_hash_t Edge_hash(EdgeObject *e)
{
    PyObject *t = edge_key(e);
    if (!t)
        return -1;
    Py_hash_t h = PyObject_Hash(t);
    Py_DECREF(t);
    return h;
}

/* Pympler compares an edge with anything by hash: its hash of (src, dst,
 * label) against the other object's hash. */
static PyObject *Edge_richcompare(PyObject *a, PyObject *b, int op)
{
    if (op != Py_EQ && op != Py_NE)
        Py_RETURN_NOTIMPLEMENTED;
    if (!PyObject_TypeCheck(a, &Edge_Type)) {
        PyObject *t = a;
        a = b;
        b = t;
    }
    Py_hash_t ha = Edge_hash((EdgeObject *)a), hb = ha == -1 ? -1 : PyObject_Hash(b);
    if (ha == -1 || hb == -1)
        return NULL;
    return PyBool_FromLong((ha == hb) == (op == Py_EQ));
}

static PyObject *Edge_repr(EdgeObject *e)
{
    PyObject *s = PyUnicode_FromString("<%08x => %08x, '%s', %s>");
    PyObject *args = s ? PyTuple_Pack(4, e->src ? e->src : Py_None, e->dst ? e->dst : Py_None,
                                      e->label ? e->label : Py_None, e->group ? e->group : Py_None)
                       : NULL;
    PyObject *r = args ? PyUnicode_Format(s, args) : NULL;
    Py_XDECREF(s);
    Py_XDECREF(args);
    return r;
}

static PyMemberDef Edge_members[] = {
    {"src", T_OBJECT_EX, offsetof(EdgeObject, src), 0, "id() of the referring object"},
    {"dst", T_OBJECT_EX, offsetof(EdgeObject, dst), 0, "id() of the referred object"},
    {"label", T_OBJECT_EX, offsetof(EdgeObject, label), 0, "dict key or attribute name, or ''"},
    {"group", T_OBJECT_EX, offsetof(EdgeObject, group), 0, "component index (after split)"},
    {NULL, 0, 0, 0, NULL}};

static PyTypeObject Edge_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pympler.refgraph._Edge",
    .tp_basicsize = sizeof(EdgeObject),
    .tp_dealloc = (destructor)Edge_dealloc,
    .tp_repr = (reprfunc)Edge_repr,
    .tp_hash = (hashfunc)Edge_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "_Edge(src, dst, label): a reference from object id src to object id dst.",
    .tp_traverse = (traverseproc)Edge_traverse,
    .tp_clear = (inquiry)Edge_clear,
    .tp_richcompare = Edge_richcompare,
    .tp_members = Edge_members,
    .tp_new = Edge_tp_new,
};

/* ======================================================================
 * ReferenceGraph
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    PyObject *dict;
    PyObject *weakreflist;
} GraphObject;

static PyTypeObject Graph_Type;

static int Graph_traverse(GraphObject *g, visitproc visit, void *arg)
{
    Py_VISIT(g->dict);
    return 0;
}

static int Graph_clear(GraphObject *g)
{
    Py_CLEAR(g->dict);
    return 0;
}

static void Graph_dealloc(GraphObject *g)
{
    PyObject_GC_UnTrack(g);
    if (g->weakreflist)
        PyObject_ClearWeakRefs((PyObject *)g);
    Graph_clear(g);
    Py_TYPE(g)->tp_free((PyObject *)g);
}

static PyObject *get(PyObject *self, PyObject *name)
{
    return PyObject_GetAttr(self, name);
}

static int set(PyObject *self, PyObject *name, PyObject *value)
{
    return PyObject_SetAttr(self, name, value);
}

/* set(self, name, value) stealing value */
static int set_steal(PyObject *self, PyObject *name, PyObject *value)
{
    if (!value)
        return -1;
    int r = PyObject_SetAttr(self, name, value);
    Py_DECREF(value);
    return r;
}

/* self.objects as a list (new reference). */
static PyObject *objects_of(PyObject *self)
{
    PyObject *o = get(self, S_objects);
    if (!o)
        return NULL;
    if (PyList_CheckExact(o))
        return o;
    PyObject *l = pym_list_of(o);
    Py_DECREF(o);
    return l;
}

/* Objects of self on reference cycles among them, in order; new list. */
static PyObject *cycle_members(PyObject *objs)
{
    pym_refedges e;
    if (pym_refedges_build(&PyList_GET_ITEM(objs, 0), PyList_GET_SIZE(objs), &e) < 0)
        return NULL;
    PyObject *out = NULL;
    pym_graph *g = pym_refedges_graph(&e);
    uint8_t *keep = g ? PyMem_Calloc((size_t)PyList_GET_SIZE(objs) + 1, 1) : NULL;
    if (g && !keep)
        PyErr_NoMemory();
    if (keep && pym_graph_cycle_nodes(g, keep) < 0)
        PyErr_NoMemory();
    else if (keep && (out = PyList_New(0))) {
        /* an object listed twice is one node (its first index); like
         * Pympler's filter, every occurrence of a kept object stays */
        pym_ptrindex *first = pym_ptrindex_new((size_t)PyList_GET_SIZE(objs));
        for (Py_ssize_t i = 0; first && i < PyList_GET_SIZE(objs); i++)
            pym_ptrindex_put(first, (uintptr_t)PyList_GET_ITEM(objs, i), (uint32_t)i);
        for (Py_ssize_t i = 0; out && i < PyList_GET_SIZE(objs); i++) {
            PyObject *o = PyList_GET_ITEM(objs, i);
            uint32_t f = first ? pym_ptrindex_get(first, (uintptr_t)o) : (uint32_t)i;
            if (keep[f] && PyList_Append(out, o) < 0)
                Py_CLEAR(out);
        }
        if (!first) {
            Py_CLEAR(out);
            PyErr_NoMemory();
        }
        pym_ptrindex_free(&first);
    }
    PyMem_Free(keep);
    pym_graph_free(&g);
    pym_refedges_free(&e);
    return out;
}

/* _reduce_to_cycles(): keep exactly the objects on reference cycles (an SCC
 * of two or more objects, or a self-reference).  Returns their number. */
static PyObject *Graph__reduce_to_cycles(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *objs = objects_of(self);
    if (!objs)
        return NULL;
    PyObject *kept = cycle_members(objs);
    Py_DECREF(objs);
    if (!kept)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(kept);
    if (set_steal(self, S_objects, kept) < 0)
        return NULL;
    return PyLong_FromSsize_t(n);
}

/* _get_edges(): self.edges = set of _Edge(id(src), id(dst), label). */
static PyObject *Graph__get_edges(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *objs = objects_of(self);
    if (!objs)
        return NULL;
    pym_refedges e;
    Py_ssize_t n = PyList_GET_SIZE(objs);
    PyObject *edges = NULL;
    if (pym_refedges_build(&PyList_GET_ITEM(objs, 0), n, &e) < 0)
        goto done;
    if (!(edges = PySet_New(NULL)))
        goto free_edges;
    for (size_t k = 0; k < e.m; k++) {
        PyObject *s = PyLong_FromVoidPtr(PyList_GET_ITEM(objs, e.src[k]));
        PyObject *d = s ? PyLong_FromVoidPtr(PyList_GET_ITEM(objs, e.dst[k])) : NULL;
        PyObject *ed = d ? edge_new(s, d, e.label[k]) : NULL;
        int r = ed ? PySet_Add(edges, ed) : -1;
        Py_XDECREF(s);
        Py_XDECREF(d);
        Py_XDECREF(ed);
        if (r < 0) {
            Py_CLEAR(edges);
            break;
        }
    }
free_edges:
    pym_refedges_free(&e);
done:
    Py_DECREF(objs);
    if (!edges || set_steal(self, S_edges, edges) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* Sizes as Pympler's Asizer().asizesof(*objects) gives them: references
 * between the given objects are not counted twice; total_size = the total. */
static int sizes_of(PyObject *objs, pym_wsize *sizes, pym_wsize *total)
{
    pym_sizer z;
    if (pym_sizer_init(&z, NULL, NULL) < 0)
        return -1;
    Py_ssize_t n = PyList_GET_SIZE(objs);
    int rc = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (pym_sizer_seen_default(&z, PyList_GET_ITEM(objs, i), 0) < 0)
            goto done;
    }
    pym_ptrindex *first = pym_ptrindex_new((size_t)n);
    if (!first) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyList_GET_ITEM(objs, i);
        int r = pym_ptrindex_put(first, (uintptr_t)o, (uint32_t)i);
        if (r < 0) {
            PyErr_NoMemory();
            break;
        }
        if (r == 0) { /* a duplicate: its first size again */
            if (pym_sizer_seen_again(&z, o) < 0)
                break;
            sizes[i] = sizes[pym_ptrindex_get(first, (uintptr_t)o)];
            continue;
        }
        sizes[i] = pym_sizer_size(&z, o, NULL);
        if (sizes[i] < 0)
            break;
    }
    pym_ptrindex_free(&first);
    if (!PyErr_Occurred()) {
        *total = z.total;
        rc = 0;
    }
done:
    pym_sizer_fini(&z);
    return rc;
}

/* obj.__class__.__name__, else type(obj).__name__ */
static PyObject *type_name(PyObject *obj)
{
    PyObject *c = PyObject_GetAttr(obj, S___class__);
    PyObject *n = c ? PyObject_GetAttr(c, S___name__) : NULL;
    Py_XDECREF(c);
    if (n)
        return n;
    if (!pym_err_is_ordinary())
        return NULL;
    PyErr_Clear();
    return PyType_GetName(Py_TYPE(obj)); /* type(obj).__name__ */
}

/* _annotate_objects(): self.metadata and self.total_size. */
static PyObject *Graph__annotate_objects(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *objs = objects_of(self), *meta = NULL;
    if (!objs)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(objs);
    pym_wsize total = 0; /* exact: a __sizeof__ may say sys.maxsize */
    pym_wsize *sizes = PyMem_Calloc((size_t)n + 1, sizeof *sizes);
    if (!sizes) {
        PyErr_NoMemory();
        goto done;
    }
    if (sizes_of(objs, sizes, &total) < 0 || !(meta = PyList_New(n)))
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyList_GET_ITEM(objs, i);
        MetaObject *m = PyObject_GC_New(MetaObject, &Meta_Type);
        if (!m) {
            Py_CLEAR(meta);
            goto done;
        }
        m->size = pym_long_from_i128(sizes[i]);
        m->id = PyLong_FromVoidPtr(o);
        m->type = type_name(o);
        m->str = pym_safe_repr(o, REPR_CLIP);
        m->group = NULL;
        m->cycle = Py_NewRef(Py_False);
        PyObject_GC_Track(m);
        PyList_SET_ITEM(meta, i, (PyObject *)m);
        if (!m->size || !m->id || !m->type || !m->str) {
            Py_CLEAR(meta);
            goto done;
        }
    }
    if (set(self, S_metadata, meta) < 0 || set_steal(self, S_total_size, pym_long_from_i128(total)) < 0)
        Py_CLEAR(meta);
done:
    PyMem_Free(sizes);
    Py_DECREF(objs);
    if (!meta)
        return NULL;
    Py_DECREF(meta);
    Py_RETURN_NONE;
}

static int Graph_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"objects", "reduce", NULL};
    PyObject *objects, *reduce = Py_False;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:ReferenceGraph", kwlist, &objects, &reduce))
        return -1;
    int red = PyObject_IsTrue(reduce);
    if (red < 0)
        return -1;
    PyObject *list = pym_list_of(objects);
    if (!list) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Format(PyExc_TypeError, "ReferenceGraph: objects must be iterable, not %.100s",
                         Py_TYPE(objects)->tp_name);
        }
        return -1;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (set_steal(self, S_objects, list) < 0 || set_steal(self, S_count, PyLong_FromSsize_t(n)) < 0 ||
        set(self, S_num_in_cycles, S_NA) < 0 || set(self, S_edges, Py_None) < 0)
        return -1;
    if (red) {
        PyObject *c = Graph__reduce_to_cycles(self, NULL);
        if (set_steal(self, S_num_in_cycles, c) < 0 || set(self, S__reduced, self) < 0)
            return -1;
    }
    else if (set(self, S__reduced, Py_None) < 0) {
        return -1;
    }
    PyObject *r = Graph__get_edges(self, NULL);
    if (!r)
        return -1;
    Py_DECREF(r);
    r = Graph__annotate_objects(self, NULL);
    if (!r)
        return -1;
    Py_DECREF(r);
    return 0;
}

static PyObject *Graph_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)args;
    (void)kwds;
    GraphObject *g = (GraphObject *)type->tp_alloc(type, 0);
    if (g && !(g->dict = PyDict_New())) {
        Py_DECREF(g);
        return NULL;
    }
    return (PyObject *)g;
}

/* A shallow copy, as copy.copy(graph): same type, a copy of the attributes. */
static PyObject *graph_copy(PyObject *self)
{
    GraphObject *g = (GraphObject *)Py_TYPE(self)->tp_alloc(Py_TYPE(self), 0);
    if (!g)
        return NULL;
    PyObject *d = ((GraphObject *)self)->dict; /* subclasses keep tp_dictoffset */
    g->dict = d ? PyDict_Copy(d) : PyDict_New();
    if (!g->dict) {
        Py_DECREF(g);
        return NULL;
    }
    return (PyObject *)g;
}

static PyObject *Graph_copy(PyObject *self, PyObject *unused)
{
    (void)unused;
    return graph_copy(self);
}

/* reduce_to_cycles(): the graph of the objects on cycles, or None. */
static PyObject *Graph_reduce_to_cycles(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *cached = get(self, S__reduced);
    if (!cached)
        return NULL;
    int t = PyObject_IsTrue(cached);
    if (t != 0) {
        if (t < 0)
            Py_CLEAR(cached);
        return cached;
    }
    Py_DECREF(cached);
    PyObject *red = graph_copy(self), *objs = NULL, *r = NULL;
    if (!red || !(objs = objects_of(self)))
        goto error;
    if (set_steal(red, S_objects, PyList_GetSlice(objs, 0, PyList_GET_SIZE(objs))) < 0 ||
        set_steal(red, S_metadata, PyList_New(0)) < 0 || set_steal(red, S_edges, PyList_New(0)) < 0)
        goto error;
    PyObject *num = Graph__reduce_to_cycles(red, NULL);
    if (!num || set(self, S_num_in_cycles, num) < 0 || set(red, S_num_in_cycles, num) < 0) {
        Py_XDECREF(num);
        goto error;
    }
    int any = PyObject_IsTrue(num);
    Py_DECREF(num);
    if (any < 0)
        goto error;
    if (any) {
        if (!(r = Graph__get_edges(red, NULL)))
            goto error;
        Py_DECREF(r);
        if (!(r = Graph__annotate_objects(red, NULL)))
            goto error;
        Py_DECREF(r);
        PyObject *meta = get(red, S_metadata);
        PyObject *it = meta ? PyObject_GetIter(meta) : NULL, *m;
        Py_XDECREF(meta);
        if (!it)
            goto error;
        while ((m = PyIter_Next(it))) {
            int e = set(m, S_cycle, Py_True);
            Py_DECREF(m);
            if (e < 0)
                break;
        }
        Py_DECREF(it);
        if (PyErr_Occurred())
            goto error;
    }
    else {
        Py_SETREF(red, Py_NewRef(Py_None));
    }
    Py_DECREF(objs);
    if (set(self, S__reduced, red) < 0) {
        Py_DECREF(red);
        return NULL;
    }
    return red;
error:
    Py_XDECREF(red);
    Py_XDECREF(objs);
    return NULL;
}

/* ---- components --------------------------------------------------------- */

/* Index of each metadata entry by its id, and the edges as index pairs. */
typedef struct {
    PyObject *meta;  /* list */
    PyObject *edges; /* list */
    Py_ssize_t n;
    size_t m;
    uint32_t *src, *dst;
    uint32_t *eidx; /* position of each kept edge in the edges list */
    uint32_t *comp; /* after wcc */
    int64_t ncomp;
} split_data;

static void split_free(split_data *d)
{
    Py_CLEAR(d->meta);
    Py_CLEAR(d->edges);
    PyMem_Free(d->src);
    PyMem_Free(d->dst);
    PyMem_Free(d->eidx);
    PyMem_Free(d->comp);
    memset(d, 0, sizeof *d);
}

static int id_key(PyObject *id, uintptr_t *key)
{
    void *p = PyLong_AsVoidPtr(id);
    if (!p && PyErr_Occurred())
        return -1;
    *key = (uintptr_t)p;
    return 0;
}

/* Weakly connected components over self.metadata and self.edges. */
static int split_prepare(PyObject *self, split_data *d)
{
    memset(d, 0, sizeof *d);
    PyObject *meta = get(self, S_metadata), *edges = meta ? get(self, S_edges) : NULL;
    d->meta = meta ? PySequence_List(meta) : NULL;
    d->edges = edges && edges != Py_None ? PySequence_List(edges) : (edges ? PyList_New(0) : NULL);
    Py_XDECREF(meta);
    Py_XDECREF(edges);
    if (!d->meta || !d->edges)
        goto error;
    d->n = PyList_GET_SIZE(d->meta);
    Py_ssize_t ne = PyList_GET_SIZE(d->edges);
    pym_ptrindex *ix = pym_ptrindex_new((size_t)d->n);
    d->src = PyMem_Malloc(sizeof(uint32_t) * ((size_t)ne + 1));
    d->dst = PyMem_Malloc(sizeof(uint32_t) * ((size_t)ne + 1));
    d->eidx = PyMem_Malloc(sizeof(uint32_t) * ((size_t)ne + 1));
    d->comp = PyMem_Malloc(sizeof(uint32_t) * ((size_t)d->n + 1));
    if (!ix || !d->src || !d->dst || !d->eidx || !d->comp) {
        pym_ptrindex_free(&ix);
        PyErr_NoMemory();
        goto error;
    }
    for (Py_ssize_t i = 0; i < d->n; i++) {
        PyObject *id = get(PyList_GET_ITEM(d->meta, i), S_id);
        uintptr_t key = 0;
        int r = id ? id_key(id, &key) : -1;
        Py_XDECREF(id);
        if (r < 0 || (key && pym_ptrindex_put(ix, key, (uint32_t)i) < 0)) {
            pym_ptrindex_free(&ix);
            if (!PyErr_Occurred())
                PyErr_NoMemory();
            goto error;
        }
    }
    for (Py_ssize_t k = 0; k < ne; k++) {
        PyObject *e = PyList_GET_ITEM(d->edges, k);
        PyObject *s = get(e, S_src), *t = s ? get(e, S_dst) : NULL;
        uintptr_t ks = 0, kt = 0;
        int r = t ? (id_key(s, &ks) | id_key(t, &kt)) : -1;
        Py_XDECREF(s);
        Py_XDECREF(t);
        if (r < 0) {
            pym_ptrindex_free(&ix);
            goto error;
        }
        uint32_t a = ks ? pym_ptrindex_get(ix, ks) : PYM_PTRINDEX_NONE;
        uint32_t b = kt ? pym_ptrindex_get(ix, kt) : PYM_PTRINDEX_NONE;
        if (a == PYM_PTRINDEX_NONE || b == PYM_PTRINDEX_NONE)
            continue; /* an edge to an object not in the graph */
        d->src[d->m] = a;
        d->dst[d->m] = b;
        d->eidx[d->m] = (uint32_t)k;
        d->m++;
    }
    pym_ptrindex_free(&ix);
    pym_graph *g = pym_graph_new((uint32_t)d->n, d->src, d->dst, d->m);
    if (!g) {
        PyErr_NoMemory();
        goto error;
    }
    d->ncomp = pym_graph_wcc(g, d->comp);
    pym_graph_free(&g);
    if (d->ncomp < 0) {
        PyErr_NoMemory();
        goto error;
    }
    return 0;
error:
    split_free(d);
    return -1;
}

/* The subgraphs, one per component in order of first member (Pympler's
 * split() semantics, with real components); a new list. */
static PyObject *split_list(PyObject *self)
{
    split_data d;
    if (split_prepare(self, &d) < 0)
        return NULL;
    PyObject *out = PyList_New(0), *objs = objects_of(self);
    PyObject **gm = NULL, **ge = NULL, **go = NULL;
    pym_wsize *gsize = NULL;
    if (!out || !objs)
        goto error;
    size_t nc = (size_t)d.ncomp;
    gm = PyMem_Calloc(nc + 1, sizeof *gm);
    ge = PyMem_Calloc(nc + 1, sizeof *ge);
    go = PyMem_Calloc(nc + 1, sizeof *go);
    gsize = PyMem_Calloc(nc + 1, sizeof *gsize);
    if (!gm || !ge || !go || !gsize) {
        PyErr_NoMemory();
        goto error;
    }
    pym_ptrindex *byid = pym_ptrindex_new((size_t)d.n);
    if (!byid) {
        PyErr_NoMemory();
        goto error;
    }
    for (size_t c = 0; c < nc; c++) {
        if (!(gm[c] = PyList_New(0)) || !(ge[c] = PyList_New(0)) || !(go[c] = PyList_New(0))) {
            pym_ptrindex_free(&byid);
            goto error;
        }
    }
    /* metadata: group index, and total size per group */
    for (Py_ssize_t i = 0; i < d.n; i++) {
        PyObject *m = PyList_GET_ITEM(d.meta, i);
        uint32_t c = d.comp[i];
        PyObject *grp = PyLong_FromUnsignedLong(c), *id = NULL, *sz = NULL;
        int r = grp ? set(m, S_group, grp) : -1;
        Py_XDECREF(grp);
        if (r == 0)
            r = PyList_Append(gm[c], m);
        if (r == 0 && (id = get(m, S_id))) {
            uintptr_t key;
            if (id_key(id, &key) == 0 && key)
                pym_ptrindex_put(byid, key, c);
        }
        Py_XDECREF(id);
        pym_wsize szv = 0;
        if (r == 0 && (sz = get(m, S_size)) && pym_long_as_wsize(sz, &szv) == 0)
            gsize[c] += szv;
        Py_XDECREF(sz);
        if (r < 0 || PyErr_Occurred()) {
            pym_ptrindex_free(&byid);
            goto error;
        }
    }
    /* edges: group of their source */
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(d.edges); k++) {
        PyObject *e = PyList_GET_ITEM(d.edges, k), *s = get(e, S_src);
        uintptr_t key = 0;
        int r = s ? id_key(s, &key) : -1;
        Py_XDECREF(s);
        uint32_t c = r == 0 && key ? pym_ptrindex_get(byid, key) : PYM_PTRINDEX_NONE;
        if (r == 0 && c != PYM_PTRINDEX_NONE) {
            PyObject *grp = PyLong_FromUnsignedLong(c);
            r = grp ? set(e, S_group, grp) : -1;
            Py_XDECREF(grp);
            if (r == 0)
                r = PyList_Append(ge[c], e);
        }
        if (r < 0) {
            pym_ptrindex_free(&byid);
            goto error;
        }
    }
    /* objects: Pympler filters self.objects by the group's ids */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(objs); i++) {
        PyObject *o = PyList_GET_ITEM(objs, i);
        uint32_t c = pym_ptrindex_get(byid, (uintptr_t)o);
        if (c != PYM_PTRINDEX_NONE && PyList_Append(go[c], o) < 0) {
            pym_ptrindex_free(&byid);
            goto error;
        }
    }
    pym_ptrindex_free(&byid);
    for (size_t c = 0; c < nc; c++) {
        PyObject *sub = graph_copy(self);
        int r = sub ? 0 : -1;
        if (r == 0)
            r = set(sub, S_metadata, gm[c]) | set(sub, S_objects, go[c]) | set(sub, S_edges, ge[c]) |
                set_steal(sub, S_count, PyLong_FromSsize_t(PyList_GET_SIZE(gm[c]))) |
                set_steal(sub, S_total_size, pym_long_from_i128(gsize[c])) |
                set_steal(sub, S_index, PyLong_FromSize_t(c));
        if (r == 0)
            r = PyList_Append(out, sub);
        Py_XDECREF(sub);
        if (r < 0)
            goto error;
    }
    goto done;
error:
    Py_CLEAR(out);
done:
    for (size_t c = 0; gm && c < (size_t)d.ncomp; c++) {
        Py_XDECREF(gm[c]);
        Py_XDECREF(ge[c]);
        Py_XDECREF(go[c]);
    }
    PyMem_Free(gm);
    PyMem_Free(ge);
    PyMem_Free(go);
    PyMem_Free(gsize);
    Py_XDECREF(objs);
    split_free(&d);
    return out;
}

static PyObject *Graph_split(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *l = split_list(self);
    if (!l)
        return NULL;
    PyObject *it = PyObject_GetIter(l);
    Py_DECREF(l);
    return it;
}

static int cmp_count_desc(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x < y) - (x > y);
}

static PyObject *Graph_split_and_sort(PyObject *self, PyObject *unused)
{
    (void)unused;
    PyObject *l = split_list(self);
    if (!l)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(l);
    /* stable sort by -len(metadata): pair (len, position) */
    Py_ssize_t *keys = PyMem_Malloc(sizeof(Py_ssize_t) * 2 * ((size_t)n + 1));
    if (!keys) {
        Py_DECREF(l);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *m = get(PyList_GET_ITEM(l, i), S_metadata);
        Py_ssize_t len = m ? PyObject_Length(m) : -1;
        Py_XDECREF(m);
        if (len < 0) {
            PyMem_Free(keys);
            Py_DECREF(l);
            return NULL;
        }
        keys[2 * i] = len * (n + 1) + (n - i); /* larger first, then earlier first */
        keys[2 * i + 1] = i;
    }
    qsort(keys, (size_t)n, 2 * sizeof(Py_ssize_t), cmp_count_desc);
    PyObject *out = PyList_New(n);
    for (Py_ssize_t i = 0; out && i < n; i++) {
        PyObject *g = PyList_GET_ITEM(l, keys[2 * i + 1]);
        PyList_SET_ITEM(out, i, Py_NewRef(g));
        if (set_steal(g, S_index, PyLong_FromSsize_t(i)) < 0)
            Py_CLEAR(out);
    }
    PyMem_Free(keys);
    Py_DECREF(l);
    return out;
}

/* ---- DOT ---------------------------------------------------------------- */

/* Attribute of a _MetaObject or _Edge, read directly when it is one of ours
 * (the lists may hold anything a user put there). New reference. */
static PyObject *field(PyObject *o, PyObject *name, PyObject *direct)
{
    if (direct)
        return Py_NewRef(direct);
    return get(o, name);
}

#define META_FIELD(m, f) field((m), S_##f, Py_IS_TYPE((m), &Meta_Type) ? ((MetaObject *)(m))->f : NULL)
#define EDGE_FIELD(e, f) field((e), S_##f, Py_IS_TYPE((e), &Edge_Type) ? ((EdgeObject *)(e))->f : NULL)

/* Text of a DOT string: Pympler's replacement of '"' by `quote`, backslashes
 * doubled, control characters dropped (pym_dot_quote); plain ASCII without
 * any of those is copied as is. */
static int put_text(pym_strbuf *b, PyObject *s, Py_UCS4 quote)
{
    if (PyUnicode_IS_ASCII(s)) {
        const char *p = (const char *)PyUnicode_DATA(s);
        Py_ssize_t n = PyUnicode_GET_LENGTH(s), i;
        for (i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)p[i];
            if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\' || ch == '&')
                break;
        }
        if (i == n) {
            pym_strbuf_append(b, p, (size_t)n);
            return 0;
        }
    }
    PyObject *q = pym_dot_quote(s, quote);
    Py_ssize_t len;
    const char *u = q ? PyUnicode_AsUTF8AndSize(q, &len) : NULL;
    if (u)
        pym_strbuf_append(b, u, (size_t)len);
    Py_XDECREF(q);
    return u ? 0 : -1;
}

/* str(o), a new reference */
static PyObject *as_str(PyObject *o)
{
    return PyUnicode_CheckExact(o) ? Py_NewRef(o) : PyObject_Str(o);
}

typedef struct {
    Py_ssize_t a, b; /* metadata order of source, target */
    PyObject *edge;
} edge_row;

static int edge_row_cmp(const void *x, const void *y)
{
    const edge_row *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

/* ---- opt-in additions of a picture (render keywords annotate, where) ---- */

#define EDGE_KEY_CLIP 32 /* safe_repr(key, clip=32) in an annotated dict edge label */
#define SITE_TRUNC 48    /* trunc(file:line, 48, left) in a node's allocation-site line */
#define FINALIZER_COLOR "#8E44AD" /* double border of an object with a finalizer */

/* What the DOT text of a picture adds to Pympler's (docs/refgraph.md,
 * "Pictures"); NULL where Pympler's text is wanted. */
typedef struct {
    int annotate;           /* [index] / [key] edge labels, finalizer marks, the legend */
    int where;              /* an allocation-site line per node, when tracemalloc traces */
    PyObject *objs;         /* self.objects as a list (owned) */
    pym_ptrindex *byaddr;   /* object address -> index in objs */
    PyObject *tm_get, *tm_tb; /* tracemalloc.get_object_traceback, .Traceback (owned; NULL: no lines) */
    int seen_frame, seen_method, seen_final, seen_site; /* what the legend explains */
} dot_extra;

static void dot_extra_free(dot_extra *x)
{
    Py_CLEAR(x->objs);
    Py_CLEAR(x->tm_get);
    Py_CLEAR(x->tm_tb);
    pym_ptrindex_free(&x->byaddr);
}

/* Fill *x for self (annotate, where as asked).  0, or -1 with an exception. */
static int dot_extra_init(dot_extra *x, PyObject *self, int annotate, int where)
{
    memset(x, 0, sizeof *x);
    x->annotate = annotate;
    x->where = where;
    PyObject *o = get(self, S_objects);
    x->objs = o ? PySequence_List(o) : NULL;
    Py_XDECREF(o);
    if (!x->objs)
        goto error;
    if (!(x->byaddr = pym_ptrindex_new((size_t)PyList_GET_SIZE(x->objs)))) {
        PyErr_NoMemory();
        goto error;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(x->objs); i++)
        if (pym_ptrindex_put(x->byaddr, (uintptr_t)PyList_GET_ITEM(x->objs, i), (uint32_t)i) < 0) {
            PyErr_NoMemory();
            goto error;
        }
    if (where) {
        PyObject *tm = PyImport_ImportModule("tracemalloc");
        PyObject *on = tm ? PyObject_CallMethod(tm, "is_tracing", NULL) : NULL;
        int tracing = on ? PyObject_IsTrue(on) : -1;
        Py_XDECREF(on);
        if (tracing > 0) {
            x->tm_get = PyObject_GetAttrString(tm, "get_object_traceback");
            x->tm_tb = x->tm_get ? PyObject_GetAttrString(tm, "Traceback") : NULL;
        }
        Py_XDECREF(tm);
        if (tracing < 0 || (tracing > 0 && !x->tm_tb))
            goto error;
    }
    return 0;
error:
    dot_extra_free(x);
    return -1;
}

/* The object of self.objects at address key, borrowed; NULL when none. */
static PyObject *extra_object(const dot_extra *x, uintptr_t key)
{
    uint32_t i = key ? pym_ptrindex_get(x->byaddr, key) : PYM_PTRINDEX_NONE;
    return i == PYM_PTRINDEX_NONE ? NULL : PyList_GET_ITEM(x->objs, i);
}

/* 1 when objects of type t have a finalizer: tp_finalize (a __del__, or a
 * built-in one: generators, files) or a legacy tp_del, other than object's
 * own (it has neither); as the garbage command's report marks them. */
static int has_finalizer(PyTypeObject *t)
{
    return (t->tp_finalize != NULL && t->tp_finalize != PyBaseObject_Type.tp_finalize) ||
           (t->tp_del != NULL && t->tp_del != PyBaseObject_Type.tp_del);
}

/* tracemalloc's traceback of obj, or None. */
static PyObject *traceback_of(const dot_extra *x, PyObject *obj)
{
#if PY_VERSION_HEX < 0x030C0000
    /* CPython 3.11 looks the block of an object with a managed __dict__ up at
     * the collector's header, but it starts two pointers before it (3.12
     * fixed it): look it up where it starts. */
    PyTypeObject *t = Py_TYPE(obj);
    if (PyType_HasFeature(t, Py_TPFLAGS_MANAGED_DICT) && PyType_IS_GC(t)) {
        uintptr_t start = (uintptr_t)obj - 2 * sizeof(uintptr_t) - 2 * sizeof(PyObject *);
        PyObject *frames = _PyTraceMalloc_GetTraceback(0, start), *tb; /* domain 0: Python's allocators */
        if (frames == NULL || frames == Py_None)
            return frames;
        tb = PyObject_CallOneArg(x->tm_tb, frames);
        Py_DECREF(frames);
        return tb;
    }
#endif
    return PyObject_CallOneArg(x->tm_get, obj);
}

/* "file:line" of the innermost frame where obj was allocated, cut to
 * SITE_TRUNC characters from the left; NULL without an exception when
 * tracemalloc has no trace of it (or any ordinary error: the line is left
 * out), NULL with one for the others. */
static PyObject *site_of(const dot_extra *x, PyObject *obj)
{
    PyObject *tb = traceback_of(x, obj), *fr = NULL, *file = NULL, *line = NULL, *s = NULL, *r = NULL;
    Py_ssize_t n = tb && tb != Py_None ? PySequence_Length(tb) : 0;
    if (n > 0 && (fr = PySequence_GetItem(tb, n - 1)) && (file = PyObject_GetAttrString(fr, "filename")) &&
        (line = PyObject_GetAttrString(fr, "lineno")))
        s = PyUnicode_FromFormat("%S:%S", file, line);
    r = s ? pym_trunc(s, SITE_TRUNC, 1) : NULL;
    Py_XDECREF(tb);
    Py_XDECREF(fr);
    Py_XDECREF(file);
    Py_XDECREF(line);
    Py_XDECREF(s);
    if (!r && PyErr_Occurred() && pym_err_is_ordinary())
        PyErr_Clear();
    return r;
}

/* The annotated label of the edge src -> dst: "[i]" for the first index of
 * dst in a list or tuple, "[repr(key)]" for the first key of a dict whose
 * value is dst (repr clipped to EDGE_KEY_CLIP, 'N/A' when it raises), else
 * Pympler's label as str ('N/A' when str() raises).  New reference, or NULL
 * with a non-ordinary exception. */
static PyObject *annotated_label(PyObject *src, PyObject *dst, PyObject *label)
{
    if (src && (PyList_Check(src) || PyTuple_Check(src))) {
        Py_ssize_t n = PyList_Check(src) ? PyList_GET_SIZE(src) : PyTuple_GET_SIZE(src);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *it = PyList_Check(src) ? PyList_GET_ITEM(src, i) : PyTuple_GET_ITEM(src, i);
            if (it == dst)
                return PyUnicode_FromFormat("[%zd]", i);
        }
    }
    else if (src && PyDict_Check(src)) {
        Py_ssize_t pos = 0;
        PyObject *k, *v, *key = NULL;
        while (PyDict_Next(src, &pos, &k, &v)) /* no Python code runs: identity only */
            if (v == dst) {
                key = Py_NewRef(k);
                break;
            }
        if (key) {
            PyObject *r = pym_safe_repr(key, EDGE_KEY_CLIP), *out = r ? PyUnicode_FromFormat("[%U]", r) : NULL;
            Py_DECREF(key);
            Py_XDECREF(r);
            return out;
        }
    }
    if (PyUnicode_CheckExact(label))
        return Py_NewRef(label);
    PyObject *s = PyObject_Str(label);
    if (!s && pym_err_is_ordinary()) {
        PyErr_Clear();
        s = PyUnicode_FromString("N/A");
    }
    return s;
}

/* '&', '<', '>', '"' of ASCII text (our own: the note) for an HTML-like label. */
static void put_html_ascii(pym_strbuf *b, const char *t)
{
    for (; *t; t++) {
        if (*t == '&')
            pym_strbuf_puts(b, "&amp;");
        else if (*t == '<')
            pym_strbuf_puts(b, "&lt;");
        else if (*t == '>')
            pym_strbuf_puts(b, "&gt;");
        else if (*t == '"')
            pym_strbuf_puts(b, "&quot;");
        else if ((unsigned char)*t >= 0x20 && (unsigned char)*t < 0x7f)
            pym_strbuf_append(b, t, 1);
    }
}

/* The legend: the graph's label, an HTML-like table of the kinds of nodes
 * and edges the picture shows with their borders and colours, at the bottom
 * right; with the simplification note (ASCII, may be NULL) as its first row,
 * at the top.  Written after the nodes, which tell what was seen. */
static void put_legend(pym_strbuf *b, const dot_extra *x, const char *note)
{
    pym_strbuf_puts(b, "    graph [ fontsize=10, label=<"
                       "<TABLE BORDER=\"1\" COLOR=\"#999999\" CELLBORDER=\"0\" CELLSPACING=\"2\" CELLPADDING=\"3\">");
    if (note) {
        pym_strbuf_puts(b, "<TR><TD COLSPAN=\"2\" ALIGN=\"LEFT\">");
        put_html_ascii(b, note);
        pym_strbuf_puts(b, "</TD></TR>");
    }
    pym_strbuf_puts(b, "<TR><TD COLSPAN=\"2\"><B>Legend</B></TD></TR>"
                       "<TR><TD BORDER=\"1\" COLOR=\"#CCCCCC\" BGCOLOR=\"#E5EDB8\">repr<BR/>type");
    if (x->seen_site)
        pym_strbuf_puts(b, "<BR/>file:line");
    pym_strbuf_puts(b, "</TD><TD ALIGN=\"LEFT\">an object: its repr and type");
    if (x->seen_site)
        pym_strbuf_puts(b, ",<BR ALIGN=\"LEFT\"/>where it was allocated (tracemalloc)<BR ALIGN=\"LEFT\"/>");
    pym_strbuf_puts(b, "</TD></TR>");
    if (x->seen_final)
        pym_strbuf_puts(b, "<TR><TD><TABLE BORDER=\"1\" COLOR=\"" FINALIZER_COLOR "\" CELLBORDER=\"1\" "
                           "CELLSPACING=\"2\" CELLPADDING=\"2\"><TR><TD COLOR=\"" FINALIZER_COLOR
                           "\" BGCOLOR=\"#E5EDB8\">  </TD></TR></TABLE></TD><TD ALIGN=\"LEFT\">double purple "
                           "border: has a finalizer<BR ALIGN=\"LEFT\"/>(__del__ or a built-in one)<BR ALIGN=\"LEFT\"/></TD></TR>");
    if (x->seen_frame)
        pym_strbuf_puts(b, "<TR><TD BORDER=\"1\" COLOR=\"orange\" BGCOLOR=\"#E5EDB8\">  </TD>"
                           "<TD ALIGN=\"LEFT\">orange border: a frame</TD></TR>");
    if (x->seen_method)
        pym_strbuf_puts(b, "<TR><TD BORDER=\"1\" COLOR=\"red\" BGCOLOR=\"#E5EDB8\">  </TD>"
                           "<TD ALIGN=\"LEFT\">red border: an instancemethod</TD></TR>");
    pym_strbuf_puts(b, "<TR><TD><FONT POINT-SIZE=\"16\">&#8594;</FONT></TD><TD ALIGN=\"LEFT\">a reference: attribute name,"
                       "<BR ALIGN=\"LEFT\"/>[index] of a list or tuple, [key] of a dict<BR ALIGN=\"LEFT\"/></TD></TR>"
                       "</TABLE>>, ");
    pym_strbuf_puts(b, note ? "labelloc=t, labeljust=l ];\n" : "labelloc=b, labeljust=r ];\n");
}

/* One node line: '    "X%s" [ label = "%s\n%s" %s ];' */
static int put_node(pym_strbuf *b, PyObject *m, pym_ptrindex *ix, Py_ssize_t i, dot_extra *x)
{
    PyObject *id = META_FIELD(m, id), *str = id ? META_FIELD(m, str) : NULL;
    PyObject *type = str ? META_FIELD(m, type) : NULL, *lab = NULL, *ts = NULL, *site = NULL, *obj = NULL;
    int final = 0;
    int rc = -1;
    uintptr_t key;
    if (!type || id_key(id, &key) < 0)
        goto done;
    if (key)
        pym_ptrindex_put(ix, key, (uint32_t)i);
    /* trunc(md.str, 48) is the identity on a short single-line str */
    if (PyUnicode_CheckExact(str) && PyUnicode_GET_LENGTH(str) <= LABEL_TRUNC &&
        PyUnicode_FindChar(str, '\n', 0, PyUnicode_GET_LENGTH(str), 1) < 0)
        lab = Py_NewRef(str);
    else
        lab = pym_trunc(str, LABEL_TRUNC, 0);
    if (!lab || !(ts = as_str(type)))
        goto done;
    pym_strbuf_printf(b, "    \"Xx%lx\" [ label = \"", (unsigned long)key);
    if (put_text(b, lab, '\'') < 0)
        goto done;
    pym_strbuf_puts(b, "\\n");
    if (put_text(b, ts, '\'') < 0)
        goto done;
    if (x && (obj = extra_object(x, key))) {
        final = x->annotate && has_finalizer(Py_TYPE(obj));
        if (x->tm_get && !(site = site_of(x, obj)) && PyErr_Occurred())
            goto done;
    }
    if (site) {
        pym_strbuf_puts(b, "\\n");
        if (put_text(b, site, '\'') < 0)
            goto done;
        x->seen_site = 1;
    }
    const char *extra = "";
    if (PyUnicode_CompareWithASCIIString(ts, "instancemethod") == 0) {
        extra = ", color=red";
        if (x)
            x->seen_method = 1;
    }
    else if (PyUnicode_CompareWithASCIIString(ts, "frame") == 0) {
        extra = ", color=orange";
        if (x)
            x->seen_frame = 1;
    }
    if (final) {
        x->seen_final = 1;
        pym_strbuf_printf(b, "\" %s%s peripheries=2 ];\n", extra[0] ? extra : ", color=\"" FINALIZER_COLOR "\"",
                          ",");
    }
    else {
        pym_strbuf_printf(b, "\" %s ];\n", extra);
    }
    rc = 0;
done:
    Py_XDECREF(id);
    Py_XDECREF(str);
    Py_XDECREF(type);
    Py_XDECREF(lab);
    Py_XDECREF(ts);
    Py_XDECREF(site);
    return rc;
}

/* One edge line: '    X%s -> X%s [label="%s"%s];' */
static int put_edge(pym_strbuf *b, PyObject *e, const dot_extra *x)
{
    PyObject *s = EDGE_FIELD(e, src), *t = s ? EDGE_FIELD(e, dst) : NULL;
    PyObject *l = t ? EDGE_FIELD(e, label) : NULL, *ls = NULL;
    uintptr_t ks, kt;
    int rc = -1;
    if (!l || id_key(s, &ks) < 0 || id_key(t, &kt) < 0)
        goto done;
    if (x && x->annotate)
        ls = annotated_label(extra_object(x, ks), extra_object(x, kt), l);
    else
        ls = as_str(l);
    if (!ls)
        goto done;
    pym_strbuf_printf(b, "    Xx%lx -> Xx%lx [label=\"", (unsigned long)ks, (unsigned long)kt);
    if (put_text(b, ls, '"') < 0)
        goto done;
    pym_strbuf_puts(b, PyUnicode_CompareWithASCIIString(ls, "__dict__") == 0 ? "\",weight=100];\n" : "\"];\n");
    rc = 0;
done:
    Py_XDECREF(s);
    Py_XDECREF(t);
    Py_XDECREF(l);
    Py_XDECREF(ls);
    return rc;
}

/* Pympler's _get_graphviz_data(), with labels escaped for DOT (backslashes
 * and control characters, which Pympler writes raw) and edges in a stable
 * order (Pympler: set order).  `note` (may be NULL) becomes the graph label. */
static PyObject *graphviz_text(PyObject *self, PyObject *note, dot_extra *x)
{
    PyObject *meta = NULL, *edges = NULL, *result = NULL;
    edge_row *rows = NULL;
    pym_ptrindex *ix = NULL;
    pym_strbuf b;
    pym_strbuf_init(&b);
    pym_strbuf_puts(&b, "// Process this file with graphviz\ndigraph G {\n    node [shape=box];\n");
    if (note && !(x && x->annotate)) {
        pym_strbuf_puts(&b, "    graph [label=\"");
        if (put_text(&b, note, '\'') < 0)
            goto done;
        pym_strbuf_puts(&b, "\", labelloc=t];\n");
    }
    PyObject *m0 = get(self, S_metadata), *e0 = m0 ? get(self, S_edges) : NULL;
    meta = m0 ? PySequence_List(m0) : NULL;
    edges = e0 && e0 != Py_None ? PySequence_List(e0) : (e0 ? PyList_New(0) : NULL);
    Py_XDECREF(m0);
    Py_XDECREF(e0);
    if (!meta || !edges)
        goto done;
    Py_ssize_t n = PyList_GET_SIZE(meta), ne = PyList_GET_SIZE(edges);
    if (!(ix = pym_ptrindex_new((size_t)n)) || !(rows = PyMem_Calloc((size_t)ne + 1, sizeof *rows))) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (put_node(&b, PyList_GET_ITEM(meta, i), ix, i, x) < 0)
            goto done;
    }
    for (Py_ssize_t k = 0; k < ne; k++) {
        PyObject *e = PyList_GET_ITEM(edges, k);
        PyObject *s = EDGE_FIELD(e, src), *t = s ? EDGE_FIELD(e, dst) : NULL;
        uintptr_t ks = 0, kt = 0;
        int r = t ? (id_key(s, &ks) | id_key(t, &kt)) : -1;
        Py_XDECREF(s);
        Py_XDECREF(t);
        if (r < 0)
            goto done;
        uint32_t a = ks ? pym_ptrindex_get(ix, ks) : PYM_PTRINDEX_NONE;
        uint32_t bb = kt ? pym_ptrindex_get(ix, kt) : PYM_PTRINDEX_NONE;
        rows[k].a = a == PYM_PTRINDEX_NONE ? n : a;
        rows[k].b = bb == PYM_PTRINDEX_NONE ? n : bb;
        rows[k].edge = e;
    }
    qsort(rows, (size_t)ne, sizeof *rows, edge_row_cmp);
    for (Py_ssize_t k = 0; k < ne; k++) {
        if (put_edge(&b, rows[k].edge, x) < 0)
            goto done;
    }
    if (x && x->annotate && n > 0) {
        const char *nt = note ? PyUnicode_AsUTF8(note) : NULL;
        if (note && !nt)
            goto done;
        put_legend(&b, x, nt);
    }
    pym_strbuf_puts(&b, "}\n");
    if (pym_strbuf_failed(&b))
        PyErr_NoMemory();
    else
        result = PyUnicode_DecodeUTF8(b.data, (Py_ssize_t)b.len, "strict");
done:
    pym_strbuf_free(&b);
    PyMem_Free(rows);
    pym_ptrindex_free(&ix);
    Py_XDECREF(meta);
    Py_XDECREF(edges);
    return result;
}

/* _get_graphviz_data(*, annotate=False, where=False): Pympler's DOT text;
 * with the opt-in keywords, the text render(annotate=..., where=...) draws
 * (docs/refgraph.md, "Pictures"). */
static PyObject *Graph__get_graphviz_data(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"annotate", "where", NULL};
    int annotate = 0, where = 0;
    dot_extra x;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$pp:_get_graphviz_data", kwlist, &annotate, &where))
        return NULL;
    if (!annotate && !where)
        return graphviz_text(self, NULL, NULL);
    if (dot_extra_init(&x, self, annotate, where) < 0)
        return NULL;
    PyObject *r = graphviz_text(self, NULL, &x);
    dot_extra_free(&x);
    return r;
}

static PyObject *Graph_write_graph(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"filename", NULL};
    PyObject *filename;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:write_graph", kwlist, &filename))
        return NULL;
    PyObject *text = graphviz_text(self, NULL, NULL);
    if (!text)
        return NULL;
    PyObject *io = PyImport_ImportModule("io");
    PyObject *f = io ? PyObject_CallMethod(io, "open", "Os", filename, "w") : NULL;
    Py_XDECREF(io);
    PyObject *r = f ? PyObject_CallMethod(f, "write", "O", text) : NULL;
    Py_DECREF(text);
    if (f) {
        PyObject *c = PyObject_CallMethod(f, "close", NULL);
        if (!c)
            Py_CLEAR(r);
        Py_XDECREF(c);
        Py_DECREF(f);
    }
    if (!r)
        return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

/* ---- rendering ---------------------------------------------------------- */
#include "refgraph_render.inc"

/* ---- type and module ---------------------------------------------------- */

#define FN(f) (PyCFunction)(void (*)(void))(f)
static PyMethodDef Graph_methods[] = {
    {"reduce_to_cycles", FN(Graph_reduce_to_cycles), METH_NOARGS,
     "reduce_to_cycles()\n\nThe graph of the objects that lie on reference cycles (a copy), or None."},
    {"split", FN(Graph_split), METH_NOARGS,
     "split()\n\nOne graph per weakly connected component (shallow copies with .index)."},
    {"split_and_sort", FN(Graph_split_and_sort), METH_NOARGS,
     "split_and_sort()\n\nThe components as a list, largest first."},
    {"write_graph", FN(Graph_write_graph), METH_VARARGS | METH_KEYWORDS,
     "write_graph(filename)\n\nWrite the graph in DOT format."},
    RENDER_METHODS
    {"_get_graphviz_data", FN(Graph__get_graphviz_data), METH_VARARGS | METH_KEYWORDS,
     "_get_graphviz_data(*, annotate=False, where=False)\n\nThe graph as DOT text (the keywords: as render()'s)."},
    {"_get_edges", FN(Graph__get_edges), METH_NOARGS, "Compute self.edges."},
    {"_annotate_objects", FN(Graph__annotate_objects), METH_NOARGS, "Compute self.metadata."},
    {"_reduce_to_cycles", FN(Graph__reduce_to_cycles), METH_NOARGS,
     "Keep only the objects on cycles; return their number."},
    {"__copy__", FN(Graph_copy), METH_NOARGS, "A shallow copy."},
    {NULL, NULL, 0, NULL}};

static PyTypeObject Graph_Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pympler.refgraph.ReferenceGraph",
    .tp_basicsize = sizeof(GraphObject),
    .tp_dealloc = (destructor)Graph_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "ReferenceGraph(objects, reduce=False)\n\n"
              "The references between a collection of objects, as a directed graph that can be\n"
              "reduced to its cycles, split into components, written as DOT and rendered.",
    .tp_traverse = (traverseproc)Graph_traverse,
    .tp_clear = (inquiry)Graph_clear,
    .tp_weaklistoffset = offsetof(GraphObject, weakreflist),
    .tp_dictoffset = offsetof(GraphObject, dict),
    .tp_methods = Graph_methods,
    .tp_init = (initproc)Graph_init,
    .tp_new = Graph_new,
};

/* What Pympler's module imports and so shows (lib/py/pyrt.h). */
static const pym_reexport reexports[] = {
    {"Popen", "subprocess", "Popen"},
    {"PIPE", "subprocess", "PIPE"},
    {"copy", "copy", "copy"},
    {"get_referents", "gc", "get_referents"},
    {"Asizer", "pympler.asizeof", "Asizer"},
    {"named_refs", "pympler.asizeof", "named_refs"},
    {"platform", "sys", "platform"},
    {"safe_repr", "pympler.util.stringutils", "safe_repr"},
    {"trunc", "pympler.util.stringutils", "trunc"},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods[] = {PYM_REEXPORT_METHODS, {NULL, NULL, 0, NULL}};


#define INTERN(var, text) (var = PyUnicode_InternFromString(text))

static int module_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0)
        return -1;
    /* Sizes and labels use asizeof's rules: the engine's one typedef table,
     * which pympler.asizeof builds with its registry of dict-like classes
     * (adict()) when it is imported. */
    PyObject *az = PyImport_ImportModule("pympler.asizeof");
    if (!az)
        return -1;
    Py_DECREF(az);
    if (!INTERN(S_objects, "objects") || !INTERN(S_count, "count") || !INTERN(S_num_in_cycles, "num_in_cycles") ||
        !INTERN(S_edges, "edges") || !INTERN(S_metadata, "metadata") || !INTERN(S_total_size, "total_size") ||
        !INTERN(S__reduced, "_reduced") || !INTERN(S_index, "index") || !INTERN(S_id, "id") ||
        !INTERN(S_size, "size") || !INTERN(S_type, "type") || !INTERN(S_str, "str") ||
        !INTERN(S_group, "group") || !INTERN(S_cycle, "cycle") || !INTERN(S_src, "src") ||
        !INTERN(S_dst, "dst") || !INTERN(S_label, "label") || !INTERN(S_NA, "N/A") ||
        !INTERN(S___class__, "__class__") || !INTERN(S___name__, "__name__"))
        return -1;
    if (pym_type_ready(&Meta_Type) < 0 || pym_type_ready(&Edge_Type) < 0 || pym_type_ready(&Graph_Type) < 0)
        return -1;
    PyObject *all = Py_BuildValue("[s]", "ReferenceGraph");
    if (!all || PyModule_AddObject(m, "__all__", all) < 0) {
        Py_XDECREF(all);
        return -1;
    }
    if (PyModule_AddObjectRef(m, "ReferenceGraph", (PyObject *)&Graph_Type) < 0 ||
        PyModule_AddObjectRef(m, "_MetaObject", (PyObject *)&Meta_Type) < 0 ||
        PyModule_AddObjectRef(m, "_Edge", (PyObject *)&Edge_Type) < 0) {
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.refgraph",
    .m_doc = "Reference graphs of Python objects, as Pympler's refgraph module, in C.\n\n"
             "ReferenceGraph(objects, reduce=False).  See docs/refgraph.md.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit_refgraph(void)
{
    return PyModuleDef_Init(&module_def);
}
