/* cmd_track.c: pympler track -- run a program with chosen classes tracked
 * (pympler.classtracker), snapshots every --interval seconds, and write the
 * HTML report (classtracker_stats.HtmlStats) when it ends: also after an
 * uncaught exception or sys.exit, keeping the program's exit status.
 *
 * A class is named MODULE.QUALNAME, as ClassTracker names it.  The program
 * defines its classes as it runs, so they cannot be tracked beforehand:
 * while it runs, builtins.__build_class__ (what every class statement
 * calls) is wrapped, and a class whose module and qualified name match is
 * tracked as soon as it is made, in __main__ and in the modules it imports.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_INTERVAL "1.0"

static const char help_text[] =
    "usage: pympler track --class MODULE.CLASS [--class ...] [options] -o REPORT.html SCRIPT [ARGS...]\n"
    "       pympler track --class MODULE.CLASS [options] -o REPORT.html -m MODULE [ARGS...]\n"
    "       pympler track --class MODULE.CLASS [options] -o REPORT.html -c CODE [ARGS...]\n"
    "\n"
    "Run the program as python3 would with the instances of the named classes\n"
    "tracked (pympler.classtracker), a snapshot every --interval seconds and\n"
    "one at the end, and write the HTML report (classtracker_stats.HtmlStats:\n"
    "REPORT.html and its REPORT_files/ folder) when the program ends -- also\n"
    "after an uncaught exception or sys.exit; the program's exit status is kept.\n"
    "\n"
    "options:\n"
    "  --class NAME    a class to track, as MODULE.QUALNAME (__main__.Node for a\n"
    "                  class of the script); tracked when the program defines it;\n"
    "                  repeat for more classes\n"
    "  --interval S    seconds between snapshots (default " DEFAULT_INTERVAL "; 0: only the\n"
    "                  snapshot at the end)\n"
    "  --resolution N  levels of referents sized and named in each snapshot\n"
    "                  (ClassTracker's resolution_level; default 0)\n"
    "  -o, --output FILE  the report (.html or .htm; required)\n"
    "  -h, --help      show this help and exit\n"
    "\n"
    "Options come before the program; what follows it is the program's.  A\n"
    "class the program never defines is named on stderr.\n"
    "\n";

enum { O_CLASS, O_INTERVAL, O_RESOLUTION, O_OUTPUT, NOPTS };

static int interval_ok(const char *s)
{
    char *end;
    double v = pym_opt_is_number(s) ? strtod(s, &end) : -1;
    return v >= 0 && v <= 86400;
}

static const pym_opt opts[NOPTS] = {
    [O_CLASS] = {"--class", NULL, 1, NULL, NULL, 0},
    [O_INTERVAL] = {"--interval", NULL, 1, interval_ok, "interval (seconds, 0 to 86400)", 0},
    [O_RESOLUTION] = {"--resolution", NULL, 1, pym_opt_is_nonneg_integer, "number", 0},
    [O_OUTPUT] = {"--output", "-o", 1, NULL, NULL, 0},
};

typedef struct {
    const char *value[NOPTS];
    const char **classes; /* into pos[argc..2 argc) */
    int nclasses;
    double interval;
    long resolution;
    pym_program prog;
    const char *pos[]; /* 2 argc slots: positional arguments, class names */
} state_t;

/* Every --class value, in order (the parser keeps the last): argv read again
 * up to the program, as cmd_garbage reads its patterns. */
static void collect_classes(state_t *st, int argc, char **argv)
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
        if (k == O_CLASS && value)
            st->classes[st->nclasses++] = value;
    }
}

static int parse(int argc, char **argv, void **out)
{
    state_t *st = pym_cmd_state_new(sizeof *st + (size_t)argc * sizeof(const char *), argc);
    pym_opts_result res;
    int code;

    if (st == NULL)
        return PYM_EXIT_OUTPUT;
    res = (pym_opts_result){st->value, st->pos, 0, 0};
    code = pym_cmd_parse(opts, NOPTS, 1, argc, argv, help_text, &res);
    if (code < 0) {
        const char *o = st->value[O_OUTPUT], *dot = o ? strrchr(o, '.') : NULL;
        st->classes = st->pos + argc;
        collect_classes(st, argc, argv);
        if (st->nclasses == 0)
            code = pym_usage_error("track", "%s", "--class MODULE.CLASS is required (the classes to track)");
        for (int i = 0; code < 0 && i < st->nclasses; i++) {
            const char *c = st->classes[i], *d = strrchr(c, '.');
            if (!d || d == c || !d[1])
                code = pym_usage_error("track", "--class %s: name the class as MODULE.CLASS (e.g. __main__.Node)", c);
        }
        if (code < 0 && (!o || !strcmp(o, "-")))
            code = pym_usage_error("track", "%s", "-o REPORT.html is required (the report is a page and a folder)");
        else if (code < 0 && (!dot || (strcasecmp(dot, ".html") && strcasecmp(dot, ".htm"))))
            code = pym_usage_error("track", "-o %s: the report is HTML, name it .html", o);
        st->interval = strtod(st->value[O_INTERVAL] ? st->value[O_INTERVAL] : DEFAULT_INTERVAL, NULL);
        st->resolution = st->value[O_RESOLUTION] ? strtol(st->value[O_RESOLUTION], NULL, 10) : 0;
        if (code < 0)
            code = pym_program_from_args(&st->prog, "track", st->pos, res.npos);
    }
    return pym_cmd_parsed(st, code, out);
}

