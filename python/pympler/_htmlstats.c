/* pympler._htmlstats: the pages of classtracker_stats.HtmlStats.create_html,
 * written in C (docs/classtracker.md, "HTML reports").
 *
 * The pages are Pympler 1.1's -- FNAME, and in FNAME's stem + "_files/" one
 * page per tracked class named as the class with '.' as '_' -- with the same
 * numbers in every table, as HTML5 with every name and repr escaped.  What
 * Pympler leaves out without matplotlib (and draws wrongly since matplotlib
 * 3.1) is drawn here as SVG by the engine (render/chart.c): on the index the
 * memory of every class over the snapshots, stacked, and each class's share;
 * on each class page the sizes of its largest instances over their
 * lifetimes, and the reference graph of its live instances and what they
 * refer to (the in-process Graphviz renderer).  Every file is written under a
 * temporary name and renamed when complete; the index comes last, so a failed
 * report leaves no index behind.
 *
 * Stats is read through its attributes (index, snapshots, tracked_classes,
 * annotate(), the tracked objects' name/id/repr/birth/death/trace/snapshots),
 * as Pympler's HtmlStats reads them.
 */
#include "chart.h"
#include "module.h"
#include "pyrt.h"
#include "render.h"
#include "strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

PyMODINIT_FUNC PyInit__htmlstats(void);

#define MAX_DETAILED 200   /* instances listed in full on a class page; the rest one line each */
#define MAX_LINES 20       /* instances drawn in a class's lifetime chart */
#define GRAPH_INSTANCES 20 /* live instances in a class's reference graph */
#define GRAPH_OBJECTS 150  /* objects in it at most (instances and their referents) */
#define GRAPH_DEPTH 2      /* referents followed from each instance */
#define GRAPH_FANOUT 8     /* referents followed from each object (a list of 1,000 would be a wall) */
#define REF_DEPTH 32       /* levels of referents in a table */

static const char style[] =
    "<style>\n"
    "body { font-family: 'DejaVu Sans', sans-serif; font-size: 14px; margin: 1em 2em; }\n"
    "table { border: 1px solid #000; border-spacing: 0; margin: 4px 0; }\n"
    "td, th { border: 0; padding: 1px 6px; vertical-align: top; }\n"
    "table.nb { border: 0; width: 100%; }\n"
    "table.tl { margin-top: 5mm; margin-bottom: 5mm; width: 100%; }\n"
    ".hl { background-color: #FFFFCC; }\n"
    ".num { text-align: right; }\n"
    ".p1 { padding-left: 5px; } .p2 { padding-left: 50px; } .p3 { padding-left: 100px; }\n"
    ".p4 { padding-left: 150px; } .p5 { padding-left: 200px; } .p6 { padding-left: 210px; }\n"
    ".p7 { padding-left: 220px; }\n"
    ".r1 { background-color: #BBBBBB; } .r2 { background-color: #CCCCCC; }\n"
    ".r3 { background-color: #DDDDDD; } .r4 { background-color: #EEEEEE; }\n"
    "img.chart { max-width: 100%; }\n"
    "pre { margin: 0; }\n"
    "p.note { color: #555; }\n"
    "</style>\n";

/* What a report needs from Python, looked up once. */
typedef struct {
    PyObject *pp, *pp_timestamp, *format_trace; /* stringutils.pp/pp_timestamp, classtracker_stats._format_trace */
    PyObject *files_dir;                        /* str: the _files folder */
    PyObject *files_rel;                        /* str: its name, relative to the index */
    char err[512];
} report;

/* ---- text ------------------------------------------------------------------ */

/* str(obj) escaped into b (max_chars > 0: cut as Pympler's trunc). */
static int put_esc(pym_strbuf *b, PyObject *obj, size_t max_chars)
{
    PyObject *s = PyUnicode_Check(obj) ? Py_NewRef(obj) : PyObject_Str(obj);
    if (!s)
        return -1;
    PyObject *u = PyUnicode_AsEncodedString(s, "utf-8", "replace");
    Py_DECREF(s);
    if (!u)
        return -1;
    pym_xml_escape_into(b, PyBytes_AS_STRING(u), (size_t)PyBytes_GET_SIZE(u), max_chars);
    Py_DECREF(u);
    return 0;
}

static int put_escs(pym_strbuf *b, const char *s)
{
    pym_xml_escape_into(b, s, strlen(s), 0);
    return 0;
}

/* f(v) escaped into b (pp, pp_timestamp). */
static int put_call(pym_strbuf *b, PyObject *f, PyObject *v)
{
    PyObject *s = PyObject_CallOneArg(f, v);
    if (!s)
        return -1;
    int r = put_esc(b, s, 0);
    Py_DECREF(s);
    return r;
}

static int put_pp_ll(pym_strbuf *b, const report *r, PyObject *num)
{
    return put_call(b, r->pp, num);
}

static PyObject *attr(PyObject *o, const char *name)
{
    return PyObject_GetAttrString(o, name);
}

/* list(o.name), new reference or NULL. */
static PyObject *list_attr(PyObject *o, const char *name)
{
    PyObject *v = attr(o, name);
    PyObject *l = v ? PySequence_List(v) : NULL;
    Py_XDECREF(v);
    return l;
}

/* ---- files ----------------------------------------------------------------- */

/* The buffer into path, under a temporary name renamed when complete. */
static int write_file(PyObject *path, const pym_strbuf *b)
{
    PyObject *tmp = PyUnicode_FromFormat("%U.tmp%d", path, (int)getpid()), *bp = NULL, *bt = NULL;
    int rc = -1;
    if (pym_strbuf_failed(b)) {
        PyErr_NoMemory();
        goto done;
    }
    if (!tmp || !PyUnicode_FSConverter(path, &bp) || !PyUnicode_FSConverter(tmp, &bt))
        goto done;
    FILE *f = fopen(PyBytes_AS_STRING(bt), "wb");
    if (!f || fwrite(b->data, 1, b->len, f) != b->len || fflush(f) != 0) {
        int e = errno;
        if (f)
            fclose(f);
        remove(PyBytes_AS_STRING(bt));
        errno = e;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        goto done;
    }
    if (fclose(f) != 0 || rename(PyBytes_AS_STRING(bt), PyBytes_AS_STRING(bp)) != 0) {
        int e = errno;
        remove(PyBytes_AS_STRING(bt));
        errno = e;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, path);
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(tmp);
    Py_XDECREF(bp);
    Py_XDECREF(bt);
    return rc;
}

static int write_text(PyObject *path, PyObject *text)
{
    PyObject *u = PyUnicode_AsEncodedString(text, "utf-8", "replace");
    if (!u)
        return -1;
    pym_strbuf b = {.data = PyBytes_AS_STRING(u), .len = (size_t)PyBytes_GET_SIZE(u)};
    int r = write_file(path, &b);
    Py_DECREF(u);
    return r;
}

/* A class's file stem: its name with '.' as '_' (Pympler's), and '/',
 * NUL and the other control characters as '_' too (Pympler would write
 * into another folder, or fail). */
