/* pympler: the command-line face of the pympler package.
 *
 *   pympler asizeof [--detail N] [--limit N] [--stats N] [--setup CODE] -c EXPR
 *   pympler asizeof [options] EXPR...
 *
 * A thin command: it embeds the interpreter it was built against, runs the
 * setup code in a fresh __main__ namespace, evaluates each expression there
 * and prints pympler.asizeof.asized(value, ...).format() for each.  All the
 * work is done by the package; this file only parses options and reports.
 *
 * Output goes through Python's sys.stdout (asized(stats=N) prints there too,
 * so the order is kept); write errors are checked when flushing it and again
 * with fclose(stdout) for what C stdio printed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum pym_exit {
    PYM_EXIT_OK = 0,
    PYM_EXIT_FAILURE = 1, /* a Python exception, or an output error */
    PYM_EXIT_USAGE = 2,
};

static const char usage_text[] =
    "usage: pympler asizeof [options] -c EXPR\n"
    "       pympler asizeof [options] EXPR...\n"
    "\n"
    "Print pympler.asizeof.asized(value).format() for the value of each\n"
    "Python expression EXPR, evaluated in the namespace of the setup code.\n"
    "\n"
    "options:\n"
    "  -c EXPR         an expression to size (may be repeated)\n"
    "  --setup CODE    Python statements to run first (default: none)\n"
    "  --detail N      show referents N levels deep (default 0)\n"
    "  --limit N       recursion limit of asized (default: pympler's, 100)\n"
    "  --stats N       also print pympler's statistics, level N\n"
    "  -h, --help      show this help and exit\n"
    "\n"
    "exit status: 0 success, 1 Python exception or output error, 2 bad usage\n";

/* One option value as given on the command line; NULL when absent. */
struct options {
    const char *setup;
    const char *detail;
    const char *limit;
    const char *stats;
    const char **exprs; /* points into a caller-owned array of argc slots */
    size_t nexprs;
    int help;
};

/* ---------------------------------------------------------------- output */

/* Close C stdout and report a write error; returns the exit code to use. */
static int close_stdout(int code)
{
    if (fclose(stdout) != 0) {
        fprintf(stderr, "pympler: error writing output: %s\n", strerror(errno));
        if (code == PYM_EXIT_OK)
            code = PYM_EXIT_FAILURE;
    }
    return code;
}

static int usage_error(const char *fmt, const char *arg)
{
    fputs("pympler: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (try 'pympler --help')\n", stderr);
    return PYM_EXIT_USAGE;
}

/* ---------------------------------------------------------------- options */

static int is_integer(const char *s)
{
    char *end;
    errno = 0;
    (void)strtoll(s, &end, 10);
    return *s != '\0' && *end == '\0' && errno == 0;
}

static int is_number(const char *s)
{
    char *end;
    errno = 0;
    (void)strtod(s, &end);
    return *s != '\0' && *end == '\0' && errno == 0;
}

/* Fill *opt from argv (argv[1] is the subcommand).  Returns -1 when all is
 * well, else the exit code; bad usage has been reported on stderr. */
static int options_parse(struct options *opt, int argc, char **argv)
{
    const struct {
        const char *name;
        const char **slot; /* NULL: append to exprs */
        int (*valid)(const char *);
    } valued[] = {
        {"--setup", &opt->setup, NULL},
        {"--detail", &opt->detail, is_integer},
        {"--limit", &opt->limit, is_integer},
        {"--stats", &opt->stats, is_number},
        {"-c", NULL, NULL},
    };
    int only_args = 0;

    if (argc < 2)
        return usage_error("%s", "missing command");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        opt->help = 1;
        return -1;
    }
    if (strcmp(argv[1], "asizeof") != 0)
        return usage_error("unknown command '%s'", argv[1]);

    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        size_t k, n = sizeof valued / sizeof valued[0];

        if (only_args || arg[0] != '-' || arg[1] == '\0') {
            opt->exprs[opt->nexprs++] = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            only_args = 1;
            continue;
        }
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            opt->help = 1;
            return -1;
        }
        for (k = 0; k < n; k++) {
            size_t len = strlen(valued[k].name);
            const char *value;

            if (strncmp(arg, valued[k].name, len) != 0)
                continue;
            if (arg[len] == '=' && arg[1] == '-') {
                value = arg + len + 1; /* --name=value */
            } else if (arg[len] == '\0') {
                if (i + 1 >= argc)
                    return usage_error("option '%s' needs a value", arg);
                value = argv[++i];
            } else {
                continue;
            }
            if (valued[k].valid && !valued[k].valid(value))
                return usage_error("not a number: '%s'", value);
            if (valued[k].slot == NULL)
                opt->exprs[opt->nexprs++] = value;
            else
                *valued[k].slot = value;
            break;
        }
        if (k == n)
            return usage_error("unknown option '%s'", arg);
    }
    if (opt->nexprs == 0)
        return usage_error("%s", "no expression given");
    return -1;
}

