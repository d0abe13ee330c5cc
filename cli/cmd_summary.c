/* cmd_summary.c: pympler summary -- run a program as python3 would, then
 * print pympler.summary's table of the live objects (summarize(get_objects())),
 * or with --diff what the program added (summary.get_diff of summaries taken
 * before and after it, the command's own objects left out). */
#include "cli.h"

#include <stdint.h>
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

/* ---------------------------------------------------------------- the baseline of --diff */

/* The objects of the baseline summary: the list, its rows, and the row
 * items only the rows refer to -- the command's own, left out of the second
 * summary (what pympler.base.SummaryTracker(ignore_self=True) does).
 * Kept as a sorted C array of borrowed pointers, off the Python heap, so that
 * keeping it adds no object to the census. */
typedef struct {
    PyObject **objs;
    size_t n;
} own_set;

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (PyObject *const *)a, y = (uintptr_t) * (PyObject *const *)b;
    return x < y ? -1 : x > y;
}

static int own_set_build(own_set *own, PyObject *base)
{
    Py_ssize_t nrows = PyList_GET_SIZE(base), cap = 1 + nrows * 4;

    own->n = 0;
    own->objs = malloc((size_t)cap * sizeof *own->objs);
    if (own->objs == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    own->objs[own->n++] = base;
    for (Py_ssize_t i = 0; i < nrows; i++) {
        PyObject *row = PyList_GET_ITEM(base, i);
        own->objs[own->n++] = row;
        if (!PyList_Check(row))
            continue;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(row) && j < 3; j++)
            if (Py_REFCNT(PyList_GET_ITEM(row, j)) == 1)
                own->objs[own->n++] = PyList_GET_ITEM(row, j);
    }
    qsort(own->objs, own->n, sizeof *own->objs, ptr_cmp);
    return 0;
}

/* summarize(get_objects(untracked=...)) without the objects of own (may
 * be NULL). */
static PyObject *census(const own_set *own, int untracked)
{
    PyObject *get_objects = pym_import_attr("pympler.muppy", "get_objects");
    PyObject *summarize = get_objects ? pym_import_attr("pympler.summary", "summarize") : NULL;
    PyObject *kw = summarize ? Py_BuildValue("{sO}", "untracked", untracked ? Py_True : Py_False) : NULL;
    PyObject *noargs = kw ? PyTuple_New(0) : NULL;
    PyObject *objs = noargs ? PyObject_Call(get_objects, noargs, kw) : NULL, *kept = NULL, *rows = NULL;
    Py_XDECREF(kw);
    Py_XDECREF(noargs);

    if (objs != NULL && own != NULL && PyList_Check(objs)) {
        kept = PyList_New(0);
        for (Py_ssize_t i = 0; kept && i < PyList_GET_SIZE(objs); i++) {
            PyObject *o = PyList_GET_ITEM(objs, i);
            if (!bsearch(&o, own->objs, own->n, sizeof *own->objs, ptr_cmp) && PyList_Append(kept, o) < 0)
                Py_CLEAR(kept);
        }
        Py_SETREF(objs, kept);
    }
    rows = objs ? PyObject_CallOneArg(summarize, objs) : NULL;
    Py_XDECREF(objs);
    Py_XDECREF(summarize);
    Py_XDECREF(get_objects);
    return rows;
}

/* The rows to print: the census now, or its difference from base. */
static PyObject *report_rows(PyObject *base, int untracked)
{
    own_set own = {NULL, 0};
    PyObject *now, *diff, *sweep;

    if (base == NULL)
        return census(NULL, untracked);
    if (own_set_build(&own, base) < 0)
        return NULL;
    now = census(&own, untracked);
    free(own.objs);
    if (now == NULL)
        return NULL;
    diff = pym_import_attr("pympler.summary", "get_diff");
    sweep = diff ? pym_import_attr("pympler.summary", "_sweep") : NULL;
    Py_XSETREF(diff, sweep ? PyObject_CallFunctionObjArgs(diff, base, now, NULL) : NULL);
    Py_DECREF(now);
    Py_XSETREF(diff, diff ? PyObject_CallOneArg(sweep, diff) : NULL);
    Py_XDECREF(sweep);
    return diff;
}

/* The report as one str; base is the summary taken before the program
 * (--diff) or NULL. */
static PyObject *report(const state_t *st, PyObject *base)
{
    PyObject *rows = report_rows(base, st->value[O_UNTRACKED] != NULL), *lines, *sep, *text, *nl;

    if (rows != NULL && st->value[O_SORT] && !strcmp(st->value[O_SORT], "type")) {
        /* format_'s sort by type compares the types of the row names (all
         * str, as in Pympler): order the rows by name first */
        PyObject *sorted = PyEval_GetBuiltins() ? PyDict_GetItemString(PyEval_GetBuiltins(), "sorted") : NULL;
        PyObject *key = sorted ? pym_import_attr("operator", "itemgetter") : NULL;
        PyObject *k = key ? PyObject_CallFunction(key, "i", 0) : NULL;
        PyObject *args = k ? PyTuple_Pack(1, rows) : NULL, *kw = args ? Py_BuildValue("{sO}", "key", k) : NULL;
        Py_XSETREF(rows, kw ? PyObject_Call(sorted, args, kw) : NULL);
        Py_XDECREF(kw);
        Py_XDECREF(args);
        Py_XDECREF(k);
        Py_XDECREF(key);
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
    PyObject *base = NULL, *text; /* the summary before the program (--diff) */
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
        base = census(NULL, st->value[O_UNTRACKED] != NULL); /* the baseline */
        ready = base != NULL;
    }
    if (!ready || pym_program_run(&st->prog, embedded, &res) < 0) {
        Py_XDECREF(base);
        PyErr_Print();
        return PYM_EXIT_OUTPUT;
    }
    if (res.interrupted) {
        Py_XDECREF(base);
        return res.status;
    }
    text = report(st, base);
    Py_XDECREF(base);
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
