/* cmd_garbage.c: pympler garbage -- run a program as python3 would with the
 * collector saving what it frees (gc.DEBUG_SAVEALL), collect at exit, and
 * report the garbage reference cycles: text, JSON, or the graph rendered
 * in-process (pympler.garbagegraph.GarbageGraph).  --fail-on makes found
 * cycles an exit status of their own, for CI (which status wins when several
 * apply: PYM_EXIT_RULES in cli.h); --include/--exclude choose the cycles
 * that are reported and counted; --where adds allocation sites (tracemalloc
 * runs with the program). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Defaults and bounds of the options. */
#define DEFAULT_MAX_CYCLES 20  /* entries of the text report */
#define DEFAULT_MAX_MEMBERS 12 /* members per entry */
#define DEFAULT_WHERE_FRAMES 10
#define MAX_WHERE_FRAMES 1000

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
    "  --fail-on WHAT  none (default); any: exit 3 (--fail-status) when garbage\n"
    "                  cycles were found; uncollectable: when objects the\n"
    "                  collector cannot free (legacy tp_del finalizers) were;\n"
    "                  only what the filters keep counts\n"
    "  --fail-status N the exit status of --fail-on's findings (3): 1 to 255,\n"
    "                  not 2 or 4 (the command's usage and output errors)\n"
    "  --include PATTERN  report only the cycles with a member whose type's\n"
    "                  module (type.__module__) or that module's file matches\n"
    "                  the glob PATTERN (fnmatch: * ? [...]); repeatable\n"
    "  --exclude PATTERN  members whose type's module or file matches do not\n"
    "                  keep their cycle; repeatable.  A cycle is kept when one\n"
    "                  of its members is included (by an --include, or there is\n"
    "                  none) and not excluded; an object on no cycle is kept\n"
    "                  when it is itself\n"
    "  --max-cycles N  cycles the text report lists (20; 0: all); a run of\n"
    "                  cycles of one shape is listed once\n"
    "  --max-members N members listed per cycle in the text report (12; 0: all)\n"
    "  --where         trace allocations (tracemalloc) while the program runs:\n"
    "                  the text and json reports give each member's allocation\n"
    "                  site and the innermost frames of the program's own code\n"
    "  --where-frames N  frames traced per allocation (10; 1 to 1000); implies\n"
    "                  --where\n"
    "  -h, --help      show this help and exit\n"
    "\n"
    "Options come before the program; what follows it is the program's.  The\n"
    "text report ends with the program's exit status, the json report has it\n"
    "as program.exit_status.\n"
    "\n";

enum {
    O_FORMAT,
    O_OUTPUT,
    O_REDUCE,
    O_FAIL_ON,
    O_FAIL_STATUS,
    O_INCLUDE,
    O_EXCLUDE,
    O_MAX_CYCLES,
    O_MAX_MEMBERS,
    O_WHERE,
    O_WHERE_FRAMES,
    NOPTS
};
enum { FAIL_NONE, FAIL_ANY, FAIL_UNCOLLECTABLE };

static int format_ok(const char *s)
{
    return !strcmp(s, "text") || !strcmp(s, "json") || pym_graph_format_ok(s);
}

static int fail_on_ok(const char *s)
{
    return !strcmp(s, "none") || !strcmp(s, "any") || !strcmp(s, "uncollectable");
}

static int fail_status_ok(const char *s)
{
    long v = pym_opt_is_integer(s) ? strtol(s, NULL, 10) : 0;
    return v >= 1 && v <= 255 && v != PYM_EXIT_USAGE && v != PYM_EXIT_OUTPUT;
}

static int frames_ok(const char *s)
{
    long v = pym_opt_is_integer(s) ? strtol(s, NULL, 10) : 0;
    return v >= 1 && v <= MAX_WHERE_FRAMES;
}

static const pym_opt opts[NOPTS] = {
    [O_FORMAT] = {"--format", NULL, 1, format_ok, "format (text, json, svg, png, pdf or dot)", 0},
    [O_OUTPUT] = {"--output", "-o", 1, NULL, NULL, 0},
    [O_REDUCE] = {"--reduce", NULL, 0, NULL, NULL, 0},
    [O_FAIL_ON] = {"--fail-on", NULL, 1, fail_on_ok, "--fail-on value (none, any or uncollectable)", 0},
    [O_FAIL_STATUS] = {"--fail-status", NULL, 1, fail_status_ok, "status (1 to 255, not 2 or 4)", 0},
    [O_INCLUDE] = {"--include", NULL, 1, NULL, NULL, 0},
    [O_EXCLUDE] = {"--exclude", NULL, 1, NULL, NULL, 0},
    [O_MAX_CYCLES] = {"--max-cycles", NULL, 1, pym_opt_is_nonneg_integer, "number", 0},
    [O_MAX_MEMBERS] = {"--max-members", NULL, 1, pym_opt_is_nonneg_integer, "number", 0},
    [O_WHERE] = {"--where", NULL, 0, NULL, NULL, 0},
    [O_WHERE_FRAMES] = {"--where-frames", NULL, 1, frames_ok, "number of frames (1 to 1000)", 0},
};

