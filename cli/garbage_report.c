/* garbage_report.c: the report of pympler garbage -- counts by type, then
 * each reference cycle with its members -- as a dict, as JSON and as text.
 *
 * The objects, their sizes, types and reprs come from the GarbageGraph
 * (graph.objects, graph.metadata, graph.edges); the cycles are the strongly
 * connected components of its edges (lib/core/graph.h) of two or more
 * objects, or of one object referring to itself.  Uncollectable objects are
 * the ones CPython's collector would leave in gc.garbage without
 * DEBUG_SAVEALL: objects whose type has a legacy tp_del finalizer, and
 * everything they reach (Modules/gcmodule.c, move_legacy_finalizers and
 * move_legacy_finalizer_reachable).  The JSON schema: docs/cli.md.
 */
#include "cli.h"
#include "graph.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Caps of the text report (JSON lists everything). */
#define TEXT_MAX_TYPES 20      /* rows of the counts-by-type table */
#define TEXT_MAX_CYCLES 20     /* cycles listed, largest first */
#define TEXT_MAX_MEMBERS 12    /* members listed per cycle */
#define TEXT_REPR_CHARS 60     /* characters of a repr in the text report */
#define TEXT_TYPE_CHARS 16     /* characters of a type name column */

/* ---------------------------------------------------------------- the graph in C */

typedef struct {
    Py_ssize_t n;
    pym_graph *g;
    uint32_t *scc;        /* n entries */
    int64_t nscc;
    uint8_t *self_loop;   /* n entries */
    uint8_t *uncollect;   /* n entries */
} cgraph;

static void cgraph_free(cgraph *c)
{
    pym_graph_free(&c->g);
    free(c->scc);
    free(c->self_loop);
    free(c->uncollect);
}

/* Index of each object id: {id: index}. */
static PyObject *id_index(PyObject *objects)
{
    PyObject *map = PyDict_New();

    for (Py_ssize_t i = 0; map && i < PyList_GET_SIZE(objects); i++) {
        PyObject *k = PyLong_FromVoidPtr(PyList_GET_ITEM(objects, i)), *v = k ? PyLong_FromSsize_t(i) : NULL;
        int r = v ? PyDict_SetItem(map, k, v) : -1;
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (r < 0)
            Py_CLEAR(map);
    }
    return map;
}

/* Index of the edge end attr ("src"/"dst") of edge e, or -1 (not a member:
 * no error) or -2 (error). */
static Py_ssize_t edge_end(PyObject *e, const char *attr, PyObject *index)
{
    PyObject *id = PyObject_GetAttrString(e, attr), *v;

    if (id == NULL)
        return -2;
    v = PyDict_GetItemWithError(index, id); /* borrowed */
    Py_DECREF(id);
    if (v == NULL)
        return PyErr_Occurred() ? -2 : -1;
    return PyLong_AsSsize_t(v);
}

static int nomem(void)
{
    PyErr_NoMemory();
    return -1;
}

/* Build c from graph.objects and graph.edges. */
static int cgraph_build(cgraph *c, PyObject *graph, PyObject *objects)
{
    PyObject *edges = PyObject_GetAttrString(graph, "edges"), *index = NULL, *it = NULL, *e;
    uint32_t *src = NULL, *dst = NULL;
    size_t m = 0, cap = 0;
    int rc = -1;

    memset(c, 0, sizeof *c);
    c->n = PyList_GET_SIZE(objects);
    if (edges == Py_None) { /* not computed yet */
        PyObject *r = PyObject_CallMethod(graph, "_get_edges", NULL);
        Py_XDECREF(r);
        Py_SETREF(edges, r ? PyObject_GetAttrString(graph, "edges") : NULL);
    }
    if (edges == NULL || (index = id_index(objects)) == NULL || (it = PyObject_GetIter(edges)) == NULL)
        goto done;
    c->self_loop = calloc((size_t)c->n + 1, 1);
    c->uncollect = calloc((size_t)c->n + 1, 1);
    c->scc = calloc((size_t)c->n + 1, sizeof *c->scc);
    if (!c->self_loop || !c->uncollect || !c->scc) {
        nomem();
        goto done;
    }
    while ((e = PyIter_Next(it)) != NULL) {
        Py_ssize_t s = edge_end(e, "src", index), d = s >= 0 ? edge_end(e, "dst", index) : s;
        Py_DECREF(e);
        if (s == -2 || d == -2)
            goto done;
        if (s < 0 || d < 0)
            continue;
        if (m == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            uint32_t *ns = realloc(src, ncap * sizeof *ns), *nd;
            if (ns == NULL) {
                nomem();
                goto done;
            }
            src = ns;
            nd = realloc(dst, ncap * sizeof *nd);
            if (nd == NULL) {
                nomem();
                goto done;
            }
            dst = nd;
            cap = ncap;
        }
        src[m] = (uint32_t)s;
        dst[m] = (uint32_t)d;
        if (s == d)
            c->self_loop[s] = 1;
        m++;
    }
    if (PyErr_Occurred())
        goto done;
    c->g = pym_graph_new((uint32_t)c->n, src, dst, m);
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
    free(src);
    free(dst);
    Py_XDECREF(it);
    Py_XDECREF(index);
    Py_XDECREF(edges);
    if (rc < 0)
        cgraph_free(c);
    return rc;
}

