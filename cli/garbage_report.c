/* garbage_report.c: the report of pympler garbage -- counts by type, then
 * each reference cycle with its members and references -- as a dict, as JSON
 * and as text.
 *
 * The objects, their sizes, types and reprs come from the GarbageGraph
 * (graph.objects, graph.metadata, graph.edges, whose labels the engine
 * computes); the cycles are the strongly connected components of its edges
 * (lib/core/graph.h) of two or more objects, or of one object referring to
 * itself, and cycles of one shape are grouped by the shape signatures the
 * pictures group components by (pym_graph_component_signatures, types as
 * node labels).  Uncollectable objects are the ones CPython's collector
 * would leave in gc.garbage without DEBUG_SAVEALL: objects whose type has a
 * legacy tp_del finalizer, and everything they reach (Modules/gcmodule.c,
 * move_legacy_finalizers and move_legacy_finalizer_reachable).  The filters
 * (--include/--exclude), finalizers and allocation sites (--where): see
 * docs/cli.md, which also has the JSON schema.
 */
#include "cli.h"
#include "graph.h"
#include "ptrindex.h"
#include "wsize.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Limits (JSON lists everything but the frames). */
#define REPORT_VERSION 2       /* of the JSON schema, docs/cli.md */
#define TEXT_MAX_TYPES 20      /* rows of the counts-by-type table */
#define TEXT_REPR_CHARS 60     /* characters of a repr in the text report */
#define TEXT_TYPE_MIN 4        /* the type column: at least "type" wide, */
#define TEXT_TYPE_MAX 40       /* at most this; longer names cut with "..." */
#define TEXT_WHERE_FRAMES 3    /* frames of the user's code per member in text */
#define WHERE_FRAMES 10        /* frames of the user's code per member in JSON */
#define REPR_CHARS 128         /* a dict key's repr, as Pympler cuts a repr */
#define SHAPE_ROUNDS 3         /* refinement rounds of the shape signatures */

/* ---------------------------------------------------------------- the graph in C */

typedef struct {
    Py_ssize_t n;
    pym_graph *g;
    size_t m;             /* edges among the objects */
    uint32_t *src, *dst;  /* m entries each */
    PyObject **label;     /* m entries, owned: the engine's edge labels */
    uint32_t *scc;        /* n entries */
    int64_t nscc;
    uint8_t *self_loop;   /* n entries */
    uint8_t *uncollect;   /* n entries */
} cgraph;

static void cgraph_free(cgraph *c)
{
    pym_graph_free(&c->g);
    for (size_t k = 0; c->label && k < c->m; k++)
        Py_XDECREF(c->label[k]);
    free(c->label);
    free(c->src);
    free(c->dst);
    free(c->scc);
    free(c->self_loop);
    free(c->uncollect);
    memset(c, 0, sizeof *c);
}

/* The index of the object whose id is attribute name ("src", "dst") of
 * edge e: >= 0, -1 when it is not one of the objects (no error), -2 on error. */
static Py_ssize_t edge_end(PyObject *e, PyObject *name, const pym_ptrindex *index)
{
    PyObject *id = PyObject_GetAttr(e, name);
    void *p = id ? PyLong_AsVoidPtr(id) : NULL;

    Py_XDECREF(id);
    if (p == NULL)
        return PyErr_Occurred() ? -2 : -1;
    uint32_t k = pym_ptrindex_get(index, (uintptr_t)p);
    return k == PYM_PTRINDEX_NONE ? -1 : (Py_ssize_t)k;
}

static int nomem(void)
{
    PyErr_NoMemory();
    return -1;
}

/* Room for one more edge in c (capacity *cap). */
static int edge_room(cgraph *c, size_t *cap)
{
    if (c->m < *cap)
        return 0;
    size_t ncap = *cap ? 2 * *cap : 64;
    uint32_t *ns = realloc(c->src, ncap * sizeof *ns);
    if (ns == NULL)
        return nomem();
    c->src = ns;
    uint32_t *nd = realloc(c->dst, ncap * sizeof *nd);
    if (nd == NULL)
        return nomem();
    c->dst = nd;
    PyObject **nl = realloc(c->label, ncap * sizeof *nl);
    if (nl == NULL)
        return nomem();
    c->label = nl;
    *cap = ncap;
    return 0;
}

/* Build c from graph.objects and graph.edges. */
static int cgraph_build(cgraph *c, PyObject *graph, PyObject *objects)
{
    PyObject *edges = PyObject_GetAttrString(graph, "edges"), *it = NULL, *e;
    PyObject *s_src = PyUnicode_InternFromString("src"), *s_dst = PyUnicode_InternFromString("dst");
    PyObject *s_label = PyUnicode_InternFromString("label");
    pym_ptrindex *index = NULL;
    size_t cap = 0;
    int rc = -1;

    memset(c, 0, sizeof *c);
    c->n = PyList_GET_SIZE(objects);
    if (edges == NULL || !s_src || !s_dst || !s_label || (it = PyObject_GetIter(edges)) == NULL)
        goto done;
    if ((index = pym_ptrindex_new((size_t)c->n)) == NULL) {
        nomem();
        goto done;
    }
    for (Py_ssize_t i = 0; i < c->n; i++)
        if (pym_ptrindex_put(index, (uintptr_t)PyList_GET_ITEM(objects, i), (uint32_t)i) < 0) {
            nomem();
            goto done;
        }
    c->self_loop = calloc((size_t)c->n + 1, 1);
    c->uncollect = calloc((size_t)c->n + 1, 1);
    c->scc = calloc((size_t)c->n + 1, sizeof *c->scc);
    if (!c->self_loop || !c->uncollect || !c->scc) {
        nomem();
        goto done;
    }
    while ((e = PyIter_Next(it)) != NULL) {
        Py_ssize_t s = edge_end(e, s_src, index), d = s >= 0 ? edge_end(e, s_dst, index) : s;
        PyObject *label = s >= 0 && d >= 0 ? PyObject_GetAttr(e, s_label) : NULL;
        Py_DECREF(e);
        if (s == -2 || d == -2 || (s >= 0 && d >= 0 && label == NULL))
            goto done;
        if (s < 0 || d < 0)
            continue;
        if (edge_room(c, &cap) < 0) {
            Py_DECREF(label);
            goto done;
        }
        c->src[c->m] = (uint32_t)s;
        c->dst[c->m] = (uint32_t)d;
        c->label[c->m] = label;
        if (s == d)
            c->self_loop[s] = 1;
        c->m++;
    }
    if (PyErr_Occurred())
        goto done;
    c->g = pym_graph_new((uint32_t)c->n, c->src, c->dst, c->m);
    if (c->g == NULL || (c->nscc = pym_graph_scc(c->g, c->scc)) < 0) {
        nomem();
        goto done;
    }
    /* uncollectable: legacy finalizers and what they reach */
    {
        uint32_t *stack = malloc(((size_t)c->n + 1) * sizeof *stack);
        size_t top = 0;
        if (stack == NULL) {
            nomem();
            goto done;
        }
        for (Py_ssize_t i = 0; i < c->n; i++)
            if (Py_TYPE(PyList_GET_ITEM(objects, i))->tp_del != NULL && !c->uncollect[i]) {
                c->uncollect[i] = 1;
                stack[top++] = (uint32_t)i;
            }
        while (top > 0) {
            size_t deg;
            const uint32_t *out = pym_graph_out(c->g, stack[--top], &deg);
            for (size_t k = 0; k < deg; k++)
                if (!c->uncollect[out[k]]) {
                    c->uncollect[out[k]] = 1;
                    stack[top++] = out[k];
                }
        }
        free(stack);
    }
    rc = 0;
done:
    Py_XDECREF(it);
    pym_ptrindex_free(&index);
    Py_XDECREF(s_src);
    Py_XDECREF(s_dst);
    Py_XDECREF(s_label);
    Py_XDECREF(edges);
    if (rc < 0)
        cgraph_free(c);
    return rc;
}

