/* cmd_summary.c: pympler summary -- run a program as python3 would, then
 * print pympler.summary's table of the live objects (summarize(get_objects())),
 * or with --diff what the program added (the diff of a
 * pympler.tracker.SummaryTracker made before it, which leaves its own
 * summaries out); with --where, the live objects allocated while the program
 * ran, by type and allocating line (tracemalloc).  Text or JSON (schema:
 * docs/cli.md). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frames tracemalloc keeps per allocation with --where: the allocating line
 * is the innermost one, and each frame more costs time and memory. */
#define WHERE_FRAMES 1

static const char help_text[] =
    "usage: pympler summary [options] SCRIPT [ARGS...]\n"
    "       pympler summary [options] -m MODULE [ARGS...]\n"
    "       pympler summary [options] -c CODE [ARGS...]\n"
    "\n"
    "Run the program as python3 would (same sys.argv, __main__, sys.path[0],\n"
    "exit status), then print the summary table of the live objects by type:\n"
    "pympler.summary.format_(summarize(muppy.get_objects())).\n"
    "\n"
    "options:\n"
    "  -n, --limit N   rows to print (default 15)\n"
    "  --sort KEY      size (default, largest first), # (most objects first)\n"
    "                  or type (by name)\n"
    "  --diff          only what the program added: the difference between\n"
    "                  summaries taken before and after it\n"
    "  --where         with --diff: trace allocations (tracemalloc) while the\n"
    "                  program runs, and give the live objects it allocated by\n"
    "                  type and allocating line (file:line); objects it freed,\n"
    "                  and objects reused from a free list, are not shown\n"
    "  --untracked     count the objects the collector does not track too,\n"
    "                  however deep (muppy.get_objects(untracked=True)):\n"
    "                  strs in a dict of strs, floats in tuples...\n"
    "  --format FMT    text (default) or json; by default the extension of\n"
    "                  -o FILE when it names one\n"
    "  -o, --output FILE  write there (atomically) instead of stdout; - is stdout\n"
    "  -h, --help      show this help and exit\n"
    "\n"
    "Options come before the program; what follows it is the program's.  A\n"
    "program that never ran (SyntaxError, no such module) gets no report.\n"
    "\n";

enum { O_LIMIT, O_SORT, O_DIFF, O_WHERE, O_UNTRACKED, O_FORMAT, O_OUTPUT, NOPTS };

static int sort_ok(const char *s)
{
    return !strcmp(s, "size") || !strcmp(s, "#") || !strcmp(s, "type");
}

static int format_ok(const char *s)
{
    return !strcmp(s, "text") || !strcmp(s, "json");
}

static const pym_opt opts[NOPTS] = {
    [O_LIMIT] = {"--limit", "-n", 1, pym_opt_is_nonneg_integer, "number", 0},
    [O_SORT] = {"--sort", NULL, 1, sort_ok, "sort key (size, # or type)", 0},
    [O_DIFF] = {"--diff", NULL, 0, NULL, NULL, 0},
    [O_WHERE] = {"--where", NULL, 0, NULL, NULL, 0},
    [O_UNTRACKED] = {"--untracked", NULL, 0, NULL, NULL, 0},
    [O_FORMAT] = {"--format", NULL, 1, format_ok, "format (text or json)", 0},
    [O_OUTPUT] = {"--output", "-o", 1, NULL, NULL, 0},
};

typedef struct {
    const char *value[NOPTS];
    const char *format;
    pym_program prog;
    const char *pos[]; /* argc slots */
} state_t;

static int parse(int argc, char **argv, void **out)
{
    state_t *st = pym_cmd_state_new(sizeof *st, argc);
    pym_opts_result res;
    int code;

    if (st == NULL)
        return PYM_EXIT_OUTPUT;
    res = (pym_opts_result){st->value, st->pos, 0, 0};
    code = pym_cmd_parse(opts, NOPTS, 1, argc, argv, help_text, &res);
    if (code < 0 && st->value[O_WHERE] && !st->value[O_DIFF])
        code = pym_usage_error("summary", "%s", "--where needs --diff");
    if (code < 0) {
        st->format = st->value[O_FORMAT];
        if (st->format == NULL)
            pym_format_of_path(st->value[O_OUTPUT], format_ok, &st->format);
        if (st->format == NULL)
            st->format = "text";
        code = pym_program_from_args(&st->prog, "summary", st->pos, res.npos);
    }
    return pym_cmd_parsed(st, code, out);
}