/* ---------------------------------------------------------------- the report dict */

/* {"id", "type", "size", "repr", "uncollectable"} of member i. */
static PyObject *member(PyObject *meta, int uncollectable)
{
    PyObject *id = PyObject_GetAttrString(meta, "id"), *type = NULL, *size = NULL, *str = NULL, *d = NULL;

    if (id && (type = PyObject_GetAttrString(meta, "type")) && (size = PyObject_GetAttrString(meta, "size")) &&
        (str = PyObject_GetAttrString(meta, "str")))
        d = Py_BuildValue("{sOsOsOsOsO}", "id", id, "type", type, "size", size, "repr", str, "uncollectable",
                          uncollectable ? Py_True : Py_False);
    Py_XDECREF(id);
    Py_XDECREF(type);
    Py_XDECREF(size);
    Py_XDECREF(str);
    return d;
}

/* Add the "size" of d (a dict with int "size") to *total. */
static int add_size(PyObject *d, long long *total)
{
    PyObject *s = PyDict_GetItemString(d, "size"); /* borrowed */
    long long v = s ? PyLong_AsLongLong(s) : 0;

    if (v == -1 && PyErr_Occurred())
        return -1;
    *total += v;
    return 0;
}

/* sorted(lst, key=itemgetter(key), reverse=True), in place (stable). */
static int sort_desc(PyObject *lst, const char *key)
{
    PyObject *itemgetter = pym_import_attr("operator", "itemgetter"), *k, *sort, *kw, *empty, *r = NULL;

    k = itemgetter ? PyObject_CallFunction(itemgetter, "s", key) : NULL;
    sort = k ? PyObject_GetAttrString(lst, "sort") : NULL;
    kw = sort ? Py_BuildValue("{sOsO}", "key", k, "reverse", Py_True) : NULL;
    empty = kw ? PyTuple_New(0) : NULL;
    r = empty ? PyObject_Call(sort, empty, kw) : NULL;
    Py_XDECREF(empty);
    Py_XDECREF(kw);
    Py_XDECREF(sort);
    Py_XDECREF(k);
    Py_XDECREF(itemgetter);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* The "types" list: [{"type", "count", "size"}], largest size first. */
static PyObject *type_counts(PyObject *members)
{
    PyObject *by = PyDict_New(), *list = NULL;

    if (by == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(members); i++) {
        PyObject *m = PyList_GET_ITEM(members, i);
        PyObject *type = PyDict_GetItemString(m, "type"), *row; /* borrowed */
        long long size = 0;
        if (type == NULL || add_size(m, &size) < 0)
            goto error;
        row = PyDict_GetItemWithError(by, type); /* borrowed */
        if (row == NULL) {
            if (PyErr_Occurred())
                goto error;
            row = Py_BuildValue("{sOsisi}", "type", type, "count", 0, "size", 0);
            if (row == NULL || PyDict_SetItem(by, type, row) < 0) {
                Py_XDECREF(row);
                goto error;
            }
            Py_DECREF(row);
        }
        PyObject *count = PyDict_GetItemString(row, "count"), *tot = PyDict_GetItemString(row, "size");
        PyObject *nc = PyLong_FromLongLong(PyLong_AsLongLong(count) + 1);
        PyObject *ns = nc ? PyLong_FromLongLong(PyLong_AsLongLong(tot) + size) : NULL;
        int r = ns ? (PyDict_SetItemString(row, "count", nc) | PyDict_SetItemString(row, "size", ns)) : -1;
        Py_XDECREF(nc);
        Py_XDECREF(ns);
        if (r < 0)
            goto error;
    }
    list = PyDict_Values(by);
    if (list && sort_desc(list, "size") < 0)
        Py_CLEAR(list);
error:
    Py_DECREF(by);
    return list;
}

PyObject *pym_garbage_report(PyObject *graph, Py_ssize_t *ncycles, Py_ssize_t *nuncollectable)
{
    PyObject *objects = PyObject_GetAttrString(graph, "objects"), *metadata = NULL, *members = NULL;
    PyObject *cycles = NULL, *types = NULL, *report = NULL;
    Py_ssize_t *cyc_of = NULL, *sizes_of_scc = NULL, in_cycles = 0, uncollectable = 0;
    long long total = 0;
    cgraph c;
    int have_c = 0;

    *ncycles = *nuncollectable = 0;
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
    members = PyList_New(c.n);
    if (members == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < c.n; i++) {
        PyObject *m = member(PyList_GET_ITEM(metadata, i), c.uncollect[i]);
        if (m == NULL || add_size(m, &total) < 0) {
            Py_XDECREF(m);
            goto done;
        }
        PyList_SET_ITEM(members, i, m);
        uncollectable += c.uncollect[i];
    }
    /* cycles: SCCs of >= 2 members, or a self-loop; numbered in SCC order */
    sizes_of_scc = calloc((size_t)c.nscc + 1, sizeof *sizes_of_scc);
    cyc_of = malloc(((size_t)c.nscc + 1) * sizeof *cyc_of);
    if (!sizes_of_scc || !cyc_of) {
        nomem();
        goto done;
    }
    for (Py_ssize_t i = 0; i < c.n; i++)
        sizes_of_scc[c.scc[i]]++;
    for (Py_ssize_t i = 0; i < c.n; i++)
        if (c.self_loop[i])
            sizes_of_scc[c.scc[i]] = sizes_of_scc[c.scc[i]] < 2 ? -1 : sizes_of_scc[c.scc[i]];
    cycles = PyList_New(0);
    if (cycles == NULL)
        goto done;
    for (int64_t s = 0; s < c.nscc; s++) {
        cyc_of[s] = -1;
        if (sizes_of_scc[s] >= 2 || sizes_of_scc[s] == -1) {
            PyObject *cy = Py_BuildValue("{sisisN}", "objects", 0, "size", 0, "members", PyList_New(0));
            if (cy == NULL || PyList_Append(cycles, cy) < 0) {
                Py_XDECREF(cy);
                goto done;
            }
            Py_DECREF(cy);
            cyc_of[s] = PyList_GET_SIZE(cycles) - 1;
        }
    }
    for (Py_ssize_t i = 0; i < c.n; i++) {
        Py_ssize_t k = cyc_of[c.scc[i]];
        if (k < 0)
            continue;
        PyObject *cy = PyList_GET_ITEM(cycles, k), *m = PyList_GET_ITEM(members, i);
        PyObject *lst = PyDict_GetItemString(cy, "members"); /* borrowed */
        long long sz = 0;
        if (lst == NULL || PyList_Append(lst, m) < 0 || add_size(m, &sz) < 0)
            goto done;
        PyObject *cnt = PyLong_FromSsize_t(PyList_GET_SIZE(lst));
        PyObject *old = PyDict_GetItemString(cy, "size");
        PyObject *nsz = cnt ? PyLong_FromLongLong(PyLong_AsLongLong(old) + sz) : NULL;
        int r = nsz ? (PyDict_SetItemString(cy, "objects", cnt) | PyDict_SetItemString(cy, "size", nsz)) : -1;
        Py_XDECREF(cnt);
        Py_XDECREF(nsz);
        if (r < 0)
            goto done;
        in_cycles++;
    }
    if (sort_desc(cycles, "size") < 0 || (types = type_counts(members)) == NULL)
        goto done;
    *ncycles = PyList_GET_SIZE(cycles);
    *nuncollectable = uncollectable;
    report = Py_BuildValue("{sis{snsLsnsnsn}sOsO}", "version", 1, "summary", "objects", c.n, "size", total,
                           "in_cycles", in_cycles, "cycles", *ncycles, "uncollectable", uncollectable, "types",
                           types, "cycles", cycles);
done:
    free(cyc_of);
    free(sizes_of_scc);
    if (have_c)
        cgraph_free(&c);
    Py_XDECREF(types);
    Py_XDECREF(cycles);
    Py_XDECREF(members);
    Py_XDECREF(metadata);
    Py_DECREF(objects);
    return report;
}

PyObject *pym_garbage_report_json(PyObject *report)
{
    PyObject *dumps = pym_import_attr("json", "dumps"), *args = NULL, *kw = NULL, *text = NULL, *nl = NULL;

    args = dumps ? PyTuple_Pack(1, report) : NULL;
    kw = args ? Py_BuildValue("{sisO}", "indent", 2, "sort_keys", Py_False) : NULL;
    text = kw ? PyObject_Call(dumps, args, kw) : NULL;
    nl = text ? PyUnicode_FromFormat("%U\n", text) : NULL;
    Py_XDECREF(text);
    Py_XDECREF(kw);
    Py_XDECREF(args);
    Py_XDECREF(dumps);
    return nl;
}

/* ---------------------------------------------------------------- text */

/* s for a terminal: control characters as '?', surrogates as U+FFFD, cut to
 * max characters with "..." -- padded with spaces to pad characters when pad
 * > 0. */
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
    return v ? PyLong_AsLongLong(v) : 0;
}

