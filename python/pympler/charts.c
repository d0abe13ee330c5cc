/* pympler.charts: charts of tracked classes over time, drawn in C.
 *
 * Pympler's tracker_timespace() needs matplotlib (and does nothing without
 * it; its drawing broke with matplotlib 3.1).  Here the chart is SVG text
 * from the engine's render/chart.c, so it needs nothing: a stacked area per
 * tracked class, its memory at each snapshot.  A .png filename gets the same
 * SVG drawn by librsvg on a cairo surface (linked into this module alone, not
 * into the engine); every other name gets SVG.
 *
 * _chart_svg() is the same drawing for the HTML reports and the web
 * frontend: (kind, times, [(name, values)], ...) -> SVG text.
 */
#include "chart.h"
#include "module.h"
#include "pyrt.h"

#include <cairo.h>
#include <librsvg/rsvg.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

PyMODINIT_FUNC PyInit_charts(void);

/* The UTF-8 of a name for the chart; surrogates pass as U+FFFD (the chart
 * escapes the rest).  New bytes, or NULL. */
static PyObject *name_bytes(PyObject *name)
{
    PyObject *s = PyUnicode_Check(name) ? Py_NewRef(name) : PyObject_Str(name);
    if (!s)
        return NULL;
    PyObject *b = PyUnicode_AsEncodedString(s, "utf-8", "replace");
    Py_DECREF(s);
    return b;
}

/* One number of a series: None is "no value" (NAN); else a real >= 0. */
static int point(PyObject *v, double *out, const char *what)
{
    if (v == Py_None) {
        *out = NAN;
        return 0;
    }
    if (!PyNumber_Check(v) || PyComplex_Check(v)) {
        PyErr_Format(PyExc_TypeError, "%s must be numbers or None, not %.100s", what, Py_TYPE(v)->tp_name);
        return -1;
    }
    double d = PyFloat_AsDouble(v);
    if (d == -1 && PyErr_Occurred())
        return -1;
    if (!isfinite(d) || d < 0) {
        PyErr_Format(PyExc_ValueError, "%s must be finite and not negative, got %R", what, v);
        return -1;
    }
    *out = d;
    return 0;
}

typedef struct {
    double *x, *y;
    const char **names;
    PyObject *keep; /* list of the names' bytes */
    size_t npoints, nseries;
} chart_input;

static void input_free(chart_input *in)
{
    PyMem_Free(in->x);
    PyMem_Free(in->y);
    PyMem_Free((void *)in->names);
    Py_CLEAR(in->keep);
}

/* times: a sequence of seconds; series: a sequence of (name, values). */
static int input_read(chart_input *in, PyObject *times, PyObject *series)
{
    PyObject *t = NULL, *s = NULL;
    int rc = -1;
    memset(in, 0, sizeof *in);
    if (!(t = PySequence_Fast(times, "times must be a sequence of numbers")) ||
        !(s = PySequence_Fast(series, "series must be a sequence of (name, values) pairs")))
        goto done;
    in->npoints = (size_t)PySequence_Fast_GET_SIZE(t);
    in->nseries = (size_t)PySequence_Fast_GET_SIZE(s);
    if (in->npoints == 0 || in->nseries == 0) {
        PyErr_SetString(PyExc_ValueError, "a chart needs at least one time and one series");
        goto done;
    }
    if (in->nseries > (size_t)PY_SSIZE_T_MAX / sizeof(double) / in->npoints) {
        PyErr_NoMemory();
        goto done;
    }
    in->x = PyMem_Calloc(in->npoints, sizeof(double));
    in->y = PyMem_Calloc(in->npoints * in->nseries, sizeof(double));
    in->names = PyMem_Calloc(in->nseries, sizeof(char *));
    if (!in->x || !in->y || !in->names || !(in->keep = PyList_New(0))) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < in->npoints; i++) {
        if (point(PySequence_Fast_GET_ITEM(t, i), &in->x[i], "times") < 0)
            goto done;
        if (isnan(in->x[i]) || (i && in->x[i] < in->x[i - 1])) {
            PyErr_SetString(PyExc_ValueError, "times must be numbers in ascending order");
            goto done;
        }
    }
    for (size_t k = 0; k < in->nseries; k++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(s, k), *name, *vals, *b;
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "series must be a sequence of (name, values) pairs");
            goto done;
        }
        name = PyTuple_GET_ITEM(pair, 0);
        if (!(b = name_bytes(name)) || PyList_Append(in->keep, b) < 0) {
            Py_XDECREF(b);
            goto done;
        }
        Py_DECREF(b); /* the list keeps it */
        in->names[k] = PyBytes_AS_STRING(b);
        if (!(vals = PySequence_Fast(PyTuple_GET_ITEM(pair, 1), "a series' values must be a sequence")))
            goto done;
        if ((size_t)PySequence_Fast_GET_SIZE(vals) != in->npoints) {
            PyErr_Format(PyExc_ValueError, "series %R has %zd values for %zu times", name,
                         PySequence_Fast_GET_SIZE(vals), in->npoints);
            Py_DECREF(vals);
            goto done;
        }
        for (size_t i = 0; i < in->npoints; i++)
            if (point(PySequence_Fast_GET_ITEM(vals, i), &in->y[k * in->npoints + i], "values") < 0) {
                Py_DECREF(vals);
                goto done;
            }
        Py_DECREF(vals);
    }
    rc = 0;