/* The table lines (a list of str) of rows. */
static PyObject *table(const state_t *st, PyObject *rows)
{
    const char *sort = st->value[O_SORT] ? st->value[O_SORT] : "size";
    PyObject *format_ = pym_import_attr("pympler.summary", "format_"), *it, *lines;

    if (format_ == NULL)
        return NULL;
    it = PyObject_CallFunction(format_, "OLss", rows, st->value[O_LIMIT] ? strtoll(st->value[O_LIMIT], NULL, 10) : 15LL,
                               sort, strcmp(sort, "type") ? "descending" : "ascending");
    Py_DECREF(format_);
    lines = it ? PySequence_List(it) : NULL;
    Py_XDECREF(it);
    return lines;
}

/* summarize(get_objects(untracked=...)) now. */
static PyObject *census(int untracked)
{
    PyObject *get_objects = pym_import_attr("pympler.muppy", "get_objects");
    PyObject *summarize = get_objects ? pym_import_attr("pympler.summary", "summarize") : NULL;
    PyObject *kw = summarize ? Py_BuildValue("{sO}", "untracked", untracked ? Py_True : Py_False) : NULL;
    PyObject *noargs = kw ? PyTuple_New(0) : NULL;
    PyObject *objs = noargs ? PyObject_Call(get_objects, noargs, kw) : NULL;
    PyObject *rows = objs ? PyObject_CallOneArg(summarize, objs) : NULL;
    Py_XDECREF(objs);
    Py_XDECREF(noargs);
    Py_XDECREF(kw);
    Py_XDECREF(summarize);
    Py_XDECREF(get_objects);
    return rows;
}

/* --diff: a pympler.tracker.SummaryTracker made before the program, which
 * leaves its own summaries out of its census. */
static PyObject *tracker_new(int untracked)
{
    PyObject *cls = pym_import_attr("pympler.tracker", "SummaryTracker");
    PyObject *kw = cls ? Py_BuildValue("{sO}", "untracked", untracked ? Py_True : Py_False) : NULL;
    PyObject *noargs = kw ? PyTuple_New(0) : NULL;
    PyObject *tr = noargs ? PyObject_Call(cls, noargs, kw) : NULL;
    Py_XDECREF(noargs);
    Py_XDECREF(kw);
    Py_XDECREF(cls);
    return tr;
}

/* ---------------------------------------------------------------- --where */