/* 1 when objects of type t have a finalizer: a __del__ (tp_finalize) or a
 * legacy tp_del, other than object's own (it has neither). */
static int has_finalizer(PyTypeObject *t)
{
    return (t->tp_finalize != NULL && t->tp_finalize != PyBaseObject_Type.tp_finalize) ||
           (t->tp_del != NULL && t->tp_del != PyBaseObject_Type.tp_del);
}

/* ---------------------------------------------------------------- sizes */

/* Sizes are exact: one object's (asizeof's) may pass sys.maxsize -- a
 * __sizeof__ of sys.maxsize -- and their sums 64 bits; 128 bits hold any. */
typedef pym_wsize wide;

/* With public API only (the command does not see the engine's version
 * layer): the low 64 bits by mask, the high ones after a shift. */
static int wide_of(PyObject *v, wide *out)
{
    if (!PyLong_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "a size is not an int");
        return -1;
    }
    unsigned long long lo = PyLong_AsUnsignedLongLongMask(v);
    if (lo == (unsigned long long)-1 && PyErr_Occurred())
        return -1;
    PyObject *shift = PyLong_FromLong(64);
    PyObject *high = shift ? PyNumber_Rshift(v, shift) : NULL;
    long long hi = high ? PyLong_AsLongLong(high) : -1;
    Py_XDECREF(shift);
    Py_XDECREF(high);
    if (hi == -1 && PyErr_Occurred())
        return -1;
    __extension__ unsigned __int128 u = (unsigned long long)hi;
    *out = (wide)((u << 64) | lo);
    return 0;
}

static PyObject *wide_long(wide v)
{
    if (v >= INT64_MIN && v <= INT64_MAX)
        return PyLong_FromLongLong((long long)v);
    PyObject *hi = PyLong_FromLongLong((long long)(v >> 64)); /* arithmetic: keeps the sign */
    PyObject *lo = PyLong_FromUnsignedLongLong((unsigned long long)v);
    PyObject *shift = PyLong_FromLong(64);
    PyObject *up = hi && shift ? PyNumber_Lshift(hi, shift) : NULL;
    PyObject *r = up && lo ? PyNumber_Or(up, lo) : NULL;
    Py_XDECREF(hi);
    Py_XDECREF(lo);
    Py_XDECREF(shift);
    Py_XDECREF(up);
    return r;
}

/* ---------------------------------------------------------------- types: module, file, filters */

/* What the report needs of one type, computed once per type. */
typedef struct {
    PyObject *module; /* owned: type.__module__ when a str, else None */
    uint8_t selected; /* passes --include/--exclude */
} type_info;

typedef struct {
    const pym_garbage_opts *opts;
    pym_ptrindex *index; /* type address -> slot in info */
    type_info *info;
    size_t n, cap;
} type_table;

static void type_table_free(type_table *t)
{
    for (size_t k = 0; k < t->n; k++)
        Py_XDECREF(t->info[k].module);
    free(t->info);
    pym_ptrindex_free(&t->index);
}

/* attribute name of o when it is a str, else None (errors of the lookup
 * cleared: a hostile type or module is reported as having none).  New. */
static PyObject *str_attr(PyObject *o, const char *name)
{
    PyObject *v = PyObject_GetAttrString(o, name);

    if (v == NULL)
        PyErr_Clear();
    if (v == NULL || !PyUnicode_Check(v)) {
        Py_XDECREF(v);
        return Py_NewRef(Py_None);
    }
    return v;
}

/* 1 when the str s (None: never) matches one of the patterns (fnmatch(3) on
 * the file-system encoding of s, '*' matching '/' too, as Python's). */
static int matches(PyObject *s, const char *const *pats, int npats)
{
    PyObject *b;
    int hit = 0;

    if (s == Py_None || npats == 0)
        return 0;
    if ((b = PyUnicode_EncodeFSDefault(s)) == NULL) {
        PyErr_Clear(); /* not encodable: matches nothing */
        return 0;
    }
    for (int k = 0; k < npats && !hit; k++)
        hit = fnmatch(pats[k], PyBytes_AS_STRING(b), 0) == 0;
    Py_DECREF(b);
    return hit;
}

/* Whether a type with this module passes the filters: its module name or
 * the file of that module (sys.modules[name].__file__) matches an --include
 * pattern, or there is none; and neither matches an --exclude pattern. */
static int selected(const pym_garbage_opts *o, PyObject *module)
{
    PyObject *mod, *file = NULL;
    int inc, exc;

    if (o->ninclude == 0 && o->nexclude == 0)
        return 1;
    if (module != Py_None) {
        mod = PyImport_GetModule(module);
        if (mod == NULL)
            PyErr_Clear();
        file = mod ? str_attr(mod, "__file__") : NULL;
        Py_XDECREF(mod);
    }
    if (file == NULL)
        file = Py_NewRef(Py_None);
    inc = o->ninclude == 0 || matches(module, o->include, o->ninclude) || matches(file, o->include, o->ninclude);
    exc = matches(module, o->exclude, o->nexclude) || matches(file, o->exclude, o->nexclude);
    Py_DECREF(file);
    return inc && !exc;
}

/* The info of type t (borrowed: kept alive by its objects), or NULL with an
 * exception. */
static const type_info *type_lookup(type_table *t, PyTypeObject *type)
{
    uint32_t k = pym_ptrindex_get(t->index, (uintptr_t)type);

    if (k != PYM_PTRINDEX_NONE)
        return &t->info[k];
    if (t->n == t->cap) {
        size_t ncap = t->cap ? 2 * t->cap : 16;
        type_info *ni = realloc(t->info, ncap * sizeof *ni);
        if (ni == NULL) {
            nomem();
            return NULL;
        }
        t->info = ni;
        t->cap = ncap;
    }
    type_info *ti = &t->info[t->n];
    ti->module = str_attr((PyObject *)type, "__module__");
    ti->selected = (uint8_t)selected(t->opts, ti->module);
    if (pym_ptrindex_put(t->index, (uintptr_t)type, (uint32_t)t->n) < 0) {
        Py_DECREF(ti->module);
        nomem();
        return NULL;
    }
    return &t->info[t->n++];
}

/* ---------------------------------------------------------------- allocation sites (--where) */

typedef struct {
    PyObject *get;  /* tracemalloc.get_object_traceback */
    PyObject *traceback; /* tracemalloc.Traceback */
    PyObject *skip; /* tuple of directory prefixes (str, ending in '/') that are not the user's */
    PyObject *keep; /* tuple of prefixes that are, though under a skipped one (site-packages) */
} where_ctx;

static void where_free(where_ctx *w)
{
    Py_CLEAR(w->get);
    Py_CLEAR(w->traceback);
    Py_CLEAR(w->skip);
    Py_CLEAR(w->keep);
}