static PyObject *class_stem(PyObject *name)
{
    PyObject *s = PyUnicode_Check(name) ? PyObject_CallMethod(name, "replace", "ss", ".", "_") : PyObject_Str(name);
    if (!s)
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int bad = 0;
    for (Py_ssize_t i = 0; i < n && !bad; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(s, i);
        bad = c == '/' || c < 0x20 || c == 0x7f || (c >= 0xd800 && c <= 0xdfff) || c == '.';
    }
    if (!bad && n > 0 && n <= 200)
        return s;
    /* rebuild: every unsafe character as '_', at most 200 */
    PyObject *out = PyUnicode_New(n < 200 ? (n ? n : 1) : 200, 0x10ffff);
    if (!out) {
        Py_DECREF(s);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(out); i++) {
        Py_UCS4 c = i < n ? PyUnicode_READ_CHAR(s, i) : '_';
        if (c == '/' || c < 0x20 || c == 0x7f || (c >= 0xd800 && c <= 0xdfff) || c == '.')
            c = '_';
        PyUnicode_WRITE(PyUnicode_KIND(out), PyUnicode_DATA(out), i, c);
    }
    Py_DECREF(s);
    return out;
}

/* A path segment in an href: UTF-8, every byte but A-Z a-z 0-9 . _ ~ - as
 * %XX (a '#', '?' or '%' in a class name would break the link). */
static int put_href(pym_strbuf *b, PyObject *seg)
{
    PyObject *u = PyUnicode_AsEncodedString(seg, "utf-8", "surrogatepass");
    if (!u)
        return -1;
    const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(u);
    for (Py_ssize_t i = 0; i < PyBytes_GET_SIZE(u); i++) {
        unsigned char c = p[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
            c == '~' || c == '-')
            pym_strbuf_append(b, (const char *)&c, 1);
        else
            pym_strbuf_printf(b, "%%%02X", c);
    }
    Py_DECREF(u);
    return 0;
}

static void page_head(pym_strbuf *b, PyObject *title)
{
    pym_strbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
    put_esc(b, title, 0);
    pym_strbuf_puts(b, "</title>\n");
    pym_strbuf_puts(b, style);
    pym_strbuf_puts(b, "</head><body>\n");
}

/* ---- charts ---------------------------------------------------------------- */

/* (times, series) of the classes' sums over the snapshots, for the index. */
static PyObject *class_series(PyObject *snapshots, PyObject *classes)
{
    PyObject *times = PyList_New(0), *series = PyList_New(0), *res = NULL;
    if (!times || !series)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(snapshots); i++) {
        PyObject *ts = attr(PyList_GET_ITEM(snapshots, i), "timestamp");
        if (!ts || PyList_Append(times, ts) < 0) {
            Py_XDECREF(ts);
            goto done;
        }
        Py_DECREF(ts);
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(classes); k++) {
        PyObject *name = PyList_GET_ITEM(classes, k), *vals = PyList_New(0), *pair;
        if (!vals)
            goto done;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(snapshots); i++) {
            PyObject *cl = attr(PyList_GET_ITEM(snapshots, i), "classes"), *v = NULL;
            if (!cl) {
                Py_DECREF(vals);
                goto done;
            }
            if (cl != Py_None && PyMapping_Check(cl)) {
                PyObject *entry = PyObject_GetItem(cl, name);
                if (entry) {
                    v = PyMapping_GetItemString(entry, "sum");
                    Py_DECREF(entry);
                } else if (PyErr_ExceptionMatches(PyExc_KeyError)) {
                    PyErr_Clear();
                }
            }
            Py_DECREF(cl);
            if (!v && PyErr_Occurred()) {
                Py_DECREF(vals);
                goto done;
            }
            int rc = PyList_Append(vals, v ? v : Py_None);
            Py_XDECREF(v);
            if (rc < 0) {
                Py_DECREF(vals);
                goto done;
            }
        }
        pair = PyTuple_Pack(2, name, vals);
        Py_DECREF(vals);
        if (!pair || PyList_Append(series, pair) < 0) {
            Py_XDECREF(pair);
            goto done;
        }
        Py_DECREF(pair);
    }
    res = PyTuple_Pack(2, times, series);
done:
    Py_XDECREF(times);
    Py_XDECREF(series);
    return res;
}

/* pympler.charts._chart_svg(kind, times, series, title=..., y_label=...) into files_dir/name. */
static int write_chart(const report *r, const char *name, const char *kind, PyObject *times, PyObject *series,
                       PyObject *title)
{
    PyObject *f = pym_module_attr("pympler.charts", "_chart_svg"), *svg = NULL, *path = NULL;
    int rc = -1;
    if (!f)
        return -1;
    PyObject *a = Py_BuildValue("(sOO)", kind, times, series);
    PyObject *kw = Py_BuildValue("{sOss}", "title", title, "y_label", "memory");
    svg = a && kw ? PyObject_Call(f, a, kw) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(kw);
    Py_DECREF(f);
    if (svg && (path = PyUnicode_FromFormat("%U/%s", r->files_dir, name)))
        rc = write_text(path, svg);
    Py_XDECREF(svg);
    Py_XDECREF(path);
    return rc;
}

static void put_img(pym_strbuf *b, const report *r, PyObject *rel_dir, const char *file, const char *alt)
{
    pym_strbuf_puts(b, "<img class=\"chart\" src=\"");
    if (rel_dir) {
        put_href(b, rel_dir);
        pym_strbuf_puts(b, "/");
    }
    (void)r;
    PyObject *f = PyUnicode_DecodeUTF8(file, (Py_ssize_t)strlen(file), "surrogateescape");
    if (f) {
        put_href(b, f);
        Py_DECREF(f);
    }
    pym_strbuf_puts(b, "\" alt=\"");
    put_escs(b, alt);
    pym_strbuf_puts(b, "\">\n");
}

/* ---- referents tables ------------------------------------------------------ */

/* The referents of an Asized, largest first (Pympler's: sorted by size, then
 * reversed), as a new list. */
static PyObject *sorted_refs(PyObject *asized)
{
    PyObject *refs = attr(asized, "refs"), *l = NULL, *key = NULL, *r;
    if (!refs)
        return NULL;
    l = PySequence_List(refs);
    Py_DECREF(refs);
    if (!l)
        return NULL;
    key = pym_module_attr("operator", "attrgetter");
    PyObject *by_size = key ? PyObject_CallFunction(key, "s", "size") : NULL;
    Py_XDECREF(key);
    PyObject *sort = by_size ? PyObject_GetAttrString(l, "sort") : NULL;
    PyObject *kw = sort ? Py_BuildValue("{sO}", "key", by_size) : NULL, *empty = kw ? PyTuple_New(0) : NULL;
    r = empty ? PyObject_Call(sort, empty, kw) : NULL;
    Py_XDECREF(by_size);
    Py_XDECREF(sort);
    Py_XDECREF(kw);
    Py_XDECREF(empty);
    if (!r || PyList_Reverse(l) < 0) {
        Py_XDECREF(r);
        Py_DECREF(l);
        return NULL;
    }
    Py_DECREF(r);
    return l;
}

/* Pympler's _print_refs: a row per referent above 0.1% of total, its own
 * referents below it, one level deeper (an explicit stack of lists). */
