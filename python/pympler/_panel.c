/* pympler._panel: the work of the django-debug-toolbar panel
 * pympler.panels.MemoryPanel (docs/web.md), in C.
 *
 * Per request, as Pympler's: a ClassTracker of the project's models and of
 * Django's Context and Template, a snapshot before and after the request,
 * the process's memory (ProcessMemoryInfo) before and after.  What the panel
 * shows is recorded as plain data (django-debug-toolbar 4.4 and later keep a
 * panel's stats as JSON in their store, so Pympler's ProcessMemoryInfo and
 * Stats objects come back as strings and its panel fails when shown).  Unlike Pympler, the request's tracker detaches its classes
 * when the request is done (Pympler's wrappers of __init__ pile up, one per
 * request).  The panel's page is written here, every value escaped, with no
 * script (Pympler's loads a jquery.sparkline that it does not ship).
 */
#include "module.h"
#include "pyrt.h"
#include "render.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

PyMODINIT_FUNC PyInit__panel(void);

static PyObject *subtitle(PyObject *before, PyObject *after);
static PyObject *resource_rows(PyObject *before, PyObject *after);
static PyObject *class_rows(PyObject *st);

/* A new ClassTracker tracking apps.get_models() + panel.classes. */
static PyObject *tracker_of(PyObject *panel)
{
    PyObject *ctor = pym_module_attr("pympler.classtracker", "ClassTracker"), *tracker = NULL, *models = NULL;
    PyObject *get_models = NULL, *classes = NULL, *all = NULL;
    if (!ctor || !(tracker = PyObject_CallNoArgs(ctor)))
        goto fail;
    if (!(get_models = pym_module_attr("django.apps", "apps")))
        goto fail;
    Py_SETREF(get_models, PyObject_GetAttrString(get_models, "get_models"));
    if (!get_models || !(models = PyObject_CallNoArgs(get_models)) || !(all = PySequence_List(models)) ||
        !(classes = PyObject_GetAttrString(panel, "classes")))
        goto fail;
    PyObject *it = PyObject_GetIter(classes), *c;
    if (!it)
        goto fail;
    while ((c = PyIter_Next(it))) {
        int r = PyList_Append(all, c);
        Py_DECREF(c);
        if (r < 0)
            break;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        goto fail;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(all); i++) {
        PyObject *r = PyObject_CallMethod(tracker, "track_class", "O", PyList_GET_ITEM(all, i));
        if (!r)
            goto fail;
        Py_DECREF(r);
    }
    Py_DECREF(ctor);
    Py_DECREF(get_models);
    Py_DECREF(models);
    Py_DECREF(classes);
    Py_DECREF(all);
    return tracker;
fail:
    Py_XDECREF(ctor);
    Py_XDECREF(tracker);
    Py_XDECREF(get_models);
    Py_XDECREF(models);
    Py_XDECREF(classes);
    Py_XDECREF(all);
    return NULL;
}

/* The process's memory now (ProcessMemoryInfo). */
static PyObject *memory(void)
{
    PyObject *cls = pym_module_attr("pympler.process", "ProcessMemoryInfo");
    PyObject *info = cls ? PyObject_CallNoArgs(cls) : NULL;
    Py_XDECREF(cls);
    return info;
}