/* One row: "%8s %10s  TYPE(padded)  [REPR]" with numbers formatted in C. */
static int row(PyObject *lines, const char *left, PyObject *type, PyObject *repr)
{
    PyObject *t = clean(type, TEXT_TYPE_CHARS, repr ? TEXT_TYPE_CHARS : 0);
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

PyObject *pym_garbage_report_text(PyObject *report)
{
    PyObject *summary = PyDict_GetItemString(report, "summary"); /* borrowed */
    PyObject *types = PyDict_GetItemString(report, "types"), *cycles = PyDict_GetItemString(report, "cycles");
    PyObject *lines = PyList_New(0), *sep = NULL, *text = NULL;
    char buf[128];
    Py_ssize_t ncyc;

    if (lines == NULL || !summary || !types || !cycles)
        goto done;
    ncyc = PyList_GET_SIZE(cycles);
    if (line(lines, "Garbage: %lld objects, %lld bytes; %lld in %zd reference cycle%s; %lld uncollectable",
             get_ll(summary, "objects"), get_ll(summary, "size"), get_ll(summary, "in_cycles"), ncyc,
             ncyc == 1 ? "" : "s", get_ll(summary, "uncollectable")) < 0)
        goto done;
    if (PyList_GET_SIZE(types) > 0 && (line(lines, "") < 0 || line(lines, "   count       size  type") < 0))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(types) && i < TEXT_MAX_TYPES; i++) {
        PyObject *t = PyList_GET_ITEM(types, i);
        snprintf(buf, sizeof buf, "%8lld %10lld  ", get_ll(t, "count"), get_ll(t, "size"));
        if (row(lines, buf, PyDict_GetItemString(t, "type"), NULL) < 0)
            goto done;
    }
    if (PyList_GET_SIZE(types) > TEXT_MAX_TYPES &&
        line(lines, "   ... %zd more types", PyList_GET_SIZE(types) - TEXT_MAX_TYPES) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < ncyc && i < TEXT_MAX_CYCLES; i++) {
        PyObject *cy = PyList_GET_ITEM(cycles, i), *mem = PyDict_GetItemString(cy, "members");
        if (line(lines, "") < 0 ||
            line(lines, "Cycle %zd of %zd: %lld objects, %lld bytes", i + 1, ncyc, get_ll(cy, "objects"),
                 get_ll(cy, "size")) < 0)
            goto done;
        for (Py_ssize_t j = 0; mem && j < PyList_GET_SIZE(mem) && j < TEXT_MAX_MEMBERS; j++) {
            PyObject *m = PyList_GET_ITEM(mem, j);
            snprintf(buf, sizeof buf, "  0x%012llx %8lld%s ", (unsigned long long)get_ll(m, "id"), get_ll(m, "size"),
                     PyDict_GetItemString(m, "uncollectable") == Py_True ? " U" : "  ");
            if (row(lines, buf, PyDict_GetItemString(m, "type"), PyDict_GetItemString(m, "repr")) < 0)
                goto done;
        }
        if (mem && PyList_GET_SIZE(mem) > TEXT_MAX_MEMBERS &&
            line(lines, "  ... %zd more objects", PyList_GET_SIZE(mem) - TEXT_MAX_MEMBERS) < 0)
            goto done;
    }
    if (ncyc > TEXT_MAX_CYCLES &&
        line(lines, "\n... %zd more cycles (--format json lists them all)", ncyc - TEXT_MAX_CYCLES) < 0)
        goto done;
    if (line(lines, "") < 0)
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