static int put_refs(pym_strbuf *b, const report *r, PyObject *asized, long long total)
{
    PyObject *stack[REF_DEPTH];
    Py_ssize_t pos[REF_DEPTH];
    int depth = 0, rc = -1;
    if (total <= 0)
        return 0;
    if (!(stack[0] = sorted_refs(asized)))
        return -1;
    pos[0] = 0;
    pym_strbuf_puts(b, "<table>\n");
    while (depth >= 0) {
        if (pos[depth] >= PyList_GET_SIZE(stack[depth])) {
            Py_DECREF(stack[depth]);
            depth--;
            continue;
        }
        PyObject *ref = PyList_GET_ITEM(stack[depth], pos[depth]++);
        PyObject *sz = attr(ref, "size"), *name = sz ? attr(ref, "name") : NULL;
        long long size = sz ? PyLong_AsLongLong(sz) : -1;
        if (!sz || !name || (size == -1 && PyErr_Occurred())) {
            Py_XDECREF(sz);
            Py_XDECREF(name);
            goto fail;
        }
        double pct = size * 100.0 / (double)total;
        if (size > 0 && pct > 0.1) {
            int level = depth + 1;
            pym_strbuf_printf(b, "<tr class=\"r%d\"><td class=\"p%d\">", level, level);
            if (put_esc(b, name, 128) < 0)
                goto fail_item;
            pym_strbuf_puts(b, "</td><td class=\"num\">");
            if (put_pp_ll(b, r, sz) < 0)
                goto fail_item;
            pym_strbuf_printf(b, "</td><td class=\"num\">%3.1f%%</td></tr>\n", pct);
            if (depth + 1 < REF_DEPTH) {
                PyObject *kids = sorted_refs(ref);
                if (!kids)
                    goto fail_item;
                stack[++depth] = kids;
                pos[depth] = 0;
            }
        }
        Py_DECREF(sz);
        Py_DECREF(name);
        continue;
    fail_item:
        Py_DECREF(sz);
        Py_DECREF(name);
        goto fail;
    }
    pym_strbuf_puts(b, "</table>\n");
    return 0;
fail:
    for (; depth >= 0; depth--)
        Py_DECREF(stack[depth]);
    return rc;
}

/* ---- the reference graph of a class's live instances ----------------------- */

/* The live instances (at most GRAPH_INSTANCES) and their referents GRAPH_DEPTH
 * levels deep (the first GRAPH_FANOUT of each), GRAPH_OBJECTS at most,
 * skipping types, modules and functions (they lead everywhere) and numbers,
 * strings and None (leaves that only widen the picture).  New list, or NULL. */
static PyObject *graph_objects(PyObject *tobjs)
{
    PyObject *objs = PyList_New(0), *seen = PySet_New(NULL), *get_referents = NULL;
    Py_ssize_t level_start = 0;
    if (!objs || !seen || !(get_referents = pym_module_attr("gc", "get_referents")))
        goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tobjs) && PyList_GET_SIZE(objs) < GRAPH_INSTANCES; i++) {
        PyObject *ref = attr(PyList_GET_ITEM(tobjs, i), "ref");
        if (!ref) {
            PyErr_Clear(); /* a loaded dump has no refs */
            continue;
        }
        PyObject *o = PyCallable_Check(ref) ? PyObject_CallNoArgs(ref) : NULL;
        Py_DECREF(ref);
        if (!o) {
            PyErr_Clear();
            continue;
        }
        PyObject *id = PyLong_FromVoidPtr(o);
        int fresh = id ? !PySet_Contains(seen, id) : -1;
        if (o != Py_None && fresh > 0 && (PySet_Add(seen, id) < 0 || PyList_Append(objs, o) < 0))
            fresh = -1;
        Py_XDECREF(id);
        Py_DECREF(o);
        if (fresh < 0)
            goto fail;
    }
    for (int d = 0; d < GRAPH_DEPTH; d++) {
        Py_ssize_t end = PyList_GET_SIZE(objs);
        for (Py_ssize_t i = level_start; i < end && PyList_GET_SIZE(objs) < GRAPH_OBJECTS; i++) {
            PyObject *refs = PyObject_CallOneArg(get_referents, PyList_GET_ITEM(objs, i));
            if (!refs)
                goto fail;
            for (Py_ssize_t j = 0; j < PyList_GET_SIZE(refs) && PyList_GET_SIZE(objs) < GRAPH_OBJECTS; j++) {
                PyObject *o = PyList_GET_ITEM(refs, j), *id;
                if (j >= GRAPH_FANOUT)
                    break;
                if (PyType_Check(o) || PyModule_Check(o) || PyFunction_Check(o) || PyCFunction_Check(o) ||
                    PyLong_Check(o) || PyFloat_Check(o) || PyUnicode_Check(o) || PyBytes_Check(o) || o == Py_None)
                    continue;
                if (!(id = PyLong_FromVoidPtr(o)))
                    break;
                int fresh = !PySet_Contains(seen, id);
                if (fresh && (PySet_Add(seen, id) < 0 || PyList_Append(objs, o) < 0))
                    fresh = -1;
                Py_DECREF(id);
                if (fresh < 0)
                    break;
            }
            Py_DECREF(refs);
            if (PyErr_Occurred())
                goto fail;
        }
        level_start = end;
    }
    Py_DECREF(seen);
    Py_DECREF(get_referents);
    return objs;
fail:
    Py_XDECREF(objs);
    Py_XDECREF(seen);
    Py_XDECREF(get_referents);
    return NULL;
}

/* ReferenceGraph(objs, reduce)'s SVG into files_dir/<stem><suffix>; 1 when
 * written, 0 when there is nothing to draw (reduce: no cycle), -1. */
static int write_one_graph(const report *r, PyObject *objs, int reduce, PyObject *stem, const char *suffix)
{
    PyObject *ctor = NULL, *g = NULL, *svg = NULL, *path = NULL, *kwr = NULL, *a1 = NULL, *gobjs = NULL;
    int rc = -1;
    if ((ctor = pym_module_attr("pympler.refgraph", "ReferenceGraph")) && (a1 = PyTuple_Pack(1, objs)) &&
        (kwr = Py_BuildValue("{sO}", "reduce", reduce ? Py_True : Py_False)) && (g = PyObject_Call(ctor, a1, kwr)) &&
        (gobjs = attr(g, "objects"))) {
        int any = PyObject_IsTrue(gobjs);
        if (any <= 0) {
            rc = any;
            goto done;
        }
        PyObject *m = attr(g, "render_bytes"), *a = Py_BuildValue("(s)", "svg");
        PyObject *kw = Py_BuildValue("{sdsO}", "aspect", 1.5, "annotate", Py_True);
        svg = m && a && kw ? PyObject_Call(m, a, kw) : NULL;
        Py_XDECREF(m);
        Py_XDECREF(a);
        Py_XDECREF(kw);
    }
    if (svg && PyBytes_Check(svg) && (path = PyUnicode_FromFormat("%U/%U%s", r->files_dir, stem, suffix))) {
        pym_strbuf b = {.data = PyBytes_AS_STRING(svg), .len = (size_t)PyBytes_GET_SIZE(svg)};
        rc = write_file(path, &b) < 0 ? -1 : 1;
    } else if (svg) {
        rc = 0; /* render_bytes gave False: nothing to draw */
    }
done:
    Py_XDECREF(a1);
    Py_XDECREF(kwr);
    Py_XDECREF(gobjs);
    Py_XDECREF(ctor);
    Py_XDECREF(g);
    Py_XDECREF(svg);
    Py_XDECREF(path);
    return rc;
}