done:
    Py_XDECREF(t);
    Py_XDECREF(s);
    if (rc < 0)
        input_free(in);
    return rc;
}

static const char *const kinds[] = {"stacked", "share", "lines", NULL};

/* The chart's SVG as str, or NULL. */
static PyObject *chart_text(pym_chart_kind kind, PyObject *times, PyObject *series, const char *title,
                            const char *y_label, int width, int height)
{
    chart_input in;
    if (input_read(&in, times, series) < 0)
        return NULL;
    pym_chart c = {.kind = kind, .title = title, .y_label = y_label, .width = width, .height = height,
                   .npoints = in.npoints, .x = in.x, .nseries = in.nseries, .names = in.names, .y = in.y};
    size_t len = 0;
    char *svg;
    Py_BEGIN_ALLOW_THREADS
    svg = pym_chart_svg(&c, &len);
    Py_END_ALLOW_THREADS
    input_free(&in);
    if (!svg)
        return PyErr_NoMemory(); /* the input was checked: EINVAL cannot be */
    PyObject *r = PyUnicode_DecodeUTF8(svg, (Py_ssize_t)len, "replace");
    free(svg);
    return r;
}

static PyObject *charts_chart_svg(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"kind", "times", "series", "title", "y_label", "width", "height", NULL};
    const char *kind;
    PyObject *times, *series, *title = Py_None, *y_label = Py_None, *tb = NULL, *yb = NULL, *res;
    int width = 0, height = 0, k;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "sOO|$OOii:_chart_svg", kwlist, &kind, &times, &series, &title,
                                     &y_label, &width, &height))
        return NULL;
    for (k = 0; kinds[k] && strcmp(kinds[k], kind); k++)
        ;
    if (!kinds[k])
        return PyErr_Format(PyExc_ValueError, "unknown chart kind %R (known: stacked, share, lines)",
                            PyTuple_GET_ITEM(args, 0));
    if (width < 0 || height < 0 || width > 20000 || height > 20000)
        return PyErr_Format(PyExc_ValueError, "width and height must be 0 (default) to 20000 pixels");
    /* titles as names: any str, surrogates shown as U+FFFD */
    if ((title != Py_None && !(tb = name_bytes(title))) || (y_label != Py_None && !(yb = name_bytes(y_label)))) {
        Py_XDECREF(tb);
        return NULL;
    }
    res = chart_text((pym_chart_kind)k, times, series, tb ? PyBytes_AS_STRING(tb) : NULL,
                     yb ? PyBytes_AS_STRING(yb) : NULL, width, height);
    Py_XDECREF(tb);
    Py_XDECREF(yb);
    return res;
}