static int snapshot(PyObject *tracker, const char *desc)
{
    PyObject *r = PyObject_CallMethod(tracker, "create_snapshot", "s", desc);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* process_request(panel, request, get_response): the request between two
 * snapshots and two memory readings. */
static PyObject *pn_process_request(PyObject *Py_UNUSED(m), PyObject *args)
{
    PyObject *panel, *request, *next, *tracker, *response = NULL, *stats = NULL, *before = NULL, *after = NULL;
    if (!PyArg_ParseTuple(args, "OOO:process_request", &panel, &request, &next))
        return NULL;
    if (!(tracker = tracker_of(panel)))
        return NULL;
    /* a tracker of the request's own: panel._tracker is enable_instrumentation's, which
     * disable_instrumentation detaches (Pympler replaces it here, and one wrapper stays) */
    if (snapshot(tracker, "before") < 0 || !(before = memory()) || !(response = PyObject_CallOneArg(next, request)))
        goto done;
    if (!(after = memory()) || snapshot(tracker, "after") < 0 || !(stats = PyObject_GetAttrString(tracker, "stats")))
        goto fail;
    PyObject *r = PyObject_CallMethod(stats, "annotate", NULL);
    if (!r)
        goto fail;
    Py_DECREF(r);
    /* what the page shows, as plain data: the toolbar's store keeps it as JSON */
    PyObject *sub = subtitle(before, after), *rows = sub ? resource_rows(before, after) : NULL;
    PyObject *cls = rows ? class_rows(stats) : NULL;
    PyObject *d = cls ? Py_BuildValue("{sOsOsO}", "nav_subtitle", sub, "rows", rows, "classes", cls) : NULL;
    PyObject *rec = d ? PyObject_CallMethod(panel, "record_stats", "O", d) : NULL;
    Py_XDECREF(sub);
    Py_XDECREF(rows);
    Py_XDECREF(cls);
    Py_XDECREF(d);
    if (!rec)
        goto fail;
    Py_DECREF(rec);
    goto done;
fail:
    Py_CLEAR(response);
done:
    /* the classes' __init__ back as they were, whatever happened */
    {
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        PyObject *detached = PyObject_CallMethod(tracker, "detach_all_classes", NULL);
        if (!detached && et)
            PyErr_Clear();
        if (!detached && !et)
            Py_CLEAR(response);
        Py_XDECREF(detached);
        if (et)
            PyErr_Restore(et, ev, tb);
    }
    Py_DECREF(tracker);
    Py_XDECREF(stats);
    Py_XDECREF(before);
    Py_XDECREF(after);
    return response;
}

static PyObject *pn_enable(PyObject *Py_UNUSED(m), PyObject *panel)
{
    PyObject *tracker = tracker_of(panel);
    if (!tracker)
        return NULL;
    int r = PyObject_SetAttrString(panel, "_tracker", tracker);
    Py_DECREF(tracker);
    return r < 0 ? NULL : Py_NewRef(Py_None);
}

static PyObject *pn_disable(PyObject *Py_UNUSED(m), PyObject *panel)
{
    PyObject *tracker = pym_getattr_optional(panel, "_tracker");
    if (!tracker)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    PyObject *r = PyObject_CallMethod(tracker, "detach_all_classes", NULL);
    Py_DECREF(tracker);
    return r;
}

static PyObject *pp(PyObject *v)
{
    PyObject *f = pym_module_attr("pympler.util.stringutils", "pp");
    PyObject *r = f ? PyObject_CallOneArg(f, v) : NULL;
    Py_XDECREF(f);
    return r;
}

/* "RSS (+delta)" or "RSS ", as Pympler's nav_subtitle. */
static PyObject *subtitle(PyObject *before, PyObject *after)
{
    PyObject *rss = PyObject_GetAttrString(after, "rss"), *rss0 = rss ? PyObject_GetAttrString(before, "rss") : NULL;
    PyObject *delta = rss0 ? PyNumber_Subtract(rss, rss0) : NULL, *zero = PyLong_FromLong(0), *res = NULL, *a = NULL,
             *d = NULL;
    int grew = delta && zero ? PyObject_RichCompareBool(delta, zero, Py_GT) : -1;
    if (grew >= 0 && (a = pp(rss)) && (!grew || (d = pp(delta))))
        res = grew ? PyUnicode_FromFormat("%U (+%U)", a, d) : PyUnicode_FromFormat("%U ", a);
    Py_XDECREF(rss);
    Py_XDECREF(rss0);
    Py_XDECREF(delta);
    Py_XDECREF(zero);
    Py_XDECREF(a);
    Py_XDECREF(d);
    return res;
}

static int append_pair(PyObject *list, PyObject *k, PyObject *v)
{
    PyObject *pair = k && v ? PyList_New(2) : NULL;
    if (!pair)
        return -1;
    PyList_SET_ITEM(pair, 0, Py_NewRef(k));
    PyList_SET_ITEM(pair, 1, Py_NewRef(v));
    int r = PyList_Append(list, pair);
    Py_DECREF(pair);
    return r;
}

/* Pympler's rows: RSS, VSZ and the deltas through pp, then the OS's own
 * figures as they are; [[key, value]] of str. */
static PyObject *resource_rows(PyObject *before, PyObject *after)
{
    PyObject *rows = PyList_New(0), *deltas = NULL, *os = NULL;
    const char *names[2][2] = {{"Resident set size", "rss"}, {"Virtual size", "vsz"}};
    if (!rows || !(deltas = PyNumber_Subtract(after, before)) || !(os = PyObject_GetAttrString(after, "os_specific")))
        goto fail;
    for (int i = 0; i < 2; i++) {
        PyObject *k = PyUnicode_FromString(names[i][0]), *v = k ? PyObject_GetAttrString(after, names[i][1]) : NULL;
        PyObject *t = v ? pp(v) : NULL;
        int r = append_pair(rows, k, t);
        Py_XDECREF(k);
        Py_XDECREF(v);
        Py_XDECREF(t);
        if (r < 0)
            goto fail;
    }
    for (int pass = 0; pass < 2; pass++) {
        PyObject *it = PyObject_GetIter(pass ? os : deltas), *row;
        if (!it)
            goto fail;
        while ((row = PyIter_Next(it))) {
            PyObject *k = PySequence_GetItem(row, 0), *v = k ? PySequence_GetItem(row, 1) : NULL;
            PyObject *t = v ? (pass ? PyObject_Str(v) : pp(v)) : NULL, *ks = k ? PyObject_Str(k) : NULL;
            int r = append_pair(rows, ks, t);
            Py_XDECREF(k);
            Py_XDECREF(v);
            Py_XDECREF(t);
            Py_XDECREF(ks);
            Py_DECREF(row);
            if (r < 0) {
                Py_DECREF(it);
                goto fail;
            }
        }
        Py_DECREF(it);
        if (PyErr_Occurred())
            goto fail;
    }
    Py_DECREF(deltas);
    Py_DECREF(os);
    return rows;
fail:
    Py_XDECREF(rows);
    Py_XDECREF(deltas);
    Py_XDECREF(os);
    return NULL;
}

/* Pympler's classes: each tracked class with instances alive after the
 * request, [[name, [counts of its history], pp(its total at the last snapshot)]]. */
static PyObject *class_rows(PyObject *st)
{
    PyObject *rows = PyList_New(0), *classes = NULL, *history = NULL, *snaps = NULL, *last_classes = NULL, *it = NULL;
    PyObject *name;
    if (!rows || !(classes = PyObject_GetAttrString(st, "tracked_classes")) ||
        !(history = PyObject_GetAttrString(st, "history")) || !(snaps = PyObject_GetAttrString(st, "snapshots")))
        goto fail;
    Py_ssize_t ns = PySequence_Size(snaps);
    if (ns < 0)
        goto fail;
    if (ns > 0) {
        PyObject *last = PySequence_GetItem(snaps, ns - 1);
        last_classes = last ? PyObject_GetAttrString(last, "classes") : NULL;
        Py_XDECREF(last);
        if (!last_classes)
            goto fail;
    }
    if (!(it = PyObject_GetIter(classes)))
        goto fail;
    while ((name = PyIter_Next(it))) {
        PyObject *h = PyObject_GetItem(history, name), *counts = h ? PyList_New(0) : NULL, *size = NULL;
        int bad = !counts;
        for (Py_ssize_t i = 0; !bad && i < PySequence_Size(h); i++) {
            PyObject *e = PySequence_GetItem(h, i), *c = e ? PySequence_GetItem(e, 1) : NULL;
            bad = !c || PyList_Append(counts, c) < 0;
            Py_XDECREF(e);
            Py_XDECREF(c);
        }
        Py_ssize_t n = bad ? 0 : PyList_GET_SIZE(counts);
        int alive = n > 0 ? PyObject_IsTrue(PyList_GET_ITEM(counts, n - 1)) : 0;
        if (!bad && alive > 0) {
            /* snapshot.classes.get(model, {}).get('sum', 0) */
            PyObject *entry = last_classes && last_classes != Py_None ? PyObject_GetItem(last_classes, name) : NULL;
            if (!entry && PyErr_Occurred() && PyErr_ExceptionMatches(PyExc_KeyError))
                PyErr_Clear();
            PyObject *sum = entry ? PyMapping_GetItemString(entry, "sum") : PyLong_FromLong(0);
            Py_XDECREF(entry);
            size = sum ? pp(sum) : NULL;
            Py_XDECREF(sum);
            PyObject *row = size ? PyList_New(3) : NULL;
            bad = !row;
            if (row) {
                PyList_SET_ITEM(row, 0, Py_NewRef(name));
                PyList_SET_ITEM(row, 1, Py_NewRef(counts));
                PyList_SET_ITEM(row, 2, Py_NewRef(size));
                bad = PyList_Append(rows, row) < 0;
                Py_DECREF(row);
            }
        }
        if (alive < 0 || PyErr_Occurred())
            bad = 1;
        Py_XDECREF(h);
        Py_XDECREF(counts);
        Py_XDECREF(size);
        Py_DECREF(name);
        if (bad)
            goto fail;
    }
    if (PyErr_Occurred())
        goto fail;
    Py_DECREF(it);
    Py_DECREF(classes);
    Py_DECREF(history);
    Py_DECREF(snaps);
    Py_XDECREF(last_classes);
    return rows;
fail:
    Py_XDECREF(it);
    Py_XDECREF(rows);
    Py_XDECREF(classes);
    Py_XDECREF(history);
    Py_XDECREF(snaps);
    Py_XDECREF(last_classes);
    return NULL;
}

static int put(pym_strbuf *b, PyObject *v)
{
    PyObject *s = PyUnicode_Check(v) ? Py_NewRef(v) : PyObject_Str(v);
    PyObject *u = s ? PyUnicode_AsEncodedString(s, "utf-8", "replace") : NULL;
    Py_XDECREF(s);
    if (!u)
        return -1;
    pym_xml_escape_into(b, PyBytes_AS_STRING(u), (size_t)PyBytes_GET_SIZE(u), 0);
    Py_DECREF(u);
    return 0;
}

/* stats[key], or a RuntimeError saying the panel did not run. */
static PyObject *stats_item(PyObject *stats, const char *key)
{
    PyObject *v = PyMapping_GetItemString(stats, key);
    if (!v && PyErr_ExceptionMatches(PyExc_KeyError)) {
        PyErr_Clear();
        PyErr_Format(PyExc_RuntimeError, "the memory panel has no '%s' for this request (it did not run)", key);
    }
    return v;
}

/* nav_subtitle(stats) */
static PyObject *pn_nav_subtitle(PyObject *Py_UNUSED(m), PyObject *stats)
{
    return stats_item(stats, "nav_subtitle");
}

/* content(stats): Pympler's two tables from the recorded rows and classes
 * (plain lists: the toolbar's store keeps panels' stats as JSON, and a panel
 * shown later, from the store, gets them back as such). */
static PyObject *pn_content(PyObject *Py_UNUSED(m), PyObject *stats)
{
    PyObject *rows = stats_item(stats, "rows"), *classes = rows ? stats_item(stats, "classes") : NULL, *res = NULL;
    PyObject *rs = NULL, *cs = NULL;
    pym_strbuf b;
    pym_strbuf_init(&b);
    if (!classes || !(rs = PySequence_Fast(rows, "rows must be a list")) ||
        !(cs = PySequence_Fast(classes, "classes must be a list")))
        goto done;
    pym_strbuf_puts(&b, "<table>\n<colgroup><col style=\"width:20%\"/><col/></colgroup>\n"
                        "<thead><tr><th>Resource</th><th>Value</th></tr></thead>\n<tbody>\n");
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(rs); i++) {
        PyObject *row = PySequence_Fast_GET_ITEM(rs, i), *k = PySequence_GetItem(row, 0);
        PyObject *v = k ? PySequence_GetItem(row, 1) : NULL;
        pym_strbuf_printf(&b, "<tr class=\"%s\"><td>", i % 2 ? "djDebugEven" : "djDebugOdd");
        int bad = !v || put(&b, k) < 0;
        pym_strbuf_puts(&b, "</td><td>");
        bad = bad || put(&b, v) < 0;
        pym_strbuf_puts(&b, "</td></tr>\n");
        Py_XDECREF(k);
        Py_XDECREF(v);
        if (bad)
            goto done;
    }
    pym_strbuf_puts(&b, "</tbody>\n</table>\n\n<table>\n<colgroup><col style=\"width:20%\"/><col/><col/></colgroup>\n"
                        "<thead><tr><th>Class</th><th>Number of instances</th><th>Total size</th></tr></thead>\n"
                        "<tbody>\n");
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(cs); i++) {
        PyObject *row = PySequence_Fast_GET_ITEM(cs, i), *name = PySequence_GetItem(row, 0);
        PyObject *hist = name ? PySequence_GetItem(row, 1) : NULL, *size = hist ? PySequence_GetItem(row, 2) : NULL;
        PyObject *h = size ? PySequence_Fast(hist, "a history must be a list") : NULL;
        int bad = !h;
        pym_strbuf_printf(&b, "<tr class=\"%s\"><td>", i % 2 ? "djDebugEven" : "djDebugOdd");
        bad = bad || put(&b, name) < 0;
        pym_strbuf_puts(&b, "</td><td>");
        for (Py_ssize_t j = 0; !bad && j < PySequence_Fast_GET_SIZE(h); j++) {
            pym_strbuf_puts(&b, j ? ", " : "");
            bad = put(&b, PySequence_Fast_GET_ITEM(h, j)) < 0;
        }
        pym_strbuf_puts(&b, "</td><td>");
        bad = bad || put(&b, size) < 0;
        pym_strbuf_puts(&b, "</td></tr>\n");
        Py_XDECREF(name);
        Py_XDECREF(hist);
        Py_XDECREF(size);
        Py_XDECREF(h);
        if (bad)
            goto done;
    }
    pym_strbuf_puts(&b, "</tbody>\n</table>\n");
    if (pym_strbuf_failed(&b)) {
        PyErr_NoMemory();
        goto done;
    }
    res = PyUnicode_DecodeUTF8(b.data, (Py_ssize_t)b.len, "replace");
done:
    pym_strbuf_free(&b);
    Py_XDECREF(rows);
    Py_XDECREF(classes);
    Py_XDECREF(rs);
    Py_XDECREF(cs);
    return res;
}

static PyMethodDef module_methods[] = {
    {"process_request", pn_process_request, METH_VARARGS,
     "process_request(panel, request, get_response)\n--\n\nThe request between two snapshots of a ClassTracker of "
     "the models and two ProcessMemoryInfo readings, recorded as the panel's stats."},
    {"enable_instrumentation", pn_enable, METH_O, "enable_instrumentation(panel)\n--\n\nTrack the models."},
    {"disable_instrumentation", pn_disable, METH_O,
     "disable_instrumentation(panel)\n--\n\nDetach the tracked classes."},
    {"nav_subtitle", pn_nav_subtitle, METH_O, "nav_subtitle(stats)\n--\n\nThe RSS after the request (+growth)."},
    {"content", pn_content, METH_O, "content(stats)\n--\n\nThe panel's HTML: memory and the tracked classes."},
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    return pym_module_attach(m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler._panel",
    .m_doc = "The work of the django-debug-toolbar panel pympler.panels.MemoryPanel, in C.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit__panel(void)
{
    return PyModuleDef_Init(&module_def);
}