/* ---- the class hook -------------------------------------------------------- */

/* What the wrapper of __build_class__ needs: held by a capsule. */
typedef struct {
    PyObject *original; /* builtins.__build_class__ */
    PyObject *tracker;
    PyObject *wanted;   /* set of MODULE.QUALNAME still to track */
    long resolution;
} hook_t;

static void hook_free(PyObject *capsule)
{
    hook_t *h = PyCapsule_GetPointer(capsule, "pympler.track.hook");
    if (!h)
        return;
    Py_XDECREF(h->original);
    Py_XDECREF(h->tracker);
    Py_XDECREF(h->wanted);
    PyMem_Free(h);
}

/* __build_class__(func, name, *bases, **kw): the original's class, tracked
 * when it is one of the wanted.  A failure to track is the program's
 * exception at its class statement (as a TypeError of track_class would be). */
static PyObject *build_class(PyObject *capsule, PyObject *args, PyObject *kwds)
{
    hook_t *h = PyCapsule_GetPointer(capsule, "pympler.track.hook");
    if (!h)
        return NULL;
    PyObject *cls = PyObject_Call(h->original, args, kwds);
    if (!cls || !PyType_Check(cls) || PySet_GET_SIZE(h->wanted) == 0)
        return cls;
    PyObject *mod = PyObject_GetAttrString(cls, "__module__");
    PyObject *qual = mod ? PyObject_GetAttrString(cls, "__qualname__") : NULL;
    PyObject *name = qual && PyUnicode_Check(mod) && PyUnicode_Check(qual) ? PyUnicode_FromFormat("%U.%U", mod, qual)
                                                                          : NULL;
    Py_XDECREF(mod);
    Py_XDECREF(qual);
    if (!name) {
        PyErr_Clear(); /* not a class we could have been asked for */
        return cls;
    }
    int want = PySet_Discard(h->wanted, name);
    if (want > 0) {
        PyObject *kw = Py_BuildValue("{sOsl}", "name", name, "resolution_level", h->resolution);
        PyObject *track = kw ? PyObject_GetAttrString(h->tracker, "track_class") : NULL;
        PyObject *a = track ? PyTuple_Pack(1, cls) : NULL;
        PyObject *r = a ? PyObject_Call(track, a, kw) : NULL;
        Py_XDECREF(kw);
        Py_XDECREF(track);
        Py_XDECREF(a);
        if (!r)
            Py_CLEAR(cls);
        Py_XDECREF(r);
    } else if (want < 0) {
        Py_CLEAR(cls);
    }
    Py_DECREF(name);
    return cls;
}

static PyMethodDef build_class_def = {"__build_class__", (PyCFunction)(void (*)(void))build_class,
                                      METH_VARARGS | METH_KEYWORDS,
                                      "__build_class__(func, name, *bases, **kwds): the builtin's, and the class "
                                      "tracked when pympler track was asked to (cli/cmd_track.c)."};

/* Install the hook: returns the builtins module's original __build_class__
 * (new reference) for hook_remove, or NULL. */
static PyObject *hook_install(PyObject *tracker, PyObject *wanted, long resolution)
{
    PyObject *builtins = PyImport_ImportModule("builtins"), *orig = NULL, *capsule = NULL, *fn = NULL;
    hook_t *h = NULL;
    if (!builtins || !(orig = PyObject_GetAttrString(builtins, "__build_class__")) ||
        !(h = PyMem_Calloc(1, sizeof *h))) {
        if (builtins && orig && !h)
            PyErr_NoMemory();
        goto fail;
    }
    h->original = Py_NewRef(orig);
    h->tracker = Py_NewRef(tracker);
    h->wanted = Py_NewRef(wanted);
    h->resolution = resolution;
    if (!(capsule = PyCapsule_New(h, "pympler.track.hook", hook_free))) {
        Py_DECREF(h->original);
        Py_DECREF(h->tracker);
        Py_DECREF(h->wanted);
        PyMem_Free(h);
        goto fail;
    }
    if (!(fn = PyCFunction_NewEx(&build_class_def, capsule, NULL)) ||
        PyObject_SetAttrString(builtins, "__build_class__", fn) < 0)
        goto fail;
    Py_DECREF(capsule);
    Py_DECREF(fn);
    Py_DECREF(builtins);
    return orig;
fail:
    Py_XDECREF(capsule);
    Py_XDECREF(fn);
    Py_XDECREF(orig);
    Py_XDECREF(builtins);
    return NULL;
}