/* ---- PNG ------------------------------------------------------------------ */

/* The SVG document drawn into a PNG at its own size, written to out.  0, or
 * -1 with a message in err (GIL not needed: no Python object is touched). */
static cairo_status_t write_file(void *f, const unsigned char *data, unsigned int n)
{
    return fwrite(data, 1, n, f) == n ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* errno is set when the file could not be written; err says what failed. */
static int svg_to_png(const char *svg, size_t len, FILE *out, char *err, size_t errlen)
{
    GError *gerr = NULL;
    RsvgHandle *h = rsvg_handle_new_from_data((const guint8 *)svg, len, &gerr);
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    int rc = -1;
    gdouble w = 0, h_px = 0;
    if (!h) {
        snprintf(err, errlen, "the chart's SVG was not understood: %s", gerr ? gerr->message : "?");
        goto done;
    }
    if (!rsvg_handle_get_intrinsic_size_in_pixels(h, &w, &h_px) || w < 1 || h_px < 1) {
        snprintf(err, errlen, "the chart's SVG has no size");
        goto done;
    }
    surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)ceil(w), (int)ceil(h_px));
    cr = cairo_create(surface);
    RsvgRectangle viewport = {0, 0, w, h_px};
    if (!rsvg_handle_render_document(h, cr, &viewport, &gerr)) {
        snprintf(err, errlen, "drawing the chart failed: %s", gerr ? gerr->message : "?");
        goto done;
    }
    errno = 0;
    cairo_status_t st = cairo_surface_write_to_png_stream(surface, write_file, out);
    if (st != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "%s", cairo_status_to_string(st));
        goto done;
    }
    rc = 0;
done:
    if (gerr)
        g_error_free(gerr);
    if (cr)
        cairo_destroy(cr);
    if (surface)
        cairo_surface_destroy(surface);
    if (h)
        g_object_unref(h);
    return rc;
}

/* ---- tracker_timespace ---------------------------------------------------- */

/* snapshot.classes[name]['sum'] (None when absent), new reference or NULL. */
static PyObject *class_sum(PyObject *snapshot, PyObject *name)
{
    PyObject *classes = PyObject_GetAttrString(snapshot, "classes"), *entry, *sum;
    if (!classes)
        return NULL;
    if (classes == Py_None || !PyMapping_Check(classes)) {
        Py_DECREF(classes);
        return Py_NewRef(Py_None);
    }
    entry = PyObject_GetItem(classes, name);
    Py_DECREF(classes);
    if (!entry) {
        if (!PyErr_ExceptionMatches(PyExc_KeyError))
            return NULL;
        PyErr_Clear(); /* the class had no instance then */
        return Py_NewRef(Py_None);
    }
    sum = PyMapping_Check(entry) ? PyMapping_GetItemString(entry, "sum") : Py_NewRef(Py_None);
    Py_DECREF(entry);
    return sum;
}