/* The live instances' graph (-graph.svg) and the reference cycles among its
 * objects (-cycles.svg, ReferenceGraph(reduce=True)): bit 1 and bit 2 of
 * what was drawn, or -1. */
static int write_graph(const report *r, PyObject *tobjs, PyObject *stem)
{
    PyObject *objs = graph_objects(tobjs);
    int drawn = 0, one, two;
    if (!objs)
        return -1;
    if (PyList_GET_SIZE(objs) > 0) {
        one = write_one_graph(r, objs, 0, stem, "-graph.svg");
        two = one > 0 ? write_one_graph(r, objs, 1, stem, "-cycles.svg") : 0;
        drawn = one < 0 || two < 0 ? -1 : (one > 0) | (two > 0 ? 2 : 0);
    }
    Py_DECREF(objs);
    return drawn;
}

/* ---- a class page ---------------------------------------------------------- */

static long long ll_attr(PyObject *o, const char *name, int *ok)
{
    PyObject *v = attr(o, name);
    long long r = v && v != Py_None ? PyLong_AsLongLong(v) : 0;
    if (!v || (r == -1 && PyErr_Occurred()))
        *ok = 0;
    Py_XDECREF(v);
    return r;
}

/* The sizes of one instance at the snapshot times (None outside its life):
 * its line in the lifetime chart. */
static PyObject *instance_line(PyObject *tobj, PyObject *times)
{
    PyObject *vals = PyList_New(0), *birth = attr(tobj, "birth"), *death = birth ? attr(tobj, "death") : NULL;
    if (!vals || !death)
        goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(times); i++) {
        PyObject *t = PyList_GET_ITEM(times, i), *v;
        int alive = PyObject_RichCompareBool(t, birth, Py_GE);
        if (alive > 0 && death != Py_None)
            alive = PyObject_RichCompareBool(t, death, Py_LT);
        if (alive < 0)
            goto fail;
        v = alive ? PyObject_CallMethod(tobj, "get_size_at_time", "O", t) : Py_NewRef(Py_None);
        if (!v || PyList_Append(vals, v) < 0) {
            Py_XDECREF(v);
            goto fail;
        }
        Py_DECREF(v);
    }
    Py_DECREF(birth);
    Py_DECREF(death);
    return vals;
fail:
    Py_XDECREF(vals);
    Py_XDECREF(birth);
    Py_XDECREF(death);
    return NULL;
}

/* The instances sorted by their largest size, largest first (new list). */
static PyObject *by_max_size(PyObject *tobjs)
{
    PyObject *l = PySequence_List(tobjs), *key = NULL, *r = NULL;
    if (!l)
        return NULL;
    key = pym_module_attr("operator", "methodcaller");
    PyObject *caller = key ? PyObject_CallFunction(key, "s", "get_max_size") : NULL;
    Py_XDECREF(key);
    PyObject *sort = caller ? PyObject_GetAttrString(l, "sort") : NULL;
    PyObject *kw = sort ? Py_BuildValue("{sOsO}", "key", caller, "reverse", Py_True) : NULL;
    PyObject *empty = kw ? PyTuple_New(0) : NULL;
    r = empty ? PyObject_Call(sort, empty, kw) : NULL;
    Py_XDECREF(caller);
    Py_XDECREF(sort);
    Py_XDECREF(kw);
    Py_XDECREF(empty);
    if (!r) {
        Py_DECREF(l);
        return NULL;
    }
    Py_DECREF(r);
    return l;
}

