/* cmd_asizeof.c: pympler asizeof -- run the setup code in __main__, then
 * print pympler.asizeof.asized(value, ...).format() for each expression,
 * or the same sizes as JSON (schema: docs/cli.md).  Text to stdout goes
 * through sys.stdout line by line (asized(stats=N) prints there too, so the
 * order is kept); to a file, or as JSON, the report is written at the end. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "  --stats N       also print pympler's statistics, level N (to stdout;\n"
    "                  with a json report on stdout, to stderr)\n"
    "  --format FMT    text (default) or json; by default the extension of\n"
    "                  -o FILE when it names one\n"
    "  -o, --output FILE  write there (atomically) instead of stdout; - is stdout\n"
    "  -h, --help      show this help and exit\n"
    "\n";

enum { O_SETUP, O_DETAIL, O_LIMIT, O_STATS, O_EXPR, O_FORMAT, O_OUTPUT, NOPTS };

static int format_ok(const char *s)
{
    return !strcmp(s, "text") || !strcmp(s, "json");
}

static const pym_opt opts[NOPTS] = {
    [O_SETUP] = {"--setup", NULL, 1, NULL, NULL, 0},
    [O_DETAIL] = {"--detail", NULL, 1, pym_opt_is_integer, "number", 0},
    [O_LIMIT] = {"--limit", NULL, 1, pym_opt_is_integer, "number", 0},
    [O_STATS] = {"--stats", NULL, 1, pym_opt_is_number, "number", 0},
    [O_EXPR] = {"-c", NULL, 1, NULL, NULL, 1},
    [O_FORMAT] = {"--format", NULL, 1, format_ok, "format (text or json)", 0},
    [O_OUTPUT] = {"--output", "-o", 1, NULL, NULL, 0},
};

typedef struct {
    const char *value[NOPTS];
    const char *format;
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
    } else if (code < 0) {
        st->format = st->value[O_FORMAT];
        if (st->format == NULL)
            pym_format_of_path(st->value[O_OUTPUT], format_ok, &st->format);
        if (st->format == NULL)
            st->format = "text";
    }
    return pym_cmd_parsed(st, code, out);
}

/* {"name", "size", "flat", "refs": [...]} of an Asized (refs as deep as
 * --detail made them). */
static PyObject *sized_dict(PyObject *sized, int depth)
{
    PyObject *name = PyObject_GetAttrString(sized, "name"), *size = NULL, *flat = NULL, *refs = NULL, *list = NULL;
    PyObject *d = NULL;

    if (depth > Py_GetRecursionLimit()) {
        PyErr_SetString(PyExc_RecursionError, "asized refs too deep");
        goto done;
    }
    if (name && (size = PyObject_GetAttrString(sized, "size")) && (flat = PyObject_GetAttrString(sized, "flat")) &&
        (refs = PyObject_GetAttrString(sized, "refs")) && (list = PyList_New(0))) {
        PyObject *it = PyObject_GetIter(refs), *r;
        while (it && (r = PyIter_Next(it)) != NULL) {
            PyObject *rd = sized_dict(r, depth + 1);
            Py_DECREF(r);
            if (rd == NULL || PyList_Append(list, rd) < 0) {
                Py_XDECREF(rd);
                break;
            }
            Py_DECREF(rd);
        }
        Py_XDECREF(it);
        if (!PyErr_Occurred())
            d = Py_BuildValue("{sOsOsOsO}", "name", name, "size", size, "flat", flat, "refs", list);
    }
done:
    Py_XDECREF(list);
    Py_XDECREF(refs);
    Py_XDECREF(flat);
    Py_XDECREF(size);
    Py_XDECREF(name);
    return d;
}

/* Where the sizes go: line by line to stdout (report NULL), or into
 * report: a list of lines (text) or of value dicts (json). */
typedef struct {
    const pym_output *out;
    int json;
    PyObject *report;
    int out_status; /* >= 0: a write to stdout failed with this status */
} sink;

/* Size each expression into k.  Returns 0, or -1 with an exception set (an
 * expression's, or asized's), or -1 with k->out_status set (stdout failed,
 * reported). */