/* tracemalloc.start(WHERE_FRAMES) or .stop(). */
static int tracemalloc_call(const char *name)
{
    PyObject *fn = pym_import_attr("tracemalloc", name);
    PyObject *r = fn ? (!strcmp(name, "start") ? PyObject_CallFunction(fn, "i", WHERE_FRAMES) : PyObject_CallNoArgs(fn))
                     : NULL;

    Py_XDECREF(fn);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* The live objects that tracemalloc saw allocated (while the program ran),
 * grouped by their allocating line and then as summarize() groups them:
 * rows [type, count, size, file, line].  A new list. */
static PyObject *where_rows(int untracked)
{
    PyObject *get_objects = pym_import_attr("pympler.muppy", "get_objects");
    PyObject *summarize = get_objects ? pym_import_attr("pympler.summary", "summarize") : NULL;
    /* the function under tracemalloc.get_object_traceback: its raw frames,
     * (filename, lineno) tuples innermost first, without a Traceback and
     * Frame object per object (five times faster on 100k objects) */
    PyObject *get_tb = summarize ? pym_import_attr("_tracemalloc", "_get_object_traceback") : NULL;
    PyObject *kw = get_tb ? Py_BuildValue("{sO}", "untracked", untracked ? Py_True : Py_False) : NULL;
    PyObject *noargs = kw ? PyTuple_New(0) : NULL;
    PyObject *objs = noargs ? PyObject_Call(get_objects, noargs, kw) : NULL;
    PyObject *sites = objs ? PyDict_New() : NULL; /* (file, line) -> [objects] */
    PyObject *rows = NULL, *key, *group;
    Py_ssize_t pos = 0;

    if (sites == NULL || !PyList_Check(objs))
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(objs); i++) {
        PyObject *tb = PyObject_CallOneArg(get_tb, PyList_GET_ITEM(objs, i)), *frame = NULL, *k = NULL, *lst;
        int rc = -1;
        if (tb == NULL)
            goto done;
        if (tb == Py_None || PyObject_Length(tb) <= 0) { /* not traced (or failed: below) */
            Py_DECREF(tb);
            if (PyErr_Occurred())
                goto done;
            continue;
        }
        frame = PySequence_GetItem(tb, 0); /* the allocating line */
        if (frame != NULL && (!PyTuple_Check(frame) || PyTuple_GET_SIZE(frame) != 2))
            PyErr_SetString(PyExc_TypeError, "_tracemalloc gave a frame that is not (filename, lineno)");
        else if (frame != NULL)
            k = Py_NewRef(frame);
        lst = k ? PyDict_GetItemWithError(sites, k) : NULL; /* borrowed */
        if (k != NULL && lst == NULL && !PyErr_Occurred()) {
            PyObject *fresh = PyList_New(0);
            if (fresh != NULL && PyDict_SetItem(sites, k, fresh) == 0)
                lst = fresh;
            Py_XDECREF(fresh); /* the dict holds it */
        }
        if (lst != NULL)
            rc = PyList_Append(lst, PyList_GET_ITEM(objs, i));
        Py_XDECREF(k);
        Py_XDECREF(frame);
        Py_DECREF(tb);
        if (rc < 0)
            goto done;
    }
    if ((rows = PyList_New(0)) == NULL)
        goto done;
    while (PyDict_Next(sites, &pos, &key, &group)) {
        PyObject *sum = PyObject_CallOneArg(summarize, group), *it = sum ? PyObject_GetIter(sum) : NULL, *row;
        while (it && (row = PyIter_Next(it)) != NULL) {
            PyObject *r = NULL;
            if (PySequence_Check(row) && PySequence_Length(row) >= 3) {
                PyObject *t = PySequence_GetItem(row, 0), *c = PySequence_GetItem(row, 1), *z = PySequence_GetItem(row, 2);
                if (t && c && z)
                    r = Py_BuildValue("[OOOOO]", t, c, z, PyTuple_GET_ITEM(key, 0), PyTuple_GET_ITEM(key, 1));
                Py_XDECREF(t);
                Py_XDECREF(c);
                Py_XDECREF(z);
            } else if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_TypeError, "summarize() gave a row that is not [type, count, size]");
            }
            Py_DECREF(row);
            if (r == NULL || PyList_Append(rows, r) < 0) {
                Py_XDECREF(r);
                Py_CLEAR(it);
                break;
            }
            Py_DECREF(r);
        }
        Py_XDECREF(it);
        Py_XDECREF(sum);
        if (PyErr_Occurred()) {
            Py_CLEAR(rows);
            goto done;
        }
    }
done:
    Py_XDECREF(sites);
    Py_XDECREF(objs);
    Py_XDECREF(noargs);
    Py_XDECREF(kw);
    Py_XDECREF(get_tb);
    Py_XDECREF(summarize);
    Py_XDECREF(get_objects);
    return rows;
}