static int put_instance(pym_strbuf *b, const report *r, PyObject *tobj)
{
    PyObject *name = attr(tobj, "name"), *repr = NULL, *birth = NULL, *death = NULL, *trace = NULL, *snaps = NULL;
    int ok = 1, rc = -1;
    long long id = name ? ll_attr(tobj, "id", &ok) : 0;
    if (!name || !ok || !(repr = attr(tobj, "repr")) || !(birth = attr(tobj, "birth")) ||
        !(death = attr(tobj, "death")) || !(trace = attr(tobj, "trace")) || !(snaps = attr(tobj, "snapshots")))
        goto done;
    pym_strbuf_puts(b, "<table class=\"tl\">\n<tr><td class=\"hl\" style=\"width:140px\">Instance</td><td class=\"hl\">");
    if (put_esc(b, name, 0) < 0)
        goto done;
    pym_strbuf_printf(b, " at 0x%08llx</td></tr>\n", (unsigned long long)id);
    int has_repr = PyObject_IsTrue(repr);
    if (has_repr < 0)
        goto done;
    if (has_repr) {
        pym_strbuf_puts(b, "<tr><td>Representation</td><td>");
        if (put_esc(b, repr, 0) < 0)
            goto done;
        pym_strbuf_puts(b, "&nbsp;</td></tr>\n");
    }
    pym_strbuf_puts(b, "<tr><td>Lifetime</td><td>");
    if (put_call(b, r->pp_timestamp, birth) < 0)
        goto done;
    pym_strbuf_puts(b, " - ");
    if (put_call(b, r->pp_timestamp, death) < 0)
        goto done;
    pym_strbuf_puts(b, "</td></tr>\n");
    int has_trace = PyObject_IsTrue(trace);
    if (has_trace < 0)
        goto done;
    if (has_trace && r->format_trace) {
        pym_strbuf_puts(b, "<tr><td>Instantiation</td><td><pre>");
        if (put_call(b, r->format_trace, trace) < 0)
            goto done;
        pym_strbuf_puts(b, "</pre></td></tr>\n");
    }
    PyObject *it = PyObject_GetIter(snaps), *pair;
    if (!it)
        goto done;
    while ((pair = PyIter_Next(it))) {
        PyObject *ts = PySequence_GetItem(pair, 0), *size = ts ? PySequence_GetItem(pair, 1) : NULL;
        PyObject *sz = size ? attr(size, "size") : NULL, *refs = sz ? attr(size, "refs") : NULL;
        int bad = !refs, has_refs = refs ? PyObject_IsTrue(refs) : -1;
        if (!bad && has_refs >= 0) {
            pym_strbuf_puts(b, "<tr><td>");
            bad = put_call(b, r->pp_timestamp, ts) < 0;
            pym_strbuf_puts(b, "</td><td>");
            bad = bad || put_pp_ll(b, r, sz) < 0;
            if (!bad && has_refs) {
                long long total = PyLong_AsLongLong(sz);
                bad = (total == -1 && PyErr_Occurred()) || put_refs(b, r, size, total) < 0;
            }
            pym_strbuf_puts(b, "</td></tr>\n");
        }
        Py_XDECREF(ts);
        Py_XDECREF(size);
        Py_XDECREF(sz);
        Py_XDECREF(refs);
        Py_DECREF(pair);
        if (bad || has_refs < 0) {
            Py_DECREF(it);
            goto done;
        }
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        goto done;
    pym_strbuf_puts(b, "</table>\n");
    rc = 0;
done:
    Py_XDECREF(name);
    Py_XDECREF(repr);
    Py_XDECREF(birth);
    Py_XDECREF(death);
    Py_XDECREF(trace);
    Py_XDECREF(snaps);
    return rc;
}

/* One line of an instance beyond MAX_DETAILED. */
static int put_instance_line(pym_strbuf *b, const report *r, PyObject *tobj)
{
    PyObject *name = attr(tobj, "name"), *birth = NULL, *death = NULL, *max = NULL;
    int ok = 1, rc = -1;
    long long id = name ? ll_attr(tobj, "id", &ok) : 0;
    if (!name || !ok || !(birth = attr(tobj, "birth")) || !(death = attr(tobj, "death")) ||
        !(max = PyObject_CallMethod(tobj, "get_max_size", NULL)))
        goto done;
    pym_strbuf_puts(b, "<tr><td>");
    if (put_esc(b, name, 0) < 0)
        goto done;
    pym_strbuf_printf(b, " at 0x%08llx</td><td>", (unsigned long long)id);
    if (put_call(b, r->pp_timestamp, birth) < 0)
        goto done;
    pym_strbuf_puts(b, " - ");
    if (put_call(b, r->pp_timestamp, death) < 0)
        goto done;
    pym_strbuf_puts(b, "</td><td class=\"num\">");
    if (put_pp_ll(b, r, max) < 0)
        goto done;
    pym_strbuf_puts(b, "</td></tr>\n");
    rc = 0;
done:
    Py_XDECREF(name);
    Py_XDECREF(birth);
    Py_XDECREF(death);
    Py_XDECREF(max);
    return rc;
}

static int class_page(report *r, PyObject *stats, PyObject *classname, PyObject *snapshots, PyObject *times,
                      PyObject *index_name)
{
    PyObject *index = attr(stats, "index"), *tobjs = NULL, *stem = NULL, *sorted = NULL, *series = NULL;
    PyObject *path = NULL, *title = NULL;
    pym_strbuf b;
    int rc = -1;
    pym_strbuf_init(&b);
    PyObject *items = index ? PyObject_GetItem(index, classname) : NULL;
    tobjs = items ? PySequence_List(items) : NULL;
    Py_XDECREF(items);
    if (!tobjs || !(stem = class_stem(classname)) || !(sorted = by_max_size(tobjs)))
        goto done;
    Py_ssize_t n = PyList_GET_SIZE(tobjs);
    page_head(&b, classname);
    pym_strbuf_puts(&b, "<p><a href=\"../");
    put_href(&b, index_name);
    pym_strbuf_puts(&b, "\">&larr; all classes</a></p>\n<h1>");
    put_esc(&b, classname, 0);
    pym_strbuf_puts(&b, "</h1>\n");
    if (n > 0) {
        /* Pympler's summary: count, average, min and max of the largest sizes */
        long long total = 0, mn = 0, mx = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *m = PyObject_CallMethod(PyList_GET_ITEM(tobjs, i), "get_max_size", NULL);
            long long v = m ? PyLong_AsLongLong(m) : -1;
            Py_XDECREF(m);
            if (v == -1 && PyErr_Occurred())
                goto done;
            total += v;
            mn = i == 0 || v < mn ? v : mn;
            mx = i == 0 || v > mx ? v : mx;
        }
        PyObject *avg = PyFloat_FromDouble((double)total / (double)n), *lo = PyLong_FromLongLong(mn),
                 *hi = PyLong_FromLongLong(mx);
        int bad = !avg || !lo || !hi;
        if (!bad) {
            pym_strbuf_printf(&b, "<p>%zd instances of ", n);
            bad = put_esc(&b, classname, 0) < 0;
            pym_strbuf_puts(&b, " were registered. The average size is ");
            bad = bad || put_pp_ll(&b, r, avg) < 0;
            pym_strbuf_puts(&b, ", the minimal size is ");
            bad = bad || put_pp_ll(&b, r, lo) < 0;
            pym_strbuf_puts(&b, ", the maximum size is ");
            bad = bad || put_pp_ll(&b, r, hi) < 0;
            pym_strbuf_puts(&b, ".</p>\n");
        }
        Py_XDECREF(avg);
        Py_XDECREF(lo);
        Py_XDECREF(hi);
        if (bad)
            goto done;
    } else {
        pym_strbuf_puts(&b, "<p>No instance of this class was registered.</p>\n");
    }

    /* the largest instances' sizes over their lifetimes */
    if (n > 0 && PyList_GET_SIZE(times) > 0) {
        if (!(series = PyList_New(0)))
            goto done;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(sorted) && i < MAX_LINES; i++) {
            PyObject *t = PyList_GET_ITEM(sorted, i), *name = attr(t, "name"), *line = NULL, *label = NULL, *pair = NULL;
            int ok = 1;
            long long id = name ? ll_attr(t, "id", &ok) : 0;
            if (name && ok && (line = instance_line(t, times)))
                label = PyUnicode_FromFormat("%S at 0x%llx", name, (unsigned long long)id);
            if (label)
                pair = PyTuple_Pack(2, label, line);
            Py_XDECREF(name);
            Py_XDECREF(line);
            Py_XDECREF(label);
            if (!pair || PyList_Append(series, pair) < 0) {
                Py_XDECREF(pair);
                goto done;
            }
            Py_DECREF(pair);
        }
        PyObject *file = PyUnicode_FromFormat("%U-lt.svg", stem), *ct = NULL;
        const char *fname = file ? PyUnicode_AsUTF8(file) : NULL;
        if (fname)
            ct = PyUnicode_FromFormat("Sizes of the %s %zd instances of %U over their lifetimes",
                                      n > MAX_LINES ? "largest" : "", n > MAX_LINES ? (Py_ssize_t)MAX_LINES : n,
                                      classname);
        int bad = !ct || write_chart(r, fname, "lines", times, series, ct) < 0;
        if (!bad) {
            pym_strbuf_puts(&b, "<h2>Instance sizes over time</h2>\n");
            put_img(&b, r, NULL, fname, "instance sizes over time");
        }
        Py_XDECREF(file);
        Py_XDECREF(ct);
        if (bad)
            goto done;
    }

    /* Pympler's coalesced referents of each snapshot */
    pym_strbuf_puts(&b, "<h2>Coalesced Referents per Snapshot</h2>\n");
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(snapshots); i++) {
        PyObject *snap = PyList_GET_ITEM(snapshots, i), *classes = attr(snap, "classes"), *entry = NULL;
        PyObject *merged = NULL, *msize = NULL, *mrefs = NULL, *desc = NULL;
        int bad = !classes;
        if (!bad && classes != Py_None && PyMapping_Check(classes)) {
            entry = PyObject_GetItem(classes, classname);
            if (!entry && PyErr_ExceptionMatches(PyExc_KeyError))
                PyErr_Clear();
            bad = !entry && PyErr_Occurred();
        }
        if (entry && !bad) {
            bad = !(merged = PyMapping_GetItemString(entry, "merged")) || !(msize = attr(merged, "size")) ||
                  !(mrefs = attr(merged, "refs")) || !(desc = attr(snap, "desc"));
            if (!bad) {
                pym_strbuf_puts(&b, "<h3>Snapshot: ");
                bad = put_esc(&b, desc, 0) < 0;
                pym_strbuf_puts(&b, ", ");
                bad = bad || put_pp_ll(&b, r, msize) < 0;
                pym_strbuf_puts(&b, " occupied by instances of class ");
                bad = bad || put_esc(&b, classname, 0) < 0;
                pym_strbuf_puts(&b, "</h3>\n");
                int has = bad ? -1 : PyObject_IsTrue(mrefs);
                if (has > 0) {
                    long long total = PyLong_AsLongLong(msize);
                    bad = (total == -1 && PyErr_Occurred()) || put_refs(&b, r, merged, total) < 0;
                } else if (has == 0) {
                    pym_strbuf_puts(&b, "<p>No per-referent sizes recorded.</p>\n");
                } else {
                    bad = 1;
                }
            }
        }
        Py_XDECREF(classes);
        Py_XDECREF(entry);
        Py_XDECREF(merged);
        Py_XDECREF(msize);
        Py_XDECREF(mrefs);
        Py_XDECREF(desc);
        if (bad)
            goto done;
    }

    /* the reference graph of the live instances */
    int drawn = write_graph(r, sorted, stem);
    if (drawn < 0)
        goto done;
    pym_strbuf_puts(&b, "<h2>References of the live instances</h2>\n");
    if (drawn) {
        PyObject *file = PyUnicode_FromFormat("%U-graph.svg", stem);
        const char *fname = file ? PyUnicode_AsUTF8(file) : NULL;
        if (!fname) {
            Py_XDECREF(file);
            goto done;
        }
        pym_strbuf_printf(&b, "<p class=\"note\">The %s live instances (at most %d, the largest first) and what they "
                              "refer to, %d references deep (at most %d from each object); types, modules, functions, "
                              "numbers and strings left out.</p>\n",
                          n > GRAPH_INSTANCES ? "largest" : "", GRAPH_INSTANCES, GRAPH_DEPTH, GRAPH_FANOUT);
        put_img(&b, r, NULL, fname, "reference graph");
        Py_DECREF(file);
        if (drawn & 2) {
            pym_strbuf_puts(&b, "<h3>Reference cycles among them</h3>\n<p class=\"note\">The objects above that "
                                "are on a reference cycle (ReferenceGraph(reduce=True)): the garbage collector, "
                                "not reference counting, frees them.</p>\n");
            if (!(file = PyUnicode_FromFormat("%U-cycles.svg", stem)) || !(fname = PyUnicode_AsUTF8(file))) {
                Py_XDECREF(file);
                goto done;
            }
            put_img(&b, r, NULL, fname, "reference cycles");
            Py_DECREF(file);
        }
    } else {
        pym_strbuf_puts(&b, "<p>No instance is alive now.</p>\n");
    }

    /* Pympler's instances, the largest MAX_DETAILED in full */
    pym_strbuf_puts(&b, "<h2>Instances</h2>\n");
    for (Py_ssize_t i = 0; i < n && i < MAX_DETAILED; i++)
        if (put_instance(&b, r, PyList_GET_ITEM(n > MAX_DETAILED ? sorted : tobjs, i)) < 0)
            goto done;
    if (n > MAX_DETAILED) {
        pym_strbuf_printf(&b, "<h3>%zd more instances</h3>\n<table class=\"tl\">\n<tr><th>Instance</th>"
                              "<th>Lifetime</th><th class=\"num\">Largest size</th></tr>\n",
                          n - MAX_DETAILED);
        for (Py_ssize_t i = MAX_DETAILED; i < n; i++)
            if (put_instance_line(&b, r, PyList_GET_ITEM(sorted, i)) < 0)
                goto done;
        pym_strbuf_puts(&b, "</table>\n");
    }
    pym_strbuf_puts(&b, "</body></html>\n");
    if (!(path = PyUnicode_FromFormat("%U/%U.html", r->files_dir, stem)) || write_file(path, &b) < 0)
        goto done;
    rc = 0;
