/* cmd_summary.c: pympler summary -- run a program as python3 would, then
 * print pympler.summary's table of the live objects (summarize(get_objects())),
 * or with --diff what the program added (the diff of a
 * pympler.tracker.SummaryTracker made before it, which leaves its own
 * summaries out). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "  --untracked     count the objects the collector does not track too,\n"
    "                  however deep (muppy.get_objects(untracked=True)):\n"
    "                  strs in a dict of strs, floats in tuples...\n"
    "  -h, --help      show this help and exit\n"
    "\n"
    "Options come before the program; what follows it is the program's.\n"
    "\n";

enum { O_LIMIT, O_SORT, O_DIFF, O_UNTRACKED, NOPTS };

static int sort_ok(const char *s)
{
    return !strcmp(s, "size") || !strcmp(s, "#") || !strcmp(s, "type");
}

static const pym_opt opts[NOPTS] = {
    [O_LIMIT] = {"--limit", "-n", 1, pym_opt_is_nonneg_integer, "number", 0},
    [O_SORT] = {"--sort", NULL, 1, sort_ok, "sort key (size, # or type)", 0},
    [O_DIFF] = {"--diff", NULL, 0, NULL, NULL, 0},
    [O_UNTRACKED] = {"--untracked", NULL, 0, NULL, NULL, 0},
};

typedef struct {
    const char *value[NOPTS];
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
    if (code < 0) {
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

/* The report as one str; tracker: the --diff tracker made before the
 * program, or NULL. */
static PyObject *report(const state_t *st, PyObject *tracker)
{
    PyObject *rows = tracker ? PyObject_CallMethod(tracker, "diff", NULL) : census(st->value[O_UNTRACKED] != NULL);
    PyObject *lines, *sep, *text, *nl;

    if (rows != NULL && st->value[O_SORT] && !strcmp(st->value[O_SORT], "type")) {
        /* format_'s sort by type compares the types of the row names (all
         * str, as in Pympler): order the rows by name first */
        PyObject *zero = PyLong_FromLong(0);
        Py_XSETREF(rows, zero ? PySequence_List(rows) : NULL);
        if (rows && pym_sort_by_item(rows, zero, 0) < 0)
            Py_CLEAR(rows);
        Py_XDECREF(zero);
    }
    lines = rows ? table(st, rows) : NULL;
    Py_XDECREF(rows);
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

static int run(void *state, int embedded)
{
    state_t *st = state;
    PyObject *tracker = NULL, *text; /* --diff */
    pym_program_result res;
    pym_output out = {NULL};
    int code, ready;

    /* imported now, so that importing them does not count as the program's */
    PyObject *a = pym_import_attr("pympler.muppy", "get_objects");
    PyObject *b = a ? pym_import_attr("pympler.summary", "format_") : NULL;
    ready = b != NULL;
    Py_XDECREF(a);
    Py_XDECREF(b);
    if (ready && st->value[O_DIFF] != NULL) {
        tracker = tracker_new(st->value[O_UNTRACKED] != NULL); /* the baseline */
        ready = tracker != NULL;
    }
    if (!ready || pym_program_run(&st->prog, embedded, &res) < 0) {
        Py_XDECREF(tracker);
        PyErr_Print();
        return PYM_EXIT_OUTPUT;
    }
    if (res.interrupted) {
        Py_XDECREF(tracker);
        return res.status;
    }
    text = report(st, tracker);
    Py_XDECREF(tracker);
    if (text == NULL) {
        fputs("pympler summary: the summary failed:\n", stderr);
        PyErr_Print();
        return res.status ? res.status : PYM_EXIT_OUTPUT;
    }
    code = pym_output_write(&out, text);
    Py_DECREF(text);
    if (code >= 0 && res.status == 0)
        return code;
    return res.status;
}

const pym_command pym_cmd_summary = {"summary", "run a program, then print the summary of live objects", parse, run};