/* dir + "/" for a str dir; NULL (no error) when dir is not a str. */
static PyObject *dir_prefix(PyObject *dir)
{
    return PyUnicode_Check(dir) ? PyUnicode_FromFormat("%U/", dir) : NULL;
}

/* The user's code is any file outside the pympler package's directory and
 * the standard library's (sysconfig's stdlib and platstdlib, but not its
 * purelib and platlib: site-packages may live inside it), and not frozen. */
static int where_init(where_ctx *w)
{
    PyObject *pkg = pym_import_attr("pympler", "__file__"), *paths = NULL, *pkgdir = NULL;
    const char *skip[] = {"stdlib", "platstdlib"}, *keep[] = {"purelib", "platlib"};
    int rc = -1;

    memset(w, 0, sizeof *w);
    PyObject *get_paths = pkg ? pym_import_attr("sysconfig", "get_paths") : NULL;
    paths = get_paths ? PyObject_CallNoArgs(get_paths) : NULL;
    Py_XDECREF(get_paths);
    w->get = paths ? pym_import_attr("tracemalloc", "get_object_traceback") : NULL;
    w->traceback = w->get ? pym_import_attr("tracemalloc", "Traceback") : NULL;
    if (w->traceback == NULL)
        goto done;
    if (!PyDict_Check(paths)) {
        PyErr_SetString(PyExc_TypeError, "sysconfig.get_paths() is not a dict");
        goto done;
    }
    {
        PyObject *os_path = PyImport_ImportModule("os.path");
        PyObject *dn = os_path ? PyObject_CallMethod(os_path, "dirname", "O", pkg) : NULL;
        Py_XDECREF(os_path);
        if (dn == NULL)
            goto done;
        pkgdir = dn;
    }
    w->skip = PyTuple_New(3);
    w->keep = w->skip ? PyTuple_New(2) : NULL;
    if (w->keep == NULL)
        goto done;
    PyObject *p = dir_prefix(pkgdir);
    PyTuple_SET_ITEM(w->skip, 0, p ? p : PyUnicode_FromString("\x01"));
    for (int k = 0; k < 2; k++) {
        PyObject *s = PyDict_GetItemString(paths, skip[k]), *kk = PyDict_GetItemString(paths, keep[k]); /* borrowed */
        PyObject *ps = s ? dir_prefix(s) : NULL, *pk = kk ? dir_prefix(kk) : NULL;
        /* "\x01" starts no file name: a prefix that never matches */
        PyTuple_SET_ITEM(w->skip, k + 1, ps ? ps : PyUnicode_FromString("\x01"));
        PyTuple_SET_ITEM(w->keep, k, pk ? pk : PyUnicode_FromString("\x01"));
    }
    for (int k = 0; k < 3; k++)
        if (PyTuple_GET_ITEM(w->skip, k) == NULL || (k < 2 && PyTuple_GET_ITEM(w->keep, k) == NULL))
            goto done;
    rc = 0;
done:
    Py_XDECREF(pkgdir);
    Py_XDECREF(paths);
    Py_XDECREF(pkg);
    if (rc < 0)
        where_free(w);
    return rc;
}

static int starts_with_any(PyObject *s, PyObject *prefixes)
{
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(prefixes); k++) {
        Py_ssize_t r = PyUnicode_Tailmatch(s, PyTuple_GET_ITEM(prefixes, k), 0, PY_SSIZE_T_MAX, -1);
        if (r != 0)
            return (int)r; /* 1, or -1 with an exception */
    }
    return 0;
}

/* 1 when the file name is the user's code. */
static int users_file(const where_ctx *w, PyObject *file)
{
    PyObject *frozen = PyUnicode_FromString("<frozen ");
    Py_ssize_t f = frozen ? PyUnicode_Tailmatch(file, frozen, 0, PY_SSIZE_T_MAX, -1) : -1;
    Py_XDECREF(frozen);
    if (f != 0)
        return f < 0 ? -1 : 0;
    int skip = starts_with_any(file, w->skip);
    if (skip <= 0)
        return skip < 0 ? -1 : 1;
    int keep = starts_with_any(file, w->keep);
    return keep < 0 ? -1 : keep;
}

/* {"file", "line"} of a tracemalloc Frame. */
static PyObject *frame_dict(PyObject *frame)
{
    PyObject *file = PyObject_GetAttrString(frame, "filename");
    PyObject *line = file ? PyObject_GetAttrString(frame, "lineno") : NULL;
    PyObject *d = line ? Py_BuildValue("{sOsO}", "file", file, "line", line) : NULL;
    Py_XDECREF(file);
    Py_XDECREF(line);
    return d;
}

/* tracemalloc.get_object_traceback(obj). */
static PyObject *traceback_of(const where_ctx *w, PyObject *obj)
{
#if PY_VERSION_HEX < 0x030C0000
    /* CPython 3.11's get_object_traceback looks for the memory block of an
     * object whose type keeps its __dict__ before the object
     * (Py_TPFLAGS_MANAGED_DICT: two pointers before the collector's header)
     * at the collector's header, and finds nothing (3.12 fixed it).  Here
     * the block is looked up where it starts: those two pointers and the
     * header (two words) before the object. */
    PyTypeObject *t = Py_TYPE(obj);
    if (PyType_HasFeature(t, Py_TPFLAGS_MANAGED_DICT) && PyType_IS_GC(t)) {
        uintptr_t start = (uintptr_t)obj - 2 * sizeof(uintptr_t) - 2 * sizeof(PyObject *);
        PyObject *frames = _PyTraceMalloc_GetTraceback(0, start), *tb; /* domain 0: Python's allocators */
        if (frames == NULL || frames == Py_None)
            return frames;
        tb = PyObject_CallOneArg(w->traceback, frames);
        Py_DECREF(frames);
        return tb;
    }
#endif
    return PyObject_CallOneArg(w->get, obj);
}

/* {"site": {"file", "line"}, "frames": [...]} of obj: the innermost frame of
 * where it was allocated, and the innermost frames of the user's code,
 * innermost first; None when tracemalloc did not trace it. */
static PyObject *where_of(const where_ctx *w, PyObject *obj)
{
    PyObject *tb = traceback_of(w, obj), *seq = NULL, *frames = NULL, *site = NULL, *r = NULL;

    if (tb == NULL || tb == Py_None)
        return tb;
    if ((seq = PySequence_Fast(tb, "a traceback is not a sequence")) == NULL || (frames = PyList_New(0)) == NULL)
        goto done;
    for (Py_ssize_t i = PySequence_Fast_GET_SIZE(seq) - 1; i >= 0 && PyList_GET_SIZE(frames) < WHERE_FRAMES; i--) {
        PyObject *fd = frame_dict(PySequence_Fast_GET_ITEM(seq, i)), *file;
        int users;
        if (fd == NULL)
            goto done;
        if (site == NULL)
            site = Py_NewRef(fd);
        file = PyDict_GetItemString(fd, "file"); /* borrowed */
        users = file && PyUnicode_Check(file) ? users_file(w, file) : 0;
        if (users < 0 || (users && PyList_Append(frames, fd) < 0)) {
            Py_DECREF(fd);
            goto done;
        }
        Py_DECREF(fd);
    }
    r = Py_BuildValue("{sOsO}", "site", site ? site : Py_None, "frames", frames);
done:
    Py_XDECREF(site);
    Py_XDECREF(frames);
    Py_XDECREF(seq);
    Py_DECREF(tb);
    return r;
}