static int sizes(const state_t *st, int embedded, sink *k)
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
        if (sized == NULL)
            goto done;
        if (k->json) {
            PyObject *d = sized_dict(sized, 0), *expr = d ? PyUnicode_DecodeFSDefault(st->exprs[i]) : NULL;
            /* "expr" first in the document */
            text = expr ? Py_BuildValue("{sOsOsOsOsO}", "expr", expr, "name", PyDict_GetItemString(d, "name"), "size",
                                          PyDict_GetItemString(d, "size"), "flat", PyDict_GetItemString(d, "flat"),
                                          "refs", PyDict_GetItemString(d, "refs"))
                          : NULL;
            Py_XDECREF(expr);
            Py_XDECREF(d);
            if (text == NULL || PyList_Append(k->report, text) < 0)
                goto done;
        } else {
            text = PyObject_CallMethod(sized, "format", NULL);
            if (text == NULL)
                goto done;
            if (k->report != NULL) {
                if (PyList_Append(k->report, text) < 0)
                    goto done;
            } else {
                PyObject *nl = PyUnicode_FromFormat("%U\n", text);
                int w = nl ? pym_output_write(k->out, nl) : -2;
                Py_XDECREF(nl);
                if (w == -2)
                    goto done;
                if (w >= 0) { /* reported */
                    k->out_status = w;
                    goto done;
                }
            }
        }
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

/* The collected report as one str: the lines, or the JSON document. */
static PyObject *report_text(const state_t *st, const sink *k)
{
    PyObject *doc, *text;

    if (!k->json) {
        PyObject *sep = PyUnicode_FromString("\n"), *joined = sep ? PyUnicode_Join(sep, k->report) : NULL;
        text = joined ? PyUnicode_FromFormat(PyList_GET_SIZE(k->report) ? "%U\n" : "%U", joined) : NULL;
        Py_XDECREF(joined);
        Py_XDECREF(sep);
        return text;
    }
    PyObject *setup = st->value[O_SETUP] ? PyUnicode_DecodeFSDefault(st->value[O_SETUP]) : Py_NewRef(Py_None);
    doc = setup ? Py_BuildValue("{sisssNsO}", "version", PYM_ASIZEOF_JSON_VERSION, "command", "asizeof", "setup", setup,
                                "values", k->report)
                : NULL;
    if (doc == NULL)
        return NULL;
    for (int i = 0; i < 3; i++) {
        static const char *const names[] = {"detail", "limit", "stats"};
        const char *v = st->value[i == 0 ? O_DETAIL : i == 1 ? O_LIMIT : O_STATS];
        if (v == NULL && PyDict_SetItemString(doc, names[i], Py_None) < 0)
            goto fail;
        if (v != NULL && pym_kwargs_add_number(doc, names[i], v) < 0)
            goto fail;
    }
    text = pym_json_text(doc);
    Py_DECREF(doc);
    return text;
fail:
    Py_DECREF(doc);
    return NULL;
}

static int run(void *state, int embedded)
{
    state_t *st = state;
    pym_output out = {st->value[O_OUTPUT], st->format};
    sink k = {&out, !strcmp(st->format, "json"), NULL, -1};
    int code = pym_output_check(&out), saved;
    PyObject *text;

    if (code >= 0)
        return code;
    /* to a file or as JSON: collected, written at the end */
    if ((k.json || (out.path && strcmp(out.path, "-"))) && (k.report = PyList_New(0)) == NULL) {
        PyErr_Print();
        return PYM_EXIT_OUTPUT;
    }
    saved = pym_output_divert(&out);
    if (sizes(state, embedded, &k) < 0) {
        pym_output_undivert(saved);
        Py_XDECREF(k.report);
        return k.out_status >= 0 ? k.out_status : pym_report_exception();
    }
    pym_output_undivert(saved);
    if (k.report == NULL) {
        if (pym_stdio_flush() < 0)
            return pym_stdout_error();
        return PYM_EXIT_OK;
    }
    text = report_text(st, &k);
    Py_DECREF(k.report);
    if (text == NULL) {
        fputs("pympler asizeof: the report failed:\n", stderr);
        PyErr_Print();
        return PYM_EXIT_OUTPUT;
    }
    code = pym_output_write(&out, text);
    Py_DECREF(text);
    return code >= 0 ? code : PYM_EXIT_OK;
}

const pym_command pym_cmd_asizeof = {"asizeof", "print the size of Python expressions (asized().format())", parse,
                                     run};