static PyObject *charts_tracker_timespace(PyObject *Py_UNUSED(m), PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"filename", "stats", NULL};
    PyObject *filename, *stats, *path = NULL, *snaps = NULL, *classes = NULL, *times = NULL, *series = NULL;
    PyObject *svg = NULL, *bytes = NULL, *res = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO:tracker_timespace", kwlist, &filename, &stats))
        return NULL;
    if (!PyUnicode_FSConverter(filename, &path))
        return NULL;
    const char *p = PyBytes_AS_STRING(path);
    size_t plen = strlen(p);
    int png = plen >= 4 && !strcasecmp(p + plen - 4, ".png");
    /* the classes' sums at each snapshot, as Stats.annotate() leaves them */
    PyObject *r = PyObject_CallMethod(stats, "annotate", NULL);
    if (!r)
        goto done;
    Py_DECREF(r);
    if (!(snaps = PyObject_GetAttrString(stats, "snapshots")) ||
        !(classes = PyObject_GetAttrString(stats, "tracked_classes")))
        goto done;
    Py_SETREF(snaps, PySequence_List(snaps));
    Py_SETREF(classes, PySequence_List(classes));
    if (!snaps || !classes || !(times = PyList_New(0)) || !(series = PyList_New(0)))
        goto done;
    if (PyList_GET_SIZE(snaps) == 0 || PyList_GET_SIZE(classes) == 0) {
        PyErr_SetString(PyExc_ValueError, "tracker_timespace: no snapshots or no tracked classes to draw");
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(snaps); i++) {
        PyObject *ts = PyObject_GetAttrString(PyList_GET_ITEM(snaps, i), "timestamp");
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
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(snaps); i++) {
            PyObject *v = class_sum(PyList_GET_ITEM(snaps, i), name);
            if (!v || PyList_Append(vals, v) < 0) {
                Py_XDECREF(v);
                Py_DECREF(vals);
                goto done;
            }
            Py_DECREF(v);
        }
        pair = PyTuple_Pack(2, name, vals);
        Py_DECREF(vals);
        if (!pair || PyList_Append(series, pair) < 0) {
            Py_XDECREF(pair);
            goto done;
        }
        Py_DECREF(pair);
    }
    if (!(svg = chart_text(PYM_CHART_STACKED, times, series, "Memory of the tracked classes", "memory", 0, 0)) ||
        !(bytes = PyUnicode_AsUTF8String(svg)))
        goto done;
    FILE *f = fopen(p, "wb");
    if (f && png) {
        char err[512] = "";
        int rc, e;
        Py_BEGIN_ALLOW_THREADS
        rc = svg_to_png(PyBytes_AS_STRING(bytes), (size_t)PyBytes_GET_SIZE(bytes), f, err, sizeof err);
        e = errno;
        if (fclose(f) != 0 && rc == 0) {
            rc = -1;
            e = errno;
        }
        Py_END_ALLOW_THREADS
        if (rc < 0) {
            errno = e;
            if (e)
                PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, filename);
            else
                PyErr_Format(PyExc_OSError, "cannot write the chart to %R: %s", filename, err);
            goto done;
        }
        res = Py_NewRef(Py_None);
        goto done;
    }
    if (!f || fwrite(PyBytes_AS_STRING(bytes), 1, (size_t)PyBytes_GET_SIZE(bytes), f) !=
                  (size_t)PyBytes_GET_SIZE(bytes)) {
        int e = errno;
        if (f)
            fclose(f);
        errno = e;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, filename);
        goto done;
    }
    if (fclose(f) != 0) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, filename);
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    Py_XDECREF(path);
    Py_XDECREF(snaps);
    Py_XDECREF(classes);
    Py_XDECREF(times);
    Py_XDECREF(series);
    Py_XDECREF(svg);
    Py_XDECREF(bytes);
    return res;
}

static const pym_reexport reexports[] = {
    {"Stats", "pympler.classtracker_stats", "Stats"},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods[] = {
    {"tracker_timespace", (PyCFunction)(void (*)(void))charts_tracker_timespace, METH_VARARGS | METH_KEYWORDS,
     "tracker_timespace(filename, stats)\n--\n\n"
     "Write the memory of every tracked class over the snapshots of stats (a classtracker_stats.Stats) "
     "as a stacked-area chart to filename: PNG when it ends with .png, else SVG.  Pympler draws this "
     "with matplotlib, and does nothing without it; here the chart is drawn in C."},
    {"_chart_svg", (PyCFunction)(void (*)(void))charts_chart_svg, METH_VARARGS | METH_KEYWORDS,
     "_chart_svg(kind, times, series, *, title=None, y_label=None, width=0, height=0)\n--\n\n"
     "A chart as SVG text: kind 'stacked', 'share' or 'lines'; times ascending seconds; series a "
     "sequence of (name, values), one value (bytes, or None for none) per time."},
    PYM_REEXPORT_METHODS,
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    return pym_module_attach(m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.charts",
    .m_doc = "Charts of the tracked classes over time, drawn in C (no matplotlib).",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit_charts(void)
{
    return PyModuleDef_Init(&module_def);
}