/* ---------------------------------------------------------------- Python */

/* Start the interpreter with our own argv: no option parsing by Python. */
static int python_start(int argc, char **argv)
{
    PyConfig config;
    PyStatus status;

    PyConfig_InitPythonConfig(&config);
    config.parse_argv = 0;
    status = PyConfig_SetBytesString(&config, &config.program_name, argv[0]);
    if (PyStatus_Exception(status))
        goto error;
    status = PyConfig_SetBytesArgv(&config, argc, argv);
    if (PyStatus_Exception(status))
        goto error;
    status = Py_InitializeFromConfig(&config);
    if (PyStatus_Exception(status))
        goto error;
    PyConfig_Clear(&config);
    return 0;

error:
    PyConfig_Clear(&config);
    if (PyStatus_IsExit(status))
        return status.exitcode;
    Py_ExitStatusException(status); /* prints the message, exits 1 */
    return PYM_EXIT_FAILURE;
}

/* Put <dir of the executable>/../python first on sys.path when it holds the
 * package, so that a build tree's command uses the package built with it.
 * Returns 0, or -1 with a Python exception set. */
static int python_prepend_build_path(void)
{
    char exe[PATH_MAX], dir[PATH_MAX], probe[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash;
    PyObject *path, *entry;
    int rc;

    if (n <= 0)
        return 0;
    exe[n] = '\0';
    slash = strrchr(exe, '/');
    if (slash == NULL)
        return 0;
    *slash = '\0';
    if (snprintf(probe, sizeof probe, "%s/../python", exe) >= (int)sizeof probe)
        return 0;
    if (realpath(probe, dir) == NULL)
        return 0;
    if (snprintf(probe, sizeof probe, "%s/pympler/__init__.py", dir) >= (int)sizeof probe)
        return 0;
    if (access(probe, R_OK) != 0)
        return 0;

    path = PySys_GetObject("path"); /* borrowed */
    if (path == NULL || !PyList_Check(path)) {
        PyErr_SetString(PyExc_RuntimeError, "sys.path is not a list");
        return -1;
    }
    entry = PyUnicode_DecodeFSDefault(dir);
    if (entry == NULL)
        return -1;
    rc = PyList_Insert(path, 0, entry);
    Py_DECREF(entry);
    return rc;
}

/* Run code (mode Py_file_input or Py_eval_input) in the dict ns.  Returns a
 * new reference, or NULL with an exception set. */
static PyObject *python_run(const char *code, const char *filename, int mode, PyObject *ns)
{
    PyObject *compiled = Py_CompileString(code, filename, mode);
    PyObject *result;

    if (compiled == NULL)
        return NULL;
    result = PyEval_EvalCode(compiled, ns, ns);
    Py_DECREF(compiled);
    return result;
}

/* Add name=int(value) or name=float(value) to kwargs when value was given.
 * Returns 0, or -1 with an exception set. */
static int kwargs_add_number(PyObject *kwargs, const char *name, const char *value)
{
    PyObject *number;
    int rc;

    if (value == NULL)
        return 0;
    if (is_integer(value))
        number = PyLong_FromString(value, NULL, 10);
    else
        number = PyFloat_FromDouble(strtod(value, NULL));
    if (number == NULL)
        return -1;
    rc = PyDict_SetItemString(kwargs, name, number);
    Py_DECREF(number);
    return rc;
}

/* Write text and a newline to sys.stdout.  Returns 0, or -1 with an
 * exception set. */
static int stdout_write_line(PyObject *text)
{
    PyObject *out = PySys_GetObject("stdout"); /* borrowed */

    if (out == NULL || out == Py_None) {
        PyErr_SetString(PyExc_RuntimeError, "lost sys.stdout");
        return -1;
    }
    if (PyFile_WriteObject(text, out, Py_PRINT_RAW) < 0)
        return -1;
    return PyFile_WriteString("\n", out);
}

/* Flush sys.stdout.  Returns 0, or -1 with an exception set. */
static int stdout_flush(void)
{
    PyObject *out = PySys_GetObject("stdout"); /* borrowed */
    PyObject *r;

    if (out == NULL || out == Py_None)
        return 0;
    r = PyObject_CallMethod(out, "flush", NULL);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* The asizeof command proper.  Returns 0, or -1 with an exception set. */
static int cmd_asizeof(const struct options *opt)
{
    PyObject *main_mod, *ns, *module = NULL, *asized = NULL, *kwargs = NULL;
    PyObject *value = NULL, *args = NULL, *sized = NULL, *text = NULL;
    int rc = -1;

    main_mod = PyImport_AddModule("__main__"); /* borrowed */
    if (main_mod == NULL)
        return -1;
    ns = PyModule_GetDict(main_mod); /* borrowed */

    if (opt->setup != NULL) {
        PyObject *r = python_run(opt->setup, "<setup>", Py_file_input, ns);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }

    module = PyImport_ImportModule("pympler.asizeof");
    if (module == NULL)
        goto done;
    asized = PyObject_GetAttrString(module, "asized");
    if (asized == NULL)
        goto done;
    kwargs = PyDict_New();
    if (kwargs == NULL || kwargs_add_number(kwargs, "detail", opt->detail) < 0 ||
        kwargs_add_number(kwargs, "limit", opt->limit) < 0 ||
        kwargs_add_number(kwargs, "stats", opt->stats) < 0)
        goto done;

    for (size_t i = 0; i < opt->nexprs; i++) {
        value = python_run(opt->exprs[i], "<expr>", Py_eval_input, ns);
        if (value == NULL)
            goto done;
        args = PyTuple_Pack(1, value);
        if (args == NULL)
            goto done;
        sized = PyObject_Call(asized, args, kwargs);
        if (sized == NULL)
            goto done;
        text = PyObject_CallMethod(sized, "format", NULL);
        if (text == NULL || stdout_write_line(text) < 0)
            goto done;
        Py_CLEAR(text);
        Py_CLEAR(sized);
        Py_CLEAR(args);
        Py_CLEAR(value);
    }
    rc = stdout_flush();

done:
    Py_XDECREF(text);
    Py_XDECREF(sized);
    Py_XDECREF(args);
    Py_XDECREF(value);
    Py_XDECREF(kwargs);
    Py_XDECREF(asized);
    Py_XDECREF(module);
    return rc;
}

/* Start Python, run the command, report an exception, stop Python.
 * Returns the exit code. */
static int run(const struct options *opt, int argc, char **argv)
{
    int code = python_start(argc, argv);

    if (code != 0)
        return code;
    code = PYM_EXIT_OK;
    if (python_prepend_build_path() < 0 || cmd_asizeof(opt) < 0) {
        PyErr_Print(); /* exits the process itself on SystemExit */
        code = PYM_EXIT_FAILURE;
    }
    /* Fails when flushing sys.stdout/sys.stderr fails. */
    if (Py_FinalizeEx() < 0 && code == PYM_EXIT_OK)
        code = PYM_EXIT_FAILURE;
    return code;
}

int main(int argc, char **argv)
{
    struct options opt = {0};
    const char **exprs = calloc((size_t)argc + 1, sizeof *exprs);
    int code;

    if (exprs == NULL) {
        fputs("pympler: out of memory\n", stderr);
        return PYM_EXIT_FAILURE;
    }
    opt.exprs = exprs;
    code = options_parse(&opt, argc, argv);
    if (code < 0 && opt.help) {
        fputs(usage_text, stdout);
        code = PYM_EXIT_OK;
    } else if (code < 0) {
        code = run(&opt, argc, argv);
    }
    free(exprs);
    return close_stdout(code);
}