PyObject *pym_garbage_sites(PyObject *objects)
{
    PyObject *sites = PyDict_New(), *seq = PySequence_Fast(objects, "not a list of objects");
    where_ctx w;

    if (sites == NULL || seq == NULL || where_init(&w) < 0) {
        Py_XDECREF(seq);
        Py_XDECREF(sites);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        PyObject *obj = PySequence_Fast_GET_ITEM(seq, i), *id = PyLong_FromVoidPtr(obj);
        PyObject *where = id ? where_of(&w, obj) : NULL;
        int rc = where ? PyDict_SetItem(sites, id, where) : -1;
        Py_XDECREF(id);
        Py_XDECREF(where);
        if (rc < 0) {
            Py_CLEAR(sites);
            break;
        }
    }
    where_free(&w);
    Py_DECREF(seq);
    return sites;
}

/* ---------------------------------------------------------------- members and references */

/* {"id", "type", "module", "size", "repr", "uncollectable", "finalizer"}
 * of one object, from its metadata, and "where" when where is not NULL; its
 * size also in *size. */
static PyObject *member(PyObject *meta, PyObject *module, int uncollectable, int finalizer, PyObject *where,
                        wide *size)
{
    PyObject *id = PyObject_GetAttrString(meta, "id"), *type = NULL, *sz = NULL, *str = NULL, *d = NULL;

    if (id && (type = PyObject_GetAttrString(meta, "type")) && (sz = PyObject_GetAttrString(meta, "size")) &&
        (str = PyObject_GetAttrString(meta, "str")) && wide_of(sz, size) == 0)
        d = Py_BuildValue("{sOsOsOsOsOsOsO}", "id", id, "type", type, "module", module, "size", sz, "repr", str,
                          "uncollectable", uncollectable ? Py_True : Py_False, "finalizer",
                          finalizer ? Py_True : Py_False);
    if (d && where && PyDict_SetItemString(d, "where", where) < 0)
        Py_CLEAR(d);
    Py_XDECREF(id);
    Py_XDECREF(type);
    Py_XDECREF(sz);
    Py_XDECREF(str);
    return d;
}

/* Add to the reference d what holds src -> dst, from the engine's label:
 * "kind" "index" and "index" for an item of a list or tuple (the engine
 * labels those '' as Pympler does; the index is the item's first position);
 * "key" and "key" (its repr by stringutils.safe_repr) for a value of a dict;
 * "attribute" and "name" for a named referent (an attribute, a slot,
 * '__dict__', ...); "referent" when nothing names it (a dict's key, ...). */
static int add_via(PyObject *d, PyObject *src, PyObject *dst, PyObject *label, PyObject *safe_repr)
{
    PyObject *v = NULL;
    const char *kind = "referent", *what = NULL;

    if (PyList_Check(src) || PyTuple_Check(src)) {
        Py_ssize_t n = PyList_Check(src) ? PyList_GET_SIZE(src) : PyTuple_GET_SIZE(src);
        PyObject **items = PySequence_Fast_ITEMS(src);
        for (Py_ssize_t i = 0; i < n && v == NULL; i++)
            if (items[i] == dst) {
                if ((v = PyLong_FromSsize_t(i)) == NULL)
                    return -1;
                kind = "index";
                what = "index";
            }
    }
    if (v == NULL && PyDict_Check(src)) {
        /* the engine's label of a dict's value is its key (any object);
         * other labels of a dict (subclass) are names (str) */
        int is_key = !PyUnicode_CheckExact(label);
        if (!is_key) {
            PyObject *val = PyDict_GetItemWithError(src, label); /* borrowed */
            if (val == NULL)
                PyErr_Clear();
            is_key = val == dst;
        }
        if (is_key) {
            if ((v = PyObject_CallFunction(safe_repr, "On", label, (Py_ssize_t)REPR_CHARS)) == NULL)
                return -1;
            kind = "key";
            what = "key";
        }
    }
    if (v == NULL && PyUnicode_Check(label) && PyUnicode_GET_LENGTH(label) > 0) {
        v = Py_NewRef(label);
        kind = "attribute";
        what = "name";
    }
    PyObject *k = PyUnicode_FromString(kind);
    int rc = k ? PyDict_SetItemString(d, "kind", k) : -1;
    Py_XDECREF(k);
    if (rc == 0 && v != NULL)
        rc = PyDict_SetItemString(d, what, v);
    Py_XDECREF(v);
    return rc;
}

/* The "types" list: [{"type", "count", "size"}] of the members (dicts),
 * largest size first (ties in the order the types first appear). */
static PyObject *type_counts(PyObject *members, const wide *size)
{
    Py_ssize_t n = PyList_GET_SIZE(members), nt = 0;
    PyObject *slot_of = PyDict_New(), *names = PyList_New(0), *list = NULL; /* type -> slot; slot -> type */
    long long *count = calloc((size_t)n + 1, sizeof *count);
    wide *total = calloc((size_t)n + 1, sizeof *total);

    if (!slot_of || !names || !count || !total) {
        if (!PyErr_Occurred())
            PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *type = PyDict_GetItemString(PyList_GET_ITEM(members, i), "type"); /* borrowed */
        PyObject *k = type ? PyDict_GetItemWithError(slot_of, type) : NULL;
        Py_ssize_t slot = k ? PyLong_AsSsize_t(k) : nt;
        if (type == NULL || PyErr_Occurred())
            goto done;
        if (k == NULL) {
            PyObject *v = PyLong_FromSsize_t(nt++);
            int r = v ? PyDict_SetItem(slot_of, type, v) : -1;
            Py_XDECREF(v);
            if (r < 0 || PyList_Append(names, type) < 0)
                goto done;
        }
        count[slot]++;
        total[slot] += size[i];
    }
    if ((list = PyList_New(nt)) == NULL)
        goto done;
    for (Py_ssize_t t = 0; t < nt; t++) {
        PyObject *row = Py_BuildValue("{sOsLsN}", "type", PyList_GET_ITEM(names, t), "count", count[t], "size",
                                      wide_long(total[t]));
        if (row == NULL) {
            Py_CLEAR(list);
            goto done;
        }
        PyList_SET_ITEM(list, t, row);
    }
    PyObject *key = PyUnicode_FromString("size");
    if (!key || pym_sort_by_item(list, key, 1) < 0)
        Py_CLEAR(list);
    Py_XDECREF(key);
done:
    free(count);
    free(total);
    Py_XDECREF(names);
    Py_XDECREF(slot_of);
    return list;
}

/* ---------------------------------------------------------------- cycles */

/* Per strongly connected component. */
typedef struct {
    Py_ssize_t nmem;
    uint8_t loop;  /* one member refers to itself */
    uint8_t keep;  /* a member passes the filters */
} scc_info;

#define IS_CYCLE(si) ((si).nmem >= 2 || (si).loop)

/* qsort context (the GIL is held: one sort at a time) */
static const wide *sort_size;