/* [type "@" file:line, count, size] rows of where_rows for format_. */
static PyObject *where_table_rows(PyObject *rows)
{
    PyObject *out = PyList_New(PyList_GET_SIZE(rows));

    for (Py_ssize_t i = 0; out && i < PyList_GET_SIZE(rows); i++) {
        PyObject *r = PyList_GET_ITEM(rows, i);
        PyObject *name = PyUnicode_FromFormat("%S @ %S:%S", PyList_GET_ITEM(r, 0), PyList_GET_ITEM(r, 3),
                                              PyList_GET_ITEM(r, 4));
        PyObject *row = name ? Py_BuildValue("[OOO]", name, PyList_GET_ITEM(r, 1), PyList_GET_ITEM(r, 2)) : NULL;
        Py_XDECREF(name);
        if (row == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, i, row);
    }
    return out;
}

/* ---------------------------------------------------------------- the report */

/* The rows the report is made of: the census, the tracker's diff, or with
 * --where the traced objects by site ([type, count, size, file, line]). */
static PyObject *report_rows(const state_t *st, PyObject *tracker)
{
    PyObject *rows;

    if (st->value[O_WHERE])
        rows = where_rows(st->value[O_UNTRACKED] != NULL);
    else if (tracker)
        rows = PyObject_CallMethod(tracker, "diff", NULL);
    else
        rows = census(st->value[O_UNTRACKED] != NULL);
    if (rows != NULL && st->value[O_SORT] && !strcmp(st->value[O_SORT], "type")) {
        /* format_'s sort by type compares the types of the row names (all
         * str, as in Pympler): order the rows by name first */
        PyObject *zero = PyLong_FromLong(0);
        Py_XSETREF(rows, zero ? PySequence_List(rows) : NULL);
        if (rows && pym_sort_by_item(rows, zero, 0) < 0)
            Py_CLEAR(rows);
        Py_XDECREF(zero);
    }
    return rows;
}

/* The report as one str of text. */
static PyObject *report_text(const state_t *st, PyObject *rows)
{
    PyObject *lines, *sep, *text, *nl, *trows = st->value[O_WHERE] ? where_table_rows(rows) : Py_NewRef(rows);

    lines = trows ? table(st, trows) : NULL;
    Py_XDECREF(trows);
    if (lines == NULL)
        return NULL;
    sep = PyUnicode_FromString("\n");
    text = sep ? PyUnicode_Join(sep, lines) : NULL;
    nl = text ? PyUnicode_Concat(text, sep) : NULL;
    Py_XDECREF(text);
    Py_XDECREF(sep);
    Py_DECREF(lines);
    return nl;
}

/* The report as JSON (docs/cli.md, summary schema): the rows the table
 * shows, in its order and within its limit. */
static PyObject *report_json(const state_t *st, PyObject *rows, int exit_status)
{
    const char *sort = st->value[O_SORT] ? st->value[O_SORT] : "size";
    int key = !strcmp(sort, "type") ? 0 : !strcmp(sort, "#") ? 1 : 2, where = st->value[O_WHERE] != NULL;
    long long limit = st->value[O_LIMIT] ? strtoll(st->value[O_LIMIT], NULL, 10) : 15LL;
    PyObject *sorted = PySequence_List(rows), *k = PyLong_FromLong(key), *list = NULL, *prog = NULL, *doc = NULL;
    Py_ssize_t n;

    if (sorted == NULL || k == NULL || pym_sort_by_item(sorted, k, key != 0) < 0)
        goto done;
    n = PyList_GET_SIZE(sorted) < limit ? PyList_GET_SIZE(sorted) : (Py_ssize_t)limit;
    if ((list = PyList_New(n)) == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *r = PyList_GET_ITEM(sorted, i), *t, *c, *z, *d = NULL;
        t = PySequence_GetItem(r, 0);
        c = t ? PySequence_GetItem(r, 1) : NULL;
        z = c ? PySequence_GetItem(r, 2) : NULL;
        if (z && where)
            d = Py_BuildValue("{sOsOsOsOsO}", "type", t, "count", c, "size", z, "file", PyList_GET_ITEM(r, 3), "line",
                              PyList_GET_ITEM(r, 4));
        else if (z)
            d = Py_BuildValue("{sOsOsO}", "type", t, "count", c, "size", z);
        Py_XDECREF(t);
        Py_XDECREF(c);
        Py_XDECREF(z);
        if (d == NULL) {
            Py_CLEAR(list);
            goto done;
        }
        PyList_SET_ITEM(list, i, d);
    }
    prog = pym_json_program(&st->prog, exit_status);
    if (prog == NULL)
        goto done;
    doc = Py_BuildValue("{sisssssOsOsssLsnsO}", "version", PYM_SUMMARY_JSON_VERSION, "command", "summary", "mode",
                        where ? "where" : st->value[O_DIFF] ? "diff" : "live", "untracked",
                        st->value[O_UNTRACKED] ? Py_True : Py_False, "program", prog, "sort", sort, "limit", limit,
                        "total_rows", PyList_GET_SIZE(sorted), "rows", list);
done:
    Py_XDECREF(prog);
    Py_XDECREF(list);
    Py_XDECREF(k);
    Py_XDECREF(sorted);
    if (doc == NULL)
        return NULL;
    Py_SETREF(doc, pym_json_text(doc));
    return doc;
}