done:
    pym_strbuf_free(&b);
    Py_XDECREF(index);
    Py_XDECREF(tobjs);
    Py_XDECREF(stem);
    Py_XDECREF(sorted);
    Py_XDECREF(series);
    Py_XDECREF(path);
    Py_XDECREF(title);
    return rc;
}

/* ---- the index ------------------------------------------------------------- */

static int index_page(report *r, PyObject *fname, PyObject *title, PyObject *snapshots, PyObject *classes,
                      int charts)
{
    pym_strbuf b;
    int rc = -1;
    pym_strbuf_init(&b);
    page_head(&b, title);
    pym_strbuf_puts(&b, "<h1>");
    put_esc(&b, title, 0);
    pym_strbuf_puts(&b, "</h1>\n");
    if (PyList_GET_SIZE(snapshots) == 0)
        pym_strbuf_puts(&b, "<p>No snapshots were taken: ClassTracker.create_snapshot() (or "
                            "start_periodic_snapshots()) records what the tracked classes use.</p>\n");
    if (charts) {
        pym_strbuf_puts(&b, "<h2>Memory distribution over time</h2>\n");
        put_img(&b, r, r->files_rel, "timespace.svg", "memory of the tracked classes over time");
        put_img(&b, r, r->files_rel, "share.svg", "share of each tracked class over time");
    }
    pym_strbuf_puts(&b, "<h2>Snapshots statistics</h2>\n<table class=\"nb\">\n");
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(snapshots); i++) {
        PyObject *snap = PyList_GET_ITEM(snapshots, i);
        PyObject *desc = attr(snap, "desc"), *ts = desc ? attr(snap, "timestamp") : NULL;
        PyObject *sys = ts ? attr(snap, "system_total") : NULL, *vsz = NULL, *tracked = NULL, *asz = NULL;
        PyObject *over = NULL, *cls = NULL;
        int bad = !sys;
        if (!bad) {
            vsz = sys != Py_None ? attr(sys, "vsz") : PyLong_FromLong(0);
            tracked = attr(snap, "tracked_total");
            asz = attr(snap, "asizeof_total");
            over = PyObject_GetAttrString(snap, "overhead");
            if (!over && PyErr_ExceptionMatches(PyExc_AttributeError)) {
                PyErr_Clear();
                over = PyLong_FromLong(0);
            }
            cls = attr(snap, "classes");
            bad = !vsz || !tracked || !asz || !over || !cls;
        }
        if (!bad) {
            int has_desc = PyObject_IsTrue(desc);
            pym_strbuf_puts(&b, "<tr><td>\n<h3>");
            bad = has_desc < 0 || (has_desc ? put_esc(&b, desc, 0) : put_escs(&b, "Untitled")) < 0;
            pym_strbuf_puts(&b, " snapshot at ");
            bad = bad || put_call(&b, r->pp_timestamp, ts) < 0;
            pym_strbuf_puts(&b, "</h3>\n<p>Total virtual memory assigned to the program at that time was ");
            bad = bad || put_pp_ll(&b, r, vsz) < 0;
            pym_strbuf_puts(&b, ", which includes ");
            bad = bad || put_pp_ll(&b, r, over) < 0;
            pym_strbuf_puts(&b, " profiling overhead. The ClassTracker tracked ");
            bad = bad || put_pp_ll(&b, r, tracked) < 0;
            pym_strbuf_puts(&b, " in total. The measurable objects including code objects but excluding "
                                "overhead have a total size of ");
            bad = bad || put_pp_ll(&b, r, asz) < 0;
            pym_strbuf_puts(&b, ".</p>\n");
        }
        int any = bad ? 0 : PyObject_IsTrue(tracked);
        if (!bad && any > 0 && cls != Py_None) {
            pym_strbuf_puts(&b, "<table class=\"tl\">\n<tr><th class=\"hl\">Class</th><th class=\"hl num\">Instance #</th>"
                                "<th class=\"hl num\">Total</th><th class=\"hl num\">Average size</th>"
                                "<th class=\"hl num\">Share</th></tr>\n");
            for (Py_ssize_t k = 0; !bad && k < PyList_GET_SIZE(classes); k++) {
                PyObject *name = PyList_GET_ITEM(classes, k), *info = PyObject_GetItem(cls, name);
                PyObject *active = NULL, *sum = NULL, *avg = NULL, *pct = NULL, *stem = NULL;
                if (!info) {
                    bad = 1;
                    break;
                }
                active = PyMapping_GetItemString(info, "active");
                sum = active ? PyMapping_GetItemString(info, "sum") : NULL;
                avg = sum ? PyMapping_GetItemString(info, "avg") : NULL;
                pct = avg ? PyMapping_GetItemString(info, "pct") : NULL;
                stem = pct ? class_stem(name) : NULL;
                double p = pct ? PyFloat_AsDouble(pct) : -1;
                long long a = active ? PyLong_AsLongLong(active) : -1;
                bad = !stem || PyErr_Occurred();
                if (!bad) {
                    /* Pympler's relative link: <a href="FNAME_files/Class.html"> */
                    pym_strbuf_puts(&b, "<tr><td><a href=\"");
                    bad = put_href(&b, r->files_rel) < 0;
                    pym_strbuf_puts(&b, "/");
                    bad = bad || put_href(&b, stem) < 0;
                    pym_strbuf_puts(&b, ".html\">");
                    bad = bad || put_esc(&b, name, 0) < 0;
                    pym_strbuf_printf(&b, "</a></td><td class=\"num\">%lld</td><td class=\"num\">", a);
                    bad = bad || put_pp_ll(&b, r, sum) < 0;
                    pym_strbuf_puts(&b, "</td><td class=\"num\">");
                    bad = bad || put_pp_ll(&b, r, avg) < 0;
                    pym_strbuf_printf(&b, "</td><td class=\"num\">%3.2f%%</td></tr>\n", p);
                }
                Py_DECREF(info);
                Py_XDECREF(active);
                Py_XDECREF(sum);
                Py_XDECREF(avg);
                Py_XDECREF(pct);
                Py_XDECREF(stem);
            }
            pym_strbuf_puts(&b, "</table>\n");
        }
        if (any < 0)
            bad = 1;
        pym_strbuf_puts(&b, "</td></tr>\n");
        Py_XDECREF(desc);
        Py_XDECREF(ts);
        Py_XDECREF(sys);
        Py_XDECREF(vsz);
        Py_XDECREF(tracked);
        Py_XDECREF(asz);
        Py_XDECREF(over);
        Py_XDECREF(cls);
        if (bad)
            goto done;
    }
    pym_strbuf_puts(&b, "</table>\n</body></html>\n");
    rc = write_file(fname, &b);