static int cmp_size_desc(const void *a, const void *b)
{
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    if (sort_size[x] != sort_size[y])
        return sort_size[x] > sort_size[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

typedef struct {
    const cgraph *c;
    PyObject *objects;   /* graph.objects */
    PyObject *metadata;  /* graph.metadata */
    PyObject *members;   /* member dicts, None for the objects dropped */
    const wide *size;    /* n entries */
    const scc_info *si;  /* nscc entries */
} cycle_input;

/* Shape signatures of the components (types as node labels); sig has nscc
 * entries. */
static int shape_signatures(const cycle_input *in, uint64_t *sig)
{
    const cgraph *c = in->c;
    uint64_t *labels = calloc((size_t)c->n + 1, sizeof *labels);

    if (labels == NULL)
        return nomem();
    for (Py_ssize_t i = 0; i < c->n; i++) {
        PyObject *t = PyObject_GetAttrString(PyList_GET_ITEM(in->metadata, i), "type");
        Py_hash_t h = t ? PyObject_Hash(t) : -1;
        Py_XDECREF(t);
        if (h == -1) {
            free(labels);
            return -1;
        }
        labels[i] = (uint64_t)h;
    }
    int rc = pym_graph_component_signatures(c->g, c->scc, (uint32_t)c->nscc, labels, SHAPE_ROUNDS, sig);
    free(labels);
    return rc < 0 ? nomem() : 0;
}

/* The "cycles" list: the cycles the filters keep, each {"objects", "size",
 * "shape", "members", "references"}: grouped by shape, the groups in the
 * order of their largest cycle, largest first within a group ("shape"
 * numbers the groups from 0).  *in_cycles: their members in all. */
static PyObject *cycle_list(const cycle_input *in, Py_ssize_t *in_cycles)
{
    const cgraph *c = in->c;
    size_t nscc = (size_t)c->nscc + 1;
    Py_ssize_t ncyc = 0, *cyc_of = malloc(nscc * sizeof *cyc_of), *scc_of = malloc(nscc * sizeof *scc_of);
    Py_ssize_t *order = malloc(nscc * sizeof *order), *final = malloc(nscc * sizeof *final);
    Py_ssize_t *gid = malloc(nscc * sizeof *gid), *gstart = calloc(nscc + 1, sizeof *gstart);
    Py_ssize_t *pos = malloc(((size_t)c->n + 1) * sizeof *pos), ngroups = 0;
    wide *csize = calloc(nscc, sizeof *csize);
    uint64_t *sig = calloc(nscc, sizeof *sig);
    pym_ptrindex *groups = pym_ptrindex_new(nscc);
    PyObject *lists = NULL, *refs = NULL, *cycles = NULL, *safe_repr = NULL;

    *in_cycles = 0;
    if (!cyc_of || !scc_of || !order || !final || !gid || !gstart || !pos || !csize || !sig || !groups) {
        nomem();
        goto done;
    }
    for (int64_t s = 0; s < c->nscc; s++)
        if (IS_CYCLE(in->si[s]) && in->si[s].keep) {
            scc_of[ncyc] = (Py_ssize_t)s;
            cyc_of[s] = ncyc++;
        } else {
            cyc_of[s] = -1;
        }
    if ((safe_repr = pym_import_attr("pympler.util.stringutils", "safe_repr")) == NULL ||
        (lists = PyList_New(ncyc)) == NULL || (refs = PyList_New(ncyc)) == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < ncyc; k++) {
        PyObject *l = PyList_New(0), *r = l ? PyList_New(0) : NULL;
        if (r == NULL) {
            Py_XDECREF(l);
            goto done;
        }
        PyList_SET_ITEM(lists, k, l);
        PyList_SET_ITEM(refs, k, r);
    }
    for (Py_ssize_t i = 0; i < c->n; i++) {
        Py_ssize_t k = cyc_of[c->scc[i]];
        if (k < 0)
            continue;
        PyObject *l = PyList_GET_ITEM(lists, k);
        pos[i] = PyList_GET_SIZE(l);
        if (PyList_Append(l, PyList_GET_ITEM(in->members, i)) < 0)
            goto done;
        csize[k] += in->size[i];
        ++*in_cycles;
    }
    /* the references among the members of each cycle, in the graph's order */
    for (size_t e = 0; e < c->m; e++) {
        uint32_t s = c->src[e], d = c->dst[e];
        Py_ssize_t k = c->scc[s] == c->scc[d] ? cyc_of[c->scc[s]] : -1;
        if (k < 0)
            continue;
        PyObject *ref = Py_BuildValue("{snsn}", "source", pos[s], "target", pos[d]);
        int rc = ref ? add_via(ref, PyList_GET_ITEM(in->objects, s), PyList_GET_ITEM(in->objects, d), c->label[e],
                               safe_repr)
                     : -1;
        if (rc == 0)
            rc = PyList_Append(PyList_GET_ITEM(refs, k), ref);
        Py_XDECREF(ref);
        if (rc < 0)
            goto done;
    }
    /* each cycle's references by source, then target (stable sorts) */
    {
        PyObject *ks = PyUnicode_FromString("source"), *kt = ks ? PyUnicode_FromString("target") : NULL;
        int rc = kt ? 0 : -1;
        for (Py_ssize_t k = 0; rc == 0 && k < ncyc; k++)
            if ((rc = pym_sort_by_item(PyList_GET_ITEM(refs, k), kt, 0)) == 0)
                rc = pym_sort_by_item(PyList_GET_ITEM(refs, k), ks, 0);
        Py_XDECREF(ks);
        Py_XDECREF(kt);
        if (rc < 0)
            goto done;
    }
    /* order: by size, then the shapes grouped (counting sort, stable) */
    if (shape_signatures(in, sig) < 0)
        goto done;
    for (Py_ssize_t k = 0; k < ncyc; k++)
        order[k] = k;
    sort_size = csize;
    qsort(order, (size_t)ncyc, sizeof *order, cmp_size_desc);
    for (Py_ssize_t j = 0; j < ncyc; j++) {
        Py_ssize_t k = order[j], s = scc_of[k];
        uintptr_t key = (uintptr_t)(sig[s] ^ ((uint64_t)in->si[s].nmem << 40)) | 8;
        uint32_t g = pym_ptrindex_get(groups, key);
        if (g == PYM_PTRINDEX_NONE) {
            g = (uint32_t)ngroups++;
            if (pym_ptrindex_put(groups, key, g) < 0) {
                nomem();
                goto done;
            }
        }
        gid[k] = g;
        gstart[g + 1]++;
    }
    for (Py_ssize_t g = 0; g < ngroups; g++)
        gstart[g + 1] += gstart[g];
    for (Py_ssize_t j = 0; j < ncyc; j++)
        final[gstart[gid[order[j]]]++] = order[j];
    if ((cycles = PyList_New(ncyc)) == NULL)
        goto done;
    for (Py_ssize_t j = 0; j < ncyc; j++) {
        Py_ssize_t k = final[j];
        PyObject *l = PyList_GET_ITEM(lists, k);
        PyObject *cy = Py_BuildValue("{snsNsnsOsO}", "objects", PyList_GET_SIZE(l), "size", wide_long(csize[k]),
                                     "shape", gid[k], "members", l, "references", PyList_GET_ITEM(refs, k));
        if (cy == NULL) {
            Py_CLEAR(cycles);
            goto done;
        }
        PyList_SET_ITEM(cycles, j, cy);
    }
done:
    free(cyc_of);
    free(scc_of);
    free(order);
    free(final);
    free(gid);
    free(gstart);
    free(pos);
    free(csize);
    free(sig);
    pym_ptrindex_free(&groups);
    Py_XDECREF(safe_repr);
    Py_XDECREF(lists);
    Py_XDECREF(refs);
    return cycles;
}

/* ---------------------------------------------------------------- the report dict */

/* A list of str of the patterns (file-system decoded argv). */
static PyObject *pattern_list(const char *const *pats, int n)
{
    PyObject *l = PyList_New(n);

    for (int k = 0; l && k < n; k++) {
        PyObject *s = PyUnicode_DecodeFSDefault(pats[k]);
        if (s == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, k, s);
    }
    return l;
}

/* {"exit_status", "kind", "target"} */
static PyObject *program_dict(const pym_garbage_opts *o)
{
    PyObject *target = o->target ? PyUnicode_DecodeFSDefault(o->target) : Py_NewRef(Py_None);

    if (target == NULL)
        return NULL;
    return Py_BuildValue("{sisssN}", "exit_status", o->exit_status, "kind", o->kind ? o->kind : "command", "target",
                         target);
}

PyObject *pym_garbage_report(PyObject *graph, const pym_garbage_opts *opts, pym_garbage_counts *counts)
{
    PyObject *objects = PyObject_GetAttrString(graph, "objects"), *metadata = NULL, *members = NULL, *kept = NULL;
    PyObject *cycles = NULL, *types = NULL, *report = NULL;
    Py_ssize_t in_cycles = 0, uncollectable = 0, nkept = 0, ncyc_all = 0;
    wide total = 0, *size = NULL, *ksize = NULL;
    scc_info *si = NULL;
    uint8_t *sel = NULL;
    type_table tt = {opts, NULL, NULL, 0, 0};
    cgraph c;
    int have_c = 0;

    memset(counts, 0, sizeof *counts);
    if (objects == NULL)
        return NULL;
    if (!PyList_Check(objects)) {
        PyErr_SetString(PyExc_TypeError, "graph.objects is not a list");
        goto done;
    }
    metadata = PyObject_GetAttrString(graph, "metadata");
    if (metadata == NULL || !PyList_Check(metadata) || PyList_GET_SIZE(metadata) != PyList_GET_SIZE(objects)) {
        if (metadata != NULL)
            PyErr_SetString(PyExc_TypeError, "graph.metadata does not match graph.objects");
        goto done;
    }
    if (cgraph_build(&c, graph, objects) < 0)
        goto done;
    have_c = 1;
    if ((tt.index = pym_ptrindex_new(64)) == NULL) {
        if (!PyErr_Occurred())
            nomem();
        goto done;
    }
    members = PyList_New(c.n);
    kept = PyList_New(0);
    size = malloc(((size_t)c.n + 1) * sizeof *size);
    ksize = malloc(((size_t)c.n + 1) * sizeof *ksize);
    sel = calloc((size_t)c.n + 1, 1);
    si = calloc((size_t)c.nscc + 1, sizeof *si);
    if (members == NULL || kept == NULL || !size || !ksize || !sel || !si) {
        if (!PyErr_Occurred())
            nomem();
        goto done;
    }
    /* what the filters select: a cycle with a selected member, an object on
     * no cycle when selected itself */
    for (Py_ssize_t i = 0; i < c.n; i++) {
        const type_info *ti = type_lookup(&tt, Py_TYPE(PyList_GET_ITEM(objects, i)));
        if (ti == NULL)
            goto done;
        sel[i] = ti->selected;
        si[c.scc[i]].nmem++;
        si[c.scc[i]].loop |= c.self_loop[i];
        si[c.scc[i]].keep |= sel[i];
    }
    for (int64_t s = 0; s < c.nscc; s++)
        ncyc_all += IS_CYCLE(si[s]);
    for (Py_ssize_t i = 0; i < c.n; i++) {
        PyObject *obj = PyList_GET_ITEM(objects, i), *m, *where = NULL;
        const scc_info *s = &si[c.scc[i]];
        if (!(IS_CYCLE(*s) ? s->keep : sel[i])) {
            PyList_SET_ITEM(members, i, Py_NewRef(Py_None));
            size[i] = 0;
            continue;
        }
        if (opts->sites) {
            PyObject *id = PyLong_FromVoidPtr(obj);
            where = id ? PyDict_GetItemWithError(opts->sites, id) : NULL; /* borrowed */
            Py_XDECREF(id);
            if (where == NULL && PyErr_Occurred())
                goto done;
            where = Py_NewRef(where ? where : Py_None); /* not in gc.garbage then: not traced */
        }
        m = member(PyList_GET_ITEM(metadata, i), type_lookup(&tt, Py_TYPE(obj))->module, c.uncollect[i],
                   has_finalizer(Py_TYPE(obj)), where, &size[i]);
        Py_XDECREF(where);
        if (m == NULL)
            goto done;
        PyList_SET_ITEM(members, i, m);
        if (PyList_Append(kept, m) < 0)
            goto done;
        ksize[nkept++] = size[i];
        total += size[i];
        uncollectable += c.uncollect[i];
    }
    cycle_input in = {&c, objects, metadata, members, size, si};
    if ((cycles = cycle_list(&in, &in_cycles)) == NULL || (types = type_counts(kept, ksize)) == NULL)
        goto done;
    counts->cycles = PyList_GET_SIZE(cycles);
    counts->uncollectable = uncollectable;
    counts->dropped_cycles = ncyc_all - counts->cycles;
    report = Py_BuildValue("{sisNs{snsNsnsnsn}s{sNsNsnsn}sOsO}", "version", REPORT_VERSION, "program",
                           program_dict(opts), "summary", "objects", nkept, "size", wide_long(total), "in_cycles",
                           in_cycles, "cycles", counts->cycles, "uncollectable", uncollectable, "filters", "include",
                           pattern_list(opts->include, opts->ninclude), "exclude",
                           pattern_list(opts->exclude, opts->nexclude), "dropped_cycles", counts->dropped_cycles,
                           "dropped_objects", c.n - nkept, "types", types, "cycles", cycles);
done:
    free(size);
    free(ksize);
    free(sel);
    free(si);
    if (have_c)
        cgraph_free(&c);
    type_table_free(&tt);
    Py_XDECREF(types);
    Py_XDECREF(cycles);
    Py_XDECREF(kept);
    Py_XDECREF(members);
    Py_XDECREF(metadata);
    Py_DECREF(objects);
    return report;
}

PyObject *pym_garbage_report_json(PyObject *report)
{
    return pym_json_text(report);
}

/* ---------------------------------------------------------------- text */

/* s for a terminal: control characters as '?', surrogates as U+FFFD, cut to
 * max characters with "..." -- padded with spaces to pad characters when pad
 * > 0.  Not a str: its str(). */
static PyObject *clean(PyObject *s, Py_ssize_t max, Py_ssize_t pad)
{
    Py_ssize_t n, k = 0;
    Py_UCS4 *buf;
    PyObject *r;

    if (!PyUnicode_Check(s))
        return PyObject_Str(s);
    n = PyUnicode_GET_LENGTH(s);
    buf = PyMem_Malloc(((size_t)(n < max ? max : n) + (size_t)pad + 4) * sizeof *buf);
    if (buf == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n && k < max; i++) {
        Py_UCS4 ch = PyUnicode_READ_CHAR(s, i);
        if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0))
            ch = '?';
        else if (ch >= 0xd800 && ch < 0xe000)
            ch = 0xfffd;
        buf[k++] = ch;
    }
    if (n > max && max >= 3) {
        k = max - 3;
        buf[k++] = '.';
        buf[k++] = '.';
        buf[k++] = '.';
    }
    while (k < pad)
        buf[k++] = ' ';
    r = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, k);
    PyMem_Free(buf);
    return r;
}

