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
#include "ptrindex.h"
#include "wsize.h"

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

/* Build c from graph.objects and graph.edges. */
static int cgraph_build(cgraph *c, PyObject *graph, PyObject *objects)
{
    PyObject *edges = PyObject_GetAttrString(graph, "edges"), *it = NULL, *e;
    PyObject *s_src = PyUnicode_InternFromString("src"), *s_dst = PyUnicode_InternFromString("dst");
    pym_ptrindex *index = NULL;
    uint32_t *src = NULL, *dst = NULL;
    size_t m = 0, cap = 0;
    int rc = -1;

    memset(c, 0, sizeof *c);
    c->n = PyList_GET_SIZE(objects);
    if (edges == NULL || !s_src || !s_dst || (it = PyObject_GetIter(edges)) == NULL)
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
    pym_ptrindex_free(&index);
    Py_XDECREF(s_src);
    Py_XDECREF(s_dst);
    Py_XDECREF(edges);
    if (rc < 0)
        cgraph_free(c);
    return rc;
}

/* ---------------------------------------------------------------- the report dict */

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

/* {"id", "type", "size", "repr", "uncollectable"} of one object, from its
 * metadata; its size also in *size. */
static PyObject *member(PyObject *meta, int uncollectable, wide *size)
{
    PyObject *id = PyObject_GetAttrString(meta, "id"), *type = NULL, *sz = NULL, *str = NULL, *d = NULL;

    if (id && (type = PyObject_GetAttrString(meta, "type")) && (sz = PyObject_GetAttrString(meta, "size")) &&
        (str = PyObject_GetAttrString(meta, "str")) && wide_of(sz, size) == 0)
        d = Py_BuildValue("{sOsOsOsOsO}", "id", id, "type", type, "size", sz, "repr", str, "uncollectable",
                          uncollectable ? Py_True : Py_False);
    Py_XDECREF(id);
    Py_XDECREF(type);
    Py_XDECREF(sz);
    Py_XDECREF(str);
    return d;
}

/* The "types" list: [{"type", "count", "size"}], largest size first (ties in
 * the order the types first appear). */
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

/* The "cycles" list: the SCCs of two or more members, or of one referring to
 * itself, each {"objects", "size", "members"}, largest size first (ties in
 * SCC order).  *in_cycles: their members in all. */
static PyObject *cycle_list(const cgraph *c, PyObject *members, const wide *size, Py_ssize_t *in_cycles)
{
    size_t nscc = (size_t)c->nscc + 1;
    Py_ssize_t *nmem = calloc(nscc, sizeof *nmem), *cyc_of = malloc(nscc * sizeof *cyc_of), ncyc = 0;
    uint8_t *loop = calloc(nscc, 1);
    wide *csize = calloc(nscc, sizeof *csize);
    PyObject *lists = NULL, *cycles = NULL;

    *in_cycles = 0;
    if (!nmem || !cyc_of || !loop || !csize) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < c->n; i++) {
        nmem[c->scc[i]]++;
        loop[c->scc[i]] |= c->self_loop[i];
    }
    for (int64_t s = 0; s < c->nscc; s++)
        cyc_of[s] = nmem[s] >= 2 || loop[s] ? ncyc++ : -1;
    if ((lists = PyList_New(ncyc)) == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < ncyc; k++) {
        PyObject *l = PyList_New(0);
        if (l == NULL)
            goto done;
        PyList_SET_ITEM(lists, k, l);
    }
    for (Py_ssize_t i = 0; i < c->n; i++) {
        Py_ssize_t k = cyc_of[c->scc[i]];
        if (k < 0)
            continue;
        if (PyList_Append(PyList_GET_ITEM(lists, k), PyList_GET_ITEM(members, i)) < 0)
            goto done;
        csize[k] += size[i];
        ++*in_cycles;
    }
    if ((cycles = PyList_New(ncyc)) == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < ncyc; k++) {
        PyObject *l = PyList_GET_ITEM(lists, k);
        PyObject *cy = Py_BuildValue("{snsNsO}", "objects", PyList_GET_SIZE(l), "size", wide_long(csize[k]), "members", l);
        if (cy == NULL) {
            Py_CLEAR(cycles);
            goto done;
        }
        PyList_SET_ITEM(cycles, k, cy);
    }
    PyObject *key = PyUnicode_FromString("size");
    if (!key || pym_sort_by_item(cycles, key, 1) < 0)
        Py_CLEAR(cycles);
    Py_XDECREF(key);