done:
    pym_strbuf_free(&b);
    return rc;
}

/* create_html(stats, fname, title='ClassTracker Statistics') */
static PyObject *hs_create_html(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"stats", "fname", "title", NULL};
    PyObject *stats, *fname_arg, *title = NULL, *fname = NULL, *os_path = NULL, *snapshots = NULL, *classes = NULL;
    PyObject *series = NULL, *index_name = NULL, *bytes = NULL, *r = NULL, *res = NULL;
    report rep = {0};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO|U:create_html", kwlist, &stats, &fname_arg, &title))
        return NULL;
    if (!(fname = PyOS_FSPath(fname_arg)) || !PyUnicode_Check(fname)) {
        if (fname)
            PyErr_Format(PyExc_TypeError, "create_html() needs a file name as str, not %.100s",
                         Py_TYPE(fname)->tp_name);
        goto done;
    }
    if (!title && !(title = PyUnicode_FromString("ClassTracker Statistics")))
        goto done;
    else
        Py_INCREF(title);
    if (!(os_path = PyImport_ImportModule("os.path")))
        goto done;
    /* FNAME's stem + "_files", beside FNAME; linked by its name relative to FNAME */
    PyObject *split = PyObject_CallMethod(os_path, "splitext", "O", fname);
    if (!split)
        goto done;
    rep.files_dir = PyUnicode_FromFormat("%U_files", PyTuple_GET_ITEM(split, 0));
    Py_DECREF(split);
    PyObject *base = rep.files_dir ? PyObject_CallMethod(os_path, "basename", "O", rep.files_dir) : NULL;
    rep.files_rel = base;
    if (!rep.files_rel || !(index_name = PyObject_CallMethod(os_path, "basename", "O", fname)))
        goto done;
    if (!PyUnicode_FSConverter(rep.files_dir, &bytes))
        goto done;
    if (mkdir(PyBytes_AS_STRING(bytes), 0777) != 0 && errno != EEXIST) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, rep.files_dir);
        goto done;
    }
    if (!(rep.pp = pym_module_attr("pympler.util.stringutils", "pp")) ||
        !(rep.pp_timestamp = pym_module_attr("pympler.util.stringutils", "pp_timestamp")))
        goto done;
    rep.format_trace = pym_module_attr("pympler.classtracker_stats", "_format_trace");
    if (!rep.format_trace)
        PyErr_Clear(); /* traces are then left out */

    /* Pympler annotates every snapshot first */
    if (!(r = PyObject_CallMethod(stats, "annotate", NULL)))
        goto done;
    if (!(snapshots = list_attr(stats, "snapshots")) || !(classes = list_attr(stats, "tracked_classes")))
        goto done;
    int charts = PyList_GET_SIZE(snapshots) > 0 && PyList_GET_SIZE(classes) > 0;
    if (charts) {
        if (!(series = class_series(snapshots, classes)))
            goto done;
        PyObject *t1 = PyUnicode_FromString("Memory of the tracked classes"), *t2 = PyUnicode_FromString("Share of each tracked class");
        int bad = !t1 || !t2 || write_chart(&rep, "timespace.svg", "stacked", PyTuple_GET_ITEM(series, 0),
                                            PyTuple_GET_ITEM(series, 1), t1) < 0 ||
                  write_chart(&rep, "share.svg", "share", PyTuple_GET_ITEM(series, 0), PyTuple_GET_ITEM(series, 1), t2) < 0;
        Py_XDECREF(t1);
        Py_XDECREF(t2);
        if (bad)
            goto done;
    }
    PyObject *times = series ? Py_NewRef(PyTuple_GET_ITEM(series, 0)) : PyList_New(0);
    if (!times)
        goto done;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(classes); k++)
        if (class_page(&rep, stats, PyList_GET_ITEM(classes, k), snapshots, times, index_name) < 0) {
            Py_DECREF(times);
            goto done;
        }
    Py_DECREF(times);
    if (index_page(&rep, fname, title, snapshots, classes, charts) < 0)
        goto done;
    res = Py_NewRef(Py_None);