/* Append PyUnicode_FromFormatV(fmt, ...) to list. */
static int line(PyObject *list, const char *fmt, ...)
{
    va_list ap;
    PyObject *s;
    int r;

    va_start(ap, fmt);
    s = PyUnicode_FromFormatV(fmt, ap);
    va_end(ap);
    if (s == NULL)
        return -1;
    r = PyList_Append(list, s);
    Py_DECREF(s);
    return r;
}

static long long get_ll(PyObject *d, const char *key)
{
    PyObject *v = PyDict_GetItemString(d, key); /* borrowed */
    long long r = v ? PyLong_AsLongLong(v) : 0;
    if (r == -1 && PyErr_Occurred())
        PyErr_Clear(); /* counts and ids fit; the report is ours */
    return r;
}

/* A size of the report (a Python int, may pass 64 bits) as decimal text. */
static const char *get_size_text(PyObject *d, char *buf, size_t len)
{
    PyObject *v = PyDict_GetItemString(d, "size"); /* borrowed */
    wide w = 0;
    if (!v || wide_of(v, &w) < 0)
        PyErr_Clear();
    return pym_wsize_str(buf, len, 0, w);
}

/* One row: left, then the type (padded to width when a repr follows) and
 * the repr. */
static int row(PyObject *lines, const char *left, PyObject *type, PyObject *repr, Py_ssize_t width)
{
    PyObject *t = clean(type, width, repr ? width : 0);
    PyObject *r = (t && repr) ? clean(repr, TEXT_REPR_CHARS, 0) : NULL;
    int rc = -1;

    if (t && repr && r)
        rc = line(lines, "%s%U  %U", left, t, r);
    else if (t && !repr)
        rc = line(lines, "%s%U", left, t);
    Py_XDECREF(t);
    Py_XDECREF(r);
    return rc;
}