/* Imported before the program, so that importing them does not count as
 * the program's.  0 or -1 with an exception. */
static int preload(const state_t *st)
{
    const char *const names[][2] = {{"pympler.muppy", "get_objects"},
                                    {"pympler.summary", "format_"},
                                    {"pympler.summary", "summarize"},
                                    {"json", "dumps"},
                                    {"_tracemalloc", "_get_object_traceback"}};
    size_t n = sizeof names / sizeof names[0] - (st->value[O_WHERE] ? 0 : 1);

    for (size_t i = 0; i < n; i++) {
        PyObject *a = pym_import_attr(names[i][0], names[i][1]);
        if (a == NULL)
            return -1;
        Py_DECREF(a);
    }
    return 0;
}

static int run(void *state, int embedded)
{
    state_t *st = state;
    PyObject *tracker = NULL, *rows, *text; /* tracker: --diff */
    pym_program_result res;
    pym_output out = {st->value[O_OUTPUT], st->format};
    int code = pym_output_check(&out), ready, where = st->value[O_WHERE] != NULL, tracing = 0, saved, ran;

    if (code >= 0)
        return code;
    ready = preload(st) == 0;
    if (ready && st->value[O_DIFF] != NULL && !where) {
        tracker = tracker_new(st->value[O_UNTRACKED] != NULL); /* the baseline */
        ready = tracker != NULL;
    }
    if (ready && where)
        ready = tracing = tracemalloc_call("start") == 0;
    if (!ready) {
        Py_XDECREF(tracker);
        PyErr_Print();
        if (tracing && tracemalloc_call("stop") < 0)
            PyErr_Clear();
        return PYM_EXIT_OUTPUT;
    }
    saved = pym_output_divert(&out);
    ran = pym_program_run(&st->prog, embedded, &res);
    pym_output_undivert(saved);
    if (ran < 0 || res.interrupted || !res.started) {
        if (ran < 0)
            PyErr_Print();
        Py_XDECREF(tracker);
        if (tracing && tracemalloc_call("stop") < 0)
            PyErr_Clear(); /* the program may have stopped it */
        return ran < 0 ? PYM_EXIT_OUTPUT : res.status;
    }
    rows = report_rows(st, tracker);
    Py_XDECREF(tracker);
    if (tracing && tracemalloc_call("stop") < 0)
        PyErr_Clear();
    text = rows ? (!strcmp(st->format, "json") ? report_json(st, rows, res.status) : report_text(st, rows)) : NULL;
    Py_XDECREF(rows);
    if (text == NULL) {
        fputs("pympler summary: the summary failed:\n", stderr);
        PyErr_Print();
        return PYM_EXIT_OUTPUT;
    }
    code = pym_output_write(&out, text);
    Py_DECREF(text);
    /* no report (4, or 141 for a closed pipe) wins; then the program's status */
    return code >= 0 ? code : res.status;
}

const pym_command pym_cmd_summary = {"summary", "run a program, then print the summary of live objects", parse, run};