done:
    Py_XDECREF(fname);
    Py_XDECREF(title);
    Py_XDECREF(os_path);
    Py_XDECREF(snapshots);
    Py_XDECREF(classes);
    Py_XDECREF(series);
    Py_XDECREF(index_name);
    Py_XDECREF(bytes);
    Py_XDECREF(r);
    Py_XDECREF(rep.pp);
    Py_XDECREF(rep.pp_timestamp);
    Py_XDECREF(rep.format_trace);
    Py_XDECREF(rep.files_dir);
    Py_XDECREF(rep.files_rel);
    return res;
}

/* repr_html(stats) -> str: Stats in a notebook (Stats._repr_html_): the
 * chart of the tracked classes over the snapshots, inline, and the classes'
 * numbers at the last snapshot. */
static PyObject *hs_repr_html(PyObject *Py_UNUSED(m), PyObject *stats)
{
    PyObject *snapshots = NULL, *classes = NULL, *series = NULL, *svg = NULL, *res = NULL, *r = NULL;
    report rep = {0};
    pym_strbuf b;
    pym_strbuf_init(&b);
    if (!(rep.pp = pym_module_attr("pympler.util.stringutils", "pp")) ||
        !(rep.pp_timestamp = pym_module_attr("pympler.util.stringutils", "pp_timestamp")) ||
        !(r = PyObject_CallMethod(stats, "annotate", NULL)) || !(snapshots = list_attr(stats, "snapshots")) ||
        !(classes = list_attr(stats, "tracked_classes")))
        goto done;
    Py_ssize_t ns = PyList_GET_SIZE(snapshots), nc = PyList_GET_SIZE(classes);
    pym_strbuf_printf(&b, "<div class=\"pympler-stats\"><p><b>ClassTracker statistics</b>: %zd tracked class%s, "
                          "%zd snapshot%s</p>\n", nc, nc == 1 ? "" : "es", ns, ns == 1 ? "" : "s");
    if (ns > 0 && nc > 0) {
        PyObject *f = pym_module_attr("pympler.charts", "_chart_svg");
        if (!f || !(series = class_series(snapshots, classes))) {
            Py_XDECREF(f);
            goto done;
        }
        PyObject *a = Py_BuildValue("(sOO)", "stacked", PyTuple_GET_ITEM(series, 0), PyTuple_GET_ITEM(series, 1));
        PyObject *kw = Py_BuildValue("{sssssi}", "title", "Memory of the tracked classes", "y_label", "memory",
                                     "height", 300);
        svg = a && kw ? PyObject_Call(f, a, kw) : NULL;
        Py_DECREF(f);
        Py_XDECREF(a);
        Py_XDECREF(kw);
        if (!svg)
            goto done;
        PyObject *u = PyUnicode_AsUTF8String(svg);
        if (!u)
            goto done;
        pym_strbuf_append(&b, PyBytes_AS_STRING(u), (size_t)PyBytes_GET_SIZE(u));
        Py_DECREF(u);
        /* the last snapshot's numbers */
        PyObject *last = PyList_GET_ITEM(snapshots, ns - 1), *cl = attr(last, "classes"), *desc = NULL;
        if (!cl || !(desc = attr(last, "desc"))) {
            Py_XDECREF(cl);
            goto done;
        }
        pym_strbuf_puts(&b, "<table><tr><th>Class</th><th>Instances</th><th>Total</th><th>Average</th>"
                            "<th>Share</th></tr>\n<caption>");
        int bad = put_esc(&b, desc, 0) < 0;
        pym_strbuf_puts(&b, "</caption>\n");
        for (Py_ssize_t k = 0; !bad && cl != Py_None && k < nc; k++) {
            PyObject *name = PyList_GET_ITEM(classes, k), *info = PyObject_GetItem(cl, name);
            PyObject *active = info ? PyMapping_GetItemString(info, "active") : NULL;
            PyObject *sum = active ? PyMapping_GetItemString(info, "sum") : NULL;
            PyObject *avg = sum ? PyMapping_GetItemString(info, "avg") : NULL;
            PyObject *pct = avg ? PyMapping_GetItemString(info, "pct") : NULL;
            double p = pct ? PyFloat_AsDouble(pct) : -1;
            bad = !pct || PyErr_Occurred();
            if (!bad) {
                pym_strbuf_puts(&b, "<tr><td>");
                bad = put_esc(&b, name, 0) < 0;
                pym_strbuf_puts(&b, "</td><td>");
                bad = bad || put_esc(&b, active, 0) < 0;
                pym_strbuf_puts(&b, "</td><td>");
                bad = bad || put_pp_ll(&b, &rep, sum) < 0;
                pym_strbuf_puts(&b, "</td><td>");
                bad = bad || put_pp_ll(&b, &rep, avg) < 0;
                pym_strbuf_printf(&b, "</td><td>%3.2f%%</td></tr>\n", p);
            }
            Py_XDECREF(info);
            Py_XDECREF(active);
            Py_XDECREF(sum);
            Py_XDECREF(avg);
            Py_XDECREF(pct);
        }
        Py_DECREF(cl);
        Py_DECREF(desc);
        if (bad)
            goto done;
        pym_strbuf_puts(&b, "</table>\n");
    }
    pym_strbuf_puts(&b, "</div>\n");
    if (pym_strbuf_failed(&b)) {
        PyErr_NoMemory();
        goto done;
    }
    res = PyUnicode_DecodeUTF8(b.data, (Py_ssize_t)b.len, "replace");
done:
    pym_strbuf_free(&b);
    Py_XDECREF(snapshots);
    Py_XDECREF(classes);
    Py_XDECREF(series);
    Py_XDECREF(svg);
    Py_XDECREF(r);
    Py_XDECREF(rep.pp);
    Py_XDECREF(rep.pp_timestamp);
    return res;
}

static PyMethodDef module_methods[] = {
    {"repr_html", hs_repr_html, METH_O,
     "repr_html(stats) -> str\n--\n\nStats in a notebook: its chart inline and the last snapshot's numbers."},
    {"create_html", (PyCFunction)(void (*)(void))hs_create_html, METH_VARARGS | METH_KEYWORDS,
     "create_html(stats, fname, title='ClassTracker Statistics')\n--\n\nWrite the HTML report of stats (a "
     "classtracker_stats.Stats): fname, and in fname's stem + '_files' one page per tracked class and the "
     "charts and graphs."},
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    return pym_module_attach(m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler._htmlstats",
    .m_doc = "The pages of classtracker_stats.HtmlStats, written in C.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit__htmlstats(void)
{
    return PyModuleDef_Init(&module_def);
}
