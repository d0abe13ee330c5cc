/* cmd_asizeof.c: pympler asizeof -- run the setup code in __main__, then
 * print pympler.asizeof.asized(value, ...).format() for each expression.
 * Output goes through sys.stdout (asized(stats=N) prints there too, so the
 * order is kept). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

static const char help_text[] =
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
    "\n";

enum { O_SETUP, O_DETAIL, O_LIMIT, O_STATS, O_EXPR, NOPTS };

static const pym_opt opts[NOPTS] = {
    [O_SETUP] = {"--setup", NULL, 1, NULL, NULL, 0},
    [O_DETAIL] = {"--detail", NULL, 1, pym_opt_is_integer, "number", 0},
    [O_LIMIT] = {"--limit", NULL, 1, pym_opt_is_integer, "number", 0},
    [O_STATS] = {"--stats", NULL, 1, pym_opt_is_number, "number", 0},
    [O_EXPR] = {"-c", NULL, 1, NULL, NULL, 1},
};

typedef struct {
    const char *value[NOPTS];
    int nexprs;
    const char *exprs[]; /* argc slots */
} state_t;

static int parse(int argc, char **argv, void **out)
{
    state_t *st = pym_cmd_state_new(sizeof *st, argc);
    pym_opts_result res;
    int code;

    if (st == NULL)
        return PYM_EXIT_OUTPUT;
    res = (pym_opts_result){st->value, st->exprs, 0, 0};
    code = pym_cmd_parse(opts, NOPTS, 0, argc, argv, help_text, &res);
    st->nexprs = res.npos;
    if (code < 0 && st->nexprs == 0) {
        code = pym_usage_error("asizeof", "%s", "no expression given");
    }
    return pym_cmd_parsed(st, code, out);
}

/* Returns 0, or -1 with an exception set. */
static int sizes(const state_t *st, int embedded)
{
    PyObject *ns = pym_setup_namespace(embedded, st->value[O_SETUP]), *asized = NULL, *kwargs = NULL;
    PyObject *value = NULL, *args = NULL, *sized = NULL, *text = NULL;
    int rc = -1;

    if (ns == NULL)
        return -1;
    asized = pym_import_attr("pympler.asizeof", "asized");
    kwargs = asized ? PyDict_New() : NULL;
    if (kwargs == NULL || pym_kwargs_add_number(kwargs, "detail", st->value[O_DETAIL]) < 0 ||
        pym_kwargs_add_number(kwargs, "limit", st->value[O_LIMIT]) < 0 ||
        pym_kwargs_add_number(kwargs, "stats", st->value[O_STATS]) < 0)
        goto done;
    for (int i = 0; i < st->nexprs; i++) {
        value = pym_run_code(st->exprs[i], "<expr>", Py_eval_input, ns);
        args = value ? PyTuple_Pack(1, value) : NULL;
        sized = args ? PyObject_Call(asized, args, kwargs) : NULL;
        text = sized ? PyObject_CallMethod(sized, "format", NULL) : NULL;
        if (text == NULL || pym_stdout_write_line(text) < 0)
            goto done;
        Py_CLEAR(text);
        Py_CLEAR(sized);
        Py_CLEAR(args);
        Py_CLEAR(value);
    }
    rc = 0;
done:
    Py_XDECREF(text);
    Py_XDECREF(sized);
    Py_XDECREF(args);
    Py_XDECREF(value);
    Py_XDECREF(kwargs);
    Py_XDECREF(asized);
    return rc;
}

static int run(void *state, int embedded)
{
    int code = PYM_EXIT_OK;

    if (sizes(state, embedded) < 0)
        code = pym_report_exception();
    if (pym_stdio_flush() < 0) {
        PyErr_Clear();
        fputs("pympler: error writing output\n", stderr);
        if (code == PYM_EXIT_OK)
            code = PYM_EXIT_OUTPUT;
    }
    return code;
}

const pym_command pym_cmd_asizeof = {"asizeof", "print the size of Python expressions (asized().format())", parse,
                                     run};