/* The width of the type column: the longest name shown, within
 * [TEXT_TYPE_MIN, TEXT_TYPE_MAX]. */
static void widen(Py_ssize_t *width, PyObject *d)
{
    PyObject *t = PyDict_GetItemString(d, "type"); /* borrowed */
    Py_ssize_t n = t && PyUnicode_Check(t) ? PyUnicode_GET_LENGTH(t) : 0;
    if (n > *width)
        *width = n < TEXT_TYPE_MAX ? n : TEXT_TYPE_MAX;
}

/* "file:line" of a frame dict, cleaned for a terminal. */
static PyObject *frame_text(PyObject *fd)
{
    PyObject *file = PyDict_GetItemString(fd, "file"), *lineno = PyDict_GetItemString(fd, "line"); /* borrowed */
    PyObject *s = file && lineno ? PyUnicode_FromFormat("%S:%S", file, lineno) : NULL;
    PyObject *r = s ? clean(s, PyUnicode_GET_LENGTH(s), 0) : NULL;
    Py_XDECREF(s);
    if (r == NULL && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "malformed frame in the garbage report");
    return r;
}

/* The member's allocation site line: "at SITE" when it is the user's
 * code, else "at SITE, from FRAME"; then "< FRAME" for the callers (user's
 * code, innermost first, TEXT_WHERE_FRAMES in all). */
static int where_line(PyObject *lines, PyObject *where)
{
    PyObject *site, *frames, *parts = NULL, *sep = NULL, *joined = NULL;
    int rc = -1;

    if (where == Py_None)
        return line(lines, "      at ? (not traced by tracemalloc)");
    site = PyDict_GetItemString(where, "site");
    frames = PyDict_GetItemString(where, "frames"); /* borrowed */
    if (!site || !frames || !PyList_Check(frames) || (parts = PyList_New(0)) == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(frames) && k < TEXT_WHERE_FRAMES; k++) {
        PyObject *t = frame_text(PyList_GET_ITEM(frames, k));
        int r = t ? PyList_Append(parts, t) : -1;
        Py_XDECREF(t);
        if (r < 0)
            goto done;
    }
    sep = PyUnicode_FromString(" < ");
    joined = sep ? PyUnicode_Join(sep, parts) : NULL;
    if (joined == NULL)
        goto done;
    if (site == Py_None) {
        rc = line(lines, "      at ?");
    } else {
        PyObject *st = frame_text(site);
        int same = st && PyList_GET_SIZE(frames) > 0 &&
                   PyObject_RichCompareBool(site, PyList_GET_ITEM(frames, 0), Py_EQ) == 1;
        if (st == NULL)
            goto done;
        if (same)
            rc = line(lines, "      at %U", joined);
        else if (PyList_GET_SIZE(frames) > 0)
            rc = line(lines, "      at %U, from %U", st, joined);
        else
            rc = line(lines, "      at %U (no frame of the program's own code)", st);
        Py_DECREF(st);
    }
done:
    Py_XDECREF(joined);
    Py_XDECREF(sep);
    Py_XDECREF(parts);
    if (rc < 0 && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "malformed allocation site in the garbage report");
    return rc;
}

/* "2 Resource, 1 Node, 1 list": the members by type, in the order the types
 * first appear. */
static PyObject *composition(PyObject *members, Py_ssize_t width)
{
    PyObject *count = PyDict_New(), *order = PyList_New(0), *parts = PyList_New(0), *sep = NULL, *r = NULL;

    if (!count || !order || !parts)
        goto done;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(members); j++) {
        PyObject *t = PyDict_GetItemString(PyList_GET_ITEM(members, j), "type"); /* borrowed */
        PyObject *n = t ? PyDict_GetItemWithError(count, t) : NULL;
        long k = n ? PyLong_AsLong(n) : 0;
        if (t == NULL || PyErr_Occurred())
            goto done;
        if (n == NULL && PyList_Append(order, t) < 0)
            goto done;
        PyObject *nn = PyLong_FromLong(k + 1);
        int rc = nn ? PyDict_SetItem(count, t, nn) : -1;
        Py_XDECREF(nn);
        if (rc < 0)
            goto done;
    }
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(order); j++) {
        PyObject *t = PyList_GET_ITEM(order, j), *ct = clean(t, width, 0);
        PyObject *p = ct ? PyUnicode_FromFormat("%S %U", PyDict_GetItem(count, t), ct) : NULL;
        int rc = p ? PyList_Append(parts, p) : -1;
        Py_XDECREF(ct);
        Py_XDECREF(p);
        if (rc < 0)
            goto done;
    }
    sep = PyUnicode_FromString(", ");
    r = sep ? PyUnicode_Join(sep, parts) : NULL;
done:
    Py_XDECREF(sep);
    Py_XDECREF(parts);
    Py_XDECREF(order);
    Py_XDECREF(count);
    return r;
}

/* The members of one cycle: rows "  0xID SIZE UF TYPE  REPR" (U:
 * uncollectable, F: a finalizer), and their allocation sites. */