typedef struct {
    const char *value[NOPTS];
    const char *format;
    int fail_on, fail_status, where_frames; /* where_frames 0: no --where */
    Py_ssize_t max_cycles, max_members;
    const char **include, **exclude; /* into pos[argc..3 argc) */
    int ninclude, nexclude;
    pym_program prog;
    const char *pos[]; /* 3 argc slots: positional arguments, includes, excludes */
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

/* Every value of --include and --exclude, in order (the parser keeps the
 * last of each): argv[2..] read again up to the program, as pym_cmd_parse
 * has read it already without error. */
static void collect_patterns(state_t *st, int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        int k;

        if (arg[0] != '-' || arg[1] == '\0' || !strcmp(arg, "--") || !strcmp(arg, "-m") || !strcmp(arg, "-c"))
            return;
        for (k = 0; k < NOPTS; k++) {
            size_t len = strlen(opts[k].name);
            if (!strcmp(arg, opts[k].name) || (opts[k].alias && !strcmp(arg, opts[k].alias)))
                break;
            if (!strncmp(arg, opts[k].name, len) && arg[len] == '=') {
                value = arg + len + 1;
                break;
            }
        }
        if (k == NOPTS || !opts[k].takes_value)
            continue;
        if (value == NULL && i + 1 < argc)
            value = argv[++i];
        if (k == O_INCLUDE && value)
            st->include[st->ninclude++] = value;
        else if (k == O_EXCLUDE && value)
            st->exclude[st->nexclude++] = value;
    }
}