done:
    free(nmem);
    free(cyc_of);
    free(loop);
    free(csize);
    Py_XDECREF(lists);
    return cycles;
}

PyObject *pym_garbage_report(PyObject *graph, Py_ssize_t *ncycles, Py_ssize_t *nuncollectable)
{
    PyObject *objects = PyObject_GetAttrString(graph, "objects"), *metadata = NULL, *members = NULL;
    PyObject *cycles = NULL, *types = NULL, *report = NULL;
    Py_ssize_t in_cycles = 0, uncollectable = 0;
    wide total = 0, *size = NULL;
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
    size = malloc(((size_t)c.n + 1) * sizeof *size);
    if (members == NULL || size == NULL) {
        if (!PyErr_Occurred())
            nomem();
        goto done;
    }
    for (Py_ssize_t i = 0; i < c.n; i++) {
        PyObject *m = member(PyList_GET_ITEM(metadata, i), c.uncollect[i], &size[i]);
        if (m == NULL)
            goto done;
        PyList_SET_ITEM(members, i, m);
        total += size[i];
        uncollectable += c.uncollect[i];
    }
    if ((cycles = cycle_list(&c, members, size, &in_cycles)) == NULL ||
        (types = type_counts(members, size)) == NULL)
        goto done;
    *ncycles = PyList_GET_SIZE(cycles);
    *nuncollectable = uncollectable;
    report = Py_BuildValue("{sis{snsNsnsnsn}sOsO}", "version", 1, "summary", "objects", c.n, "size", wide_long(total),
                           "in_cycles", in_cycles, "cycles", *ncycles, "uncollectable", uncollectable, "types",
                           types, "cycles", cycles);
done:
    free(size);
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
    return pym_json_text(report);
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
    char sz[48];
    if (line(lines, "Garbage: %lld objects, %s bytes; %lld in %zd reference cycle%s; %lld uncollectable",
             get_ll(summary, "objects"), get_size_text(summary, sz, sizeof sz), get_ll(summary, "in_cycles"), ncyc,
             ncyc == 1 ? "" : "s", get_ll(summary, "uncollectable")) < 0)
        goto done;
    if (PyList_GET_SIZE(types) > 0 && (line(lines, "") < 0 || line(lines, "   count       size  type") < 0))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(types) && i < TEXT_MAX_TYPES; i++) {
        PyObject *t = PyList_GET_ITEM(types, i);
        snprintf(buf, sizeof buf, "%8lld %10s  ", get_ll(t, "count"), get_size_text(t, sz, sizeof sz));
        if (row(lines, buf, PyDict_GetItemString(t, "type"), NULL) < 0)
            goto done;
    }
    if (PyList_GET_SIZE(types) > TEXT_MAX_TYPES &&
        line(lines, "   ... %zd more types", PyList_GET_SIZE(types) - TEXT_MAX_TYPES) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < ncyc && i < TEXT_MAX_CYCLES; i++) {
        PyObject *cy = PyList_GET_ITEM(cycles, i), *mem = PyDict_GetItemString(cy, "members");
        if (line(lines, "") < 0 ||
            line(lines, "Cycle %zd of %zd: %lld objects, %s bytes", i + 1, ncyc, get_ll(cy, "objects"),
                 get_size_text(cy, sz, sizeof sz)) < 0)
            goto done;
        for (Py_ssize_t j = 0; mem && j < PyList_GET_SIZE(mem) && j < TEXT_MAX_MEMBERS; j++) {
            PyObject *m = PyList_GET_ITEM(mem, j);
            snprintf(buf, sizeof buf, "  0x%012llx %8s%s ", (unsigned long long)get_ll(m, "id"), get_size_text(m, sz, sizeof sz),
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