static int member_rows(PyObject *lines, PyObject *mem, Py_ssize_t max_members, Py_ssize_t width, int *flagged)
{
    char buf[128], sz[48];
    Py_ssize_t n = PyList_GET_SIZE(mem);

    for (Py_ssize_t j = 0; j < n && (max_members == 0 || j < max_members); j++) {
        PyObject *m = PyList_GET_ITEM(mem, j), *where = PyDict_GetItemString(m, "where"); /* borrowed */
        int u = PyDict_GetItemString(m, "uncollectable") == Py_True, f = PyDict_GetItemString(m, "finalizer") == Py_True;
        snprintf(buf, sizeof buf, "  0x%012llx %8s %c%c ", (unsigned long long)get_ll(m, "id"),
                 get_size_text(m, sz, sizeof sz), u ? 'U' : ' ', f ? 'F' : ' ');
        *flagged |= u || f;
        if (row(lines, buf, PyDict_GetItemString(m, "type"), PyDict_GetItemString(m, "repr"), width) < 0 ||
            (where && where_line(lines, where) < 0))
            return -1;
    }
    if (max_members > 0 && n > max_members && line(lines, "  ... %zd more objects (--max-members 0 lists all)",
                                                   n - max_members) < 0)
        return -1;
    return 0;
}

PyObject *pym_garbage_report_text(PyObject *report, Py_ssize_t max_cycles, Py_ssize_t max_members)
{
    PyObject *summary = PyDict_GetItemString(report, "summary"); /* borrowed */
    PyObject *types = PyDict_GetItemString(report, "types"), *cycles = PyDict_GetItemString(report, "cycles");
    PyObject *filters = PyDict_GetItemString(report, "filters"), *program = PyDict_GetItemString(report, "program");
    PyObject *lines = PyList_New(0), *sep = NULL, *text = NULL;
    char buf[128], sz[48];
    Py_ssize_t ncyc, ntypes, width = TEXT_TYPE_MIN, entries = 0, i;
    int flagged = 0;

    if (lines == NULL || !summary || !types || !cycles || !filters || !program || !PyList_Check(types) ||
        !PyList_Check(cycles))
        goto done;
    ncyc = PyList_GET_SIZE(cycles);
    ntypes = PyList_GET_SIZE(types);
    for (i = 0; i < ntypes && i < TEXT_MAX_TYPES; i++)
        widen(&width, PyList_GET_ITEM(types, i));
    /* the members shown: those of the first cycle of each entry (below) */
    for (i = 0; i < ncyc && (max_cycles == 0 || entries < max_cycles); entries++) {
        PyObject *cy = PyList_GET_ITEM(cycles, i), *mem = PyDict_GetItemString(cy, "members");
        long long shape = get_ll(cy, "shape");
        for (Py_ssize_t j = 0; mem && j < PyList_GET_SIZE(mem) && (max_members == 0 || j < max_members); j++)
            widen(&width, PyList_GET_ITEM(mem, j));
        for (i++; i < ncyc && get_ll(PyList_GET_ITEM(cycles, i), "shape") == shape; i++)
            ;
    }
    entries = 0;
    if (line(lines, "Garbage: %lld objects, %s bytes; %lld in %zd reference cycle%s; %lld uncollectable",
             get_ll(summary, "objects"), get_size_text(summary, sz, sizeof sz), get_ll(summary, "in_cycles"), ncyc,
             ncyc == 1 ? "" : "s", get_ll(summary, "uncollectable")) < 0)
        goto done;
    PyObject *inc = PyDict_GetItemString(filters, "include"), *exc = PyDict_GetItemString(filters, "exclude");
    if (((inc && PyObject_Length(inc) > 0) || (exc && PyObject_Length(exc) > 0)) &&
        line(lines, "Filters (--include/--exclude) dropped %lld cycle%s and %lld object%s",
             get_ll(filters, "dropped_cycles"), get_ll(filters, "dropped_cycles") == 1 ? "" : "s",
             get_ll(filters, "dropped_objects"), get_ll(filters, "dropped_objects") == 1 ? "" : "s") < 0)
        goto done;
    if (ntypes > 0 && (line(lines, "") < 0 || line(lines, "   count       size  type") < 0))
        goto done;
    for (i = 0; i < ntypes && i < TEXT_MAX_TYPES; i++) {
        PyObject *t = PyList_GET_ITEM(types, i);
        snprintf(buf, sizeof buf, "%8lld %10s  ", get_ll(t, "count"), get_size_text(t, sz, sizeof sz));
        if (row(lines, buf, PyDict_GetItemString(t, "type"), NULL, width) < 0)
            goto done;
    }
    if (ntypes > TEXT_MAX_TYPES && line(lines, "   ... %zd more types", ntypes - TEXT_MAX_TYPES) < 0)
        goto done;
    /* one entry per run of cycles of one shape */
    for (i = 0; i < ncyc && (max_cycles == 0 || entries < max_cycles); entries++) {
        PyObject *cy = PyList_GET_ITEM(cycles, i), *mem = PyDict_GetItemString(cy, "members");
        long long shape = get_ll(cy, "shape");
        Py_ssize_t j = i + 1;
        wide all = 0, w;
        for (; j < ncyc && get_ll(PyList_GET_ITEM(cycles, j), "shape") == shape; j++)
            ;
        for (Py_ssize_t k = i; k < j; k++) {
            PyObject *v = PyDict_GetItemString(PyList_GET_ITEM(cycles, k), "size");
            if (v == NULL || wide_of(v, &w) < 0)
                goto done;
            all += w;
        }
        if (!mem || !PyList_Check(mem) || line(lines, "") < 0)
            goto done;
        if (j - i == 1) {
            if (line(lines, "Cycle %zd of %zd: %lld object%s, %s bytes", i + 1, ncyc, get_ll(cy, "objects"),
                     get_ll(cy, "objects") == 1 ? "" : "s", get_size_text(cy, sz, sizeof sz)) < 0)
                goto done;
        } else {
            PyObject *comp = composition(mem, width);
            int r = comp ? line(lines, "Cycles %zd-%zd of %zd: %zd cycles of %lld object%s each (%U), %s bytes in all; "
                                       "the largest:",
                                i + 1, j, ncyc, j - i, get_ll(cy, "objects"), get_ll(cy, "objects") == 1 ? "" : "s",
                                comp, pym_wsize_str(sz, sizeof sz, 0, all))
                         : -1;
            Py_XDECREF(comp);
            if (r < 0)
                goto done;
        }
        if (member_rows(lines, mem, max_members, width, &flagged) < 0)
            goto done;
        i = j;
    }
    if (i < ncyc && line(lines, "\n... %zd more cycle%s (--max-cycles 0 lists all; --format json lists them too)",
                         ncyc - i, ncyc - i == 1 ? "" : "s") < 0)
        goto done;
    if (line(lines, "") < 0 || (flagged && line(lines, "U: uncollectable; F: has a finalizer (__del__)") < 0) ||
        line(lines, "Program exit status: %lld", get_ll(program, "exit_status")) < 0 || line(lines, "") < 0)
        goto done;
    sep = PyUnicode_FromString("\n");
    text = sep ? PyUnicode_Join(sep, lines) : NULL;
done:
    Py_XDECREF(sep);
    Py_XDECREF(lines);
    if (text == NULL && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "malformed garbage report");
    return text;
}
