/* cmd_garbage.c: pympler garbage -- run a program as python3 would with the
 * collector saving what it frees (gc.DEBUG_SAVEALL), collect at exit, and
 * report the garbage reference cycles: text, JSON, or the graph rendered
 * in-process (pympler.garbagegraph.GarbageGraph).  --fail-on makes found
 * cycles an exit status of their own, for CI. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char help_text[] =
    "usage: pympler garbage [options] SCRIPT [ARGS...]\n"
    "       pympler garbage [options] -m MODULE [ARGS...]\n"
    "       pympler garbage [options] -c CODE [ARGS...]\n"
    "\n"
    "Run the program as python3 would, with the garbage collector in debug-save\n"
    "mode (gc.DEBUG_SAVEALL: what it frees is kept), collect when it has ended,\n"
    "and report the garbage: counts by type, then each reference cycle with\n"
    "its members; or the graph of the garbage as a picture (in-process Graphviz).\n"
    "\n"
    "options:\n"
    "  --format FMT    text (default), json, svg, png, pdf or dot; by default\n"
    "                  the extension of -o FILE when it names one\n"
    "  -o, --output FILE  write there (atomically) instead of stdout; - is stdout\n"
    "  --reduce        keep only the objects on reference cycles\n"
    "  --fail-on WHAT  none (default); any: exit 3 when garbage cycles were\n"
    "                  found; uncollectable: exit 3 when objects the collector\n"
    "                  cannot free (legacy tp_del finalizers) were found\n"
    "  -h, --help      show this help and exit\n"
    "\n"
    "Options come before the program; what follows it is the program's.\n"
    "\n";

enum { O_FORMAT, O_OUTPUT, O_REDUCE, O_FAIL_ON, NOPTS };
enum { FAIL_NONE, FAIL_ANY, FAIL_UNCOLLECTABLE };

static int format_ok(const char *s)
{
    return !strcmp(s, "text") || !strcmp(s, "json") || pym_graph_format_ok(s);
}

static int fail_on_ok(const char *s)
{
    return !strcmp(s, "none") || !strcmp(s, "any") || !strcmp(s, "uncollectable");
}

static const pym_opt opts[NOPTS] = {
    [O_FORMAT] = {"--format", NULL, 1, format_ok, "format (text, json, svg, png, pdf or dot)", 0},
    [O_OUTPUT] = {"--output", "-o", 1, NULL, NULL, 0},
    [O_REDUCE] = {"--reduce", NULL, 0, NULL, NULL, 0},
    [O_FAIL_ON] = {"--fail-on", NULL, 1, fail_on_ok, "--fail-on value (none, any or uncollectable)", 0},
};

typedef struct {
    const char *value[NOPTS];
    const char *format;
    int fail_on;
    pym_program prog;
    const char *pos[]; /* argc slots */
} state_t;

/* The format named by the extension of path, for this command. */
static const char *format_of_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;

    if (dot && !strcasecmp(dot, ".json"))
        return "json";
    if (dot && !strcasecmp(dot, ".txt"))
        return "text";
    return pym_graph_format_of_path(path);
}

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
        const char *fail = st->value[O_FAIL_ON];
        st->format = st->value[O_FORMAT] ? st->value[O_FORMAT] : format_of_path(st->value[O_OUTPUT]);
        if (st->format == NULL)
            st->format = "text";
        st->fail_on = !fail || !strcmp(fail, "none") ? FAIL_NONE : !strcmp(fail, "any") ? FAIL_ANY : FAIL_UNCOLLECTABLE;
        code = pym_program_from_args(&st->prog, "garbage", st->pos, res.npos);
    }
    return pym_cmd_parsed(st, code, out);
}

/* ---------------------------------------------------------------- the collector */

/* The collector's state before the run, restored after the report. */
typedef struct {
    PyObject *gc;
    PyObject *debug;   /* the flags found */
    Py_ssize_t ngarbage; /* len(gc.garbage) found */
} gc_state;