static int parse(int argc, char **argv, void **out)
{
    state_t *st = pym_cmd_state_new(sizeof *st + 2 * (size_t)argc * sizeof(const char *), argc);
    pym_opts_result res;
    int code;

    if (st == NULL)
        return PYM_EXIT_OUTPUT;
    res = (pym_opts_result){st->value, st->pos, 0, 0};
    code = pym_cmd_parse(opts, NOPTS, 1, argc, argv, help_text, &res);
    if (code < 0) {
        const char *fail = st->value[O_FAIL_ON], *const *v = st->value;
        st->format = v[O_FORMAT] ? v[O_FORMAT] : format_of_path(v[O_OUTPUT]);
        if (st->format == NULL)
            st->format = "text";
        st->fail_on = !fail || !strcmp(fail, "none") ? FAIL_NONE : !strcmp(fail, "any") ? FAIL_ANY : FAIL_UNCOLLECTABLE;
        st->fail_status = v[O_FAIL_STATUS] ? (int)strtol(v[O_FAIL_STATUS], NULL, 10) : PYM_EXIT_CYCLES;
        st->max_cycles = v[O_MAX_CYCLES] ? (Py_ssize_t)strtoll(v[O_MAX_CYCLES], NULL, 10) : DEFAULT_MAX_CYCLES;
        st->max_members = v[O_MAX_MEMBERS] ? (Py_ssize_t)strtoll(v[O_MAX_MEMBERS], NULL, 10) : DEFAULT_MAX_MEMBERS;
        st->where_frames = v[O_WHERE_FRAMES] ? (int)strtol(v[O_WHERE_FRAMES], NULL, 10)
                           : v[O_WHERE]      ? DEFAULT_WHERE_FRAMES
                                             : 0;
        st->include = st->pos + argc;
        st->exclude = st->pos + 2 * argc;
        collect_patterns(st, argc, argv);
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

/* ---------------------------------------------------------------- tracemalloc (--where) */

/* tracemalloc.start(nframes) or .stop(). */
static int tracemalloc_call(const char *name, int nframes)
{
    PyObject *fn = pym_import_attr("tracemalloc", name);
    PyObject *r = fn ? (nframes ? PyObject_CallFunction(fn, "i", nframes) : PyObject_CallNoArgs(fn)) : NULL;

    Py_XDECREF(fn);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* ---------------------------------------------------------------- the report */

/* --where: collect (what the program left joins gc.garbage, DEBUG_SAVEALL
 * being set), take the allocation sites of gc.garbage's new objects, then
 * stop tracemalloc, so that the report is made untraced.  New dict, or NULL
 * with an exception (tracemalloc stopped either way). */
static PyObject *take_sites(const gc_state *gs)
{
    PyObject *r = PyObject_CallMethod(gs->gc, "collect", NULL), *garbage = NULL, *objs = NULL, *sites = NULL;

    garbage = r ? PyObject_GetAttrString(gs->gc, "garbage") : NULL;
    if (garbage && !PyList_Check(garbage))
        PyErr_SetString(PyExc_TypeError, "gc.garbage is not a list");
    else if (garbage)
        objs = PyList_GetSlice(garbage, gs->ngarbage, PyList_GET_SIZE(garbage));
    sites = objs ? pym_garbage_sites(objs) : NULL;
    if (tracemalloc_call("stop", 0) < 0)
        Py_CLEAR(sites);
    Py_XDECREF(objs);
    Py_XDECREF(garbage);
    Py_XDECREF(r);
    return sites;
}

/* The GarbageGraph and the output data for st->format; the report's
 * numbers in *counts. */
static PyObject *make_output(const state_t *st, const gc_state *gs, int exit_status, pym_garbage_counts *counts)
{
    static const char *const kinds[] = {[PYM_PROG_SCRIPT] = "script", [PYM_PROG_MODULE] = "module",
                                        [PYM_PROG_COMMAND] = "command"};
    PyObject *cls = pym_import_attr("pympler.garbagegraph", "GarbageGraph"), *kw, *empty, *graph = NULL;
    PyObject *report = NULL, *data = NULL, *sites = NULL;
    pym_garbage_opts o = {st->include, st->ninclude, st->exclude,         st->nexclude, NULL,
                          exit_status, kinds[st->prog.kind], st->prog.target};

    if (cls && st->where_frames && (o.sites = sites = take_sites(gs)) == NULL)
        Py_CLEAR(cls);
    /* restore=True: the collector as the run had it (gc_end puts back what
     * the command changed before), not Pympler's DEBUG_SAVEALL left on */
    kw = cls ? Py_BuildValue("{sOsO}", "reduce", st->value[O_REDUCE] ? Py_True : Py_False, "restore", Py_True)
             : NULL;
    empty = kw ? PyTuple_New(0) : NULL;
    graph = empty ? PyObject_Call(cls, empty, kw) : NULL;
    report = graph ? pym_garbage_report(graph, &o, counts) : NULL;
    if (report != NULL) {
        if (!strcmp(st->format, "json"))
            data = pym_garbage_report_json(report);
        else if (!strcmp(st->format, "text"))
            data = pym_garbage_report_text(report, st->max_cycles, st->max_members);
        else
            data = pym_graph_bytes(graph, st->format);
    }
    Py_XDECREF(sites);
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
    pym_garbage_counts counts = {0, 0, 0};
    PyObject *cls, *data;
    gc_state gs;
    int code = pym_output_check(&out);

    if (code >= 0)
        return code;
    /* imported before the program, so that their imports are not the
     * program's (tracemalloc and sysconfig make garbage when imported) */
    cls = pym_import_attr("pympler.garbagegraph", "GarbageGraph");
    Py_XDECREF(cls);
    if (cls != NULL && st->where_frames) {
        PyObject *a = pym_import_attr("tracemalloc", "start"), *b = a ? pym_import_attr("sysconfig", "get_paths") : NULL;
        Py_XDECREF(a);
        Py_XDECREF(b);
        cls = b ? cls : NULL;
    }
    if (cls == NULL || gc_start(&gs) < 0 || (st->where_frames && tracemalloc_call("start", st->where_frames) < 0)) {
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
    data = make_output(st, &gs, res.status, &counts);
    gc_end(&gs);
    if (data == NULL) {
        fputs("pympler garbage: the report failed:\n", stderr);
        PyErr_Print();
        return PYM_EXIT_OUTPUT;
    }
    code = pym_output_write(&out, data);
    Py_DECREF(data);
    /* PYM_EXIT_RULES: no report, then findings, then the program's status */
    if (code >= 0)
        return code;
    if ((st->fail_on == FAIL_ANY && counts.cycles > 0) ||
        (st->fail_on == FAIL_UNCOLLECTABLE && counts.uncollectable > 0))
        return st->fail_status;
    return res.status;
}

const pym_command pym_cmd_garbage = {"garbage", "run a program, then report its garbage reference cycles", parse,
                                     run};