static void hook_remove(PyObject *orig)
{
    PyObject *builtins = PyImport_ImportModule("builtins");
    if (!builtins || PyObject_SetAttrString(builtins, "__build_class__", orig) < 0)
        PyErr_Print();
    Py_XDECREF(builtins);
}

/* ---- the run --------------------------------------------------------------- */

static int call0(PyObject *o, const char *method, const char *arg)
{
    PyObject *r = arg ? PyObject_CallMethod(o, method, "s", arg) : PyObject_CallMethod(o, method, NULL);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* The end: the last snapshot and the report.  0, or -1 with an exception. */
static int report(const state_t *st, PyObject *tracker)
{
    PyObject *cls = pym_import_attr("pympler.classtracker_stats", "HtmlStats"), *stats = NULL, *r = NULL;
    if (!cls || call0(tracker, "stop_periodic_snapshots", NULL) < 0 ||
        call0(tracker, "create_snapshot", "at the end of the program") < 0)
        goto done;
    PyObject *kw = Py_BuildValue("{sO}", "tracker", tracker), *noargs = kw ? PyTuple_New(0) : NULL;
    stats = noargs ? PyObject_Call(cls, noargs, kw) : NULL;
    Py_XDECREF(kw);
    Py_XDECREF(noargs);
    if (stats)
        r = PyObject_CallMethod(stats, "create_html", "s", st->value[O_OUTPUT]);
done:
    Py_XDECREF(cls);
    Py_XDECREF(stats);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static int run(void *state, int embedded)
{
    state_t *st = state;
    PyObject *ctor = pym_import_attr("pympler.classtracker", "ClassTracker"), *tracker = NULL, *wanted = NULL;
    PyObject *orig = NULL;
    pym_program_result res;
    int ran, code;

    /* imported now, so that the program's run does not import them */
    PyObject *html = ctor ? pym_import_attr("pympler.classtracker_stats", "HtmlStats") : NULL;
    Py_XDECREF(html);
    if (!html || !(tracker = PyObject_CallNoArgs(ctor)) || !(wanted = PySet_New(NULL)))
        goto fail;
    for (int i = 0; i < st->nclasses; i++) {
        PyObject *n = PyUnicode_DecodeFSDefault(st->classes[i]);
        if (!n || PySet_Add(wanted, n) < 0) {
            Py_XDECREF(n);
            goto fail;
        }
        Py_DECREF(n);
    }
    if (!(orig = hook_install(tracker, wanted, st->resolution)))
        goto fail;
    if (st->interval > 0) {
        PyObject *r = PyObject_CallMethod(tracker, "start_periodic_snapshots", "d", st->interval);
        if (!r) {
            hook_remove(orig);
            goto fail;
        }
        Py_DECREF(r);
    }
    ran = pym_program_run(&st->prog, embedded, &res);
    hook_remove(orig);
    if (ran < 0 || res.interrupted || !res.started) {
        if (ran < 0)
            PyErr_Print();
        if (call0(tracker, "close", NULL) < 0)
            PyErr_Clear();
        code = ran < 0 ? PYM_EXIT_OUTPUT : res.status;
        goto done;
    }
    /* the classes the program never made */
    PyObject *left = PySequence_List(wanted);
    if (left && PyList_Sort(left) == 0)
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(left); i++)
            fprintf(stderr, "pympler track: class %s was never defined by the program: not tracked\n",
                    PyUnicode_AsUTF8(PyList_GET_ITEM(left, i)) ? PyUnicode_AsUTF8(PyList_GET_ITEM(left, i)) : "?");
    Py_XDECREF(left);
    PyErr_Clear();
    if (report(st, tracker) < 0) {
        fputs("pympler track: the report was not written:\n", stderr);
        PyErr_Print();
        code = PYM_EXIT_OUTPUT;
    } else {
        code = res.status;
    }
    if (call0(tracker, "close", NULL) < 0)
        PyErr_Clear();
    goto done;
fail:
    PyErr_Print();
    code = PYM_EXIT_OUTPUT;
done:
    Py_XDECREF(ctor);
    Py_XDECREF(tracker);
    Py_XDECREF(wanted);
    Py_XDECREF(orig);
    return code;
}

const pym_command pym_cmd_track = {"track", "run a program with classes tracked, then write the HTML report", parse,
                                   run};