static int gc_call_void(PyObject *gc, const char *name, PyObject *arg)
{
    PyObject *r = arg ? PyObject_CallMethod(gc, name, "O", arg) : PyObject_CallMethod(gc, name, NULL);

    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* Collect what is garbage already (not the program's), then set
 * DEBUG_SAVEALL on top of the flags found. */
static int gc_start(gc_state *s)
{
    PyObject *garbage = NULL, *saveall = NULL, *flags = NULL;
    int rc = -1;

    memset(s, 0, sizeof *s);
    s->gc = PyImport_ImportModule("gc");
    if (s->gc == NULL || gc_call_void(s->gc, "collect", NULL) < 0)
        return -1;
    s->debug = PyObject_CallMethod(s->gc, "get_debug", NULL);
    garbage = s->debug ? PyObject_GetAttrString(s->gc, "garbage") : NULL;
    if (garbage == NULL || (s->ngarbage = PyObject_Length(garbage)) < 0)
        goto done;
    saveall = PyObject_GetAttrString(s->gc, "DEBUG_SAVEALL");
    flags = saveall ? PyNumber_Or(s->debug, saveall) : NULL;
    if (flags && gc_call_void(s->gc, "set_debug", flags) == 0)
        rc = 0;
done:
    Py_XDECREF(flags);
    Py_XDECREF(saveall);
    Py_XDECREF(garbage);
    return rc;
}

/* Restore the flags and drop from gc.garbage what the run added; keeps a
 * pending exception. */
static void gc_end(gc_state *s)
{
    PyObject *type, *value, *tb, *garbage;

    PyErr_Fetch(&type, &value, &tb);
    if (s->gc && s->debug && gc_call_void(s->gc, "set_debug", s->debug) < 0)
        PyErr_Clear();
    garbage = s->gc ? PyObject_GetAttrString(s->gc, "garbage") : NULL;
    if (garbage && PyList_Check(garbage) && PyList_GET_SIZE(garbage) > s->ngarbage &&
        PyList_SetSlice(garbage, s->ngarbage, PyList_GET_SIZE(garbage), NULL) < 0)
        PyErr_Clear();
    if (garbage == NULL)
        PyErr_Clear();
    Py_XDECREF(garbage);
    Py_CLEAR(s->debug);
    Py_CLEAR(s->gc);
    PyErr_Restore(type, value, tb);
}

/* ---------------------------------------------------------------- the report */

/* The GarbageGraph and the output data for st->format; *ncycles and
 * *nuncollectable from the report. */
static PyObject *make_output(const state_t *st, Py_ssize_t *ncycles, Py_ssize_t *nuncollectable)
{
    PyObject *cls = pym_import_attr("pympler.garbagegraph", "GarbageGraph"), *kw, *empty, *graph = NULL;
    PyObject *report = NULL, *data = NULL;

    kw = cls ? Py_BuildValue("{sO}", "reduce", st->value[O_REDUCE] ? Py_True : Py_False) : NULL;
    empty = kw ? PyTuple_New(0) : NULL;
    graph = empty ? PyObject_Call(cls, empty, kw) : NULL;
    report = graph ? pym_garbage_report(graph, ncycles, nuncollectable) : NULL;
    if (report != NULL) {
        if (!strcmp(st->format, "json"))
            data = pym_garbage_report_json(report);
        else if (!strcmp(st->format, "text"))
            data = pym_garbage_report_text(report);
        else
            data = pym_graph_bytes(graph, st->format);
    }
    Py_XDECREF(report);
    Py_XDECREF(graph);
    Py_XDECREF(empty);
    Py_XDECREF(kw);
    Py_XDECREF(cls);
    return data;
}

static int run(void *state, int embedded)
{
    state_t *st = state;
    pym_output out = {st->value[O_OUTPUT], st->format};
    pym_program_result res;
    Py_ssize_t ncycles = 0, nuncollectable = 0;
    PyObject *cls, *data;
    gc_state gs;
    int code = pym_output_check(&out);

    if (code >= 0)
        return code;
    /* imported before the program, so that its import is not the program's */
    cls = pym_import_attr("pympler.garbagegraph", "GarbageGraph");
    Py_XDECREF(cls);
    if (cls == NULL || gc_start(&gs) < 0) {
        if (cls != NULL)
            gc_end(&gs); /* releases what gc_start took */
        PyErr_Print();
        return PYM_EXIT_OUTPUT;
    }
    int saved = pym_output_divert(&out);
    int ran = pym_program_run(&st->prog, embedded, &res);
    pym_output_undivert(saved);
    if (ran < 0) {
        gc_end(&gs);
        PyErr_Print();
        return PYM_EXIT_OUTPUT;
    }
    if (res.interrupted || !res.started) { /* no report: python3's error only */
        gc_end(&gs);
        return res.status;
    }
    data = make_output(st, &ncycles, &nuncollectable);
    gc_end(&gs);
    if (data == NULL) {
        fputs("pympler garbage: the report failed:\n", stderr);
        PyErr_Print();
        return res.status ? res.status : PYM_EXIT_OUTPUT;
    }
    code = pym_output_write(&out, data);
    Py_DECREF(data);
    if (res.status != 0)
        return res.status;
    if (code >= 0)
        return code;
    if ((st->fail_on == FAIL_ANY && ncycles > 0) || (st->fail_on == FAIL_UNCOLLECTABLE && nuncollectable > 0))
        return PYM_EXIT_CYCLES;
    return PYM_EXIT_OK;
}

const pym_command pym_cmd_garbage = {"garbage", "run a program, then report its garbage reference cycles", parse,
                                     run};
