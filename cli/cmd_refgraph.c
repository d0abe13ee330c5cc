/* cmd_refgraph.c: pympler refgraph -- evaluate an expression after the setup
 * code and render the reference graph of the objects it yields
 * (pympler.refgraph.ReferenceGraph), in-process through Graphviz. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
    "usage: pympler refgraph [options] EXPR\n"
    "\n"
    "Evaluate the Python expression EXPR in the namespace of the setup code and\n"
    "render the reference graph of the objects it yields: the items of a list,\n"
    "tuple, set, frozenset or iterator; any other value is one object.\n"
    "\n"
    "options:\n"
    "  --setup CODE    Python statements to run first (default: none)\n"
    "  --reduce        keep only the objects on reference cycles\n"
    "  --format FMT    svg (default), png, pdf or dot; by default the extension\n"
    "                  of -o FILE when it names one\n"
    "  -o, --output FILE  write there (atomically) instead of stdout; - is stdout\n"
    "  -h, --help      show this help and exit\n"
    "\n";

enum { O_SETUP, O_REDUCE, O_FORMAT, O_OUTPUT, NOPTS };

static const pym_opt opts[NOPTS] = {
    [O_SETUP] = {"--setup", NULL, 1, NULL, NULL, 0},
    [O_REDUCE] = {"--reduce", NULL, 0, NULL, NULL, 0},
    [O_FORMAT] = {"--format", NULL, 1, pym_graph_format_ok, "format (svg, png, pdf or dot)", 0},
    [O_OUTPUT] = {"--output", "-o", 1, NULL, NULL, 0},
};

typedef struct {
    const char *value[NOPTS];
    const char *format;
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
    code = pym_cmd_parse(opts, NOPTS, 0, argc, argv, help_text, &res);
    if (code < 0 && res.npos != 1) {
        code = pym_usage_error("refgraph", "%s", res.npos ? "one expression only" : "no expression given");
    } else if (code < 0) {
        st->format = st->value[O_FORMAT];
        if (st->format == NULL)
            pym_format_of_path(st->value[O_OUTPUT], pym_graph_format_ok, &st->format);
        if (st->format == NULL)
            st->format = "svg";
    }
    return pym_cmd_parsed(st, code, out);
}

/* The objects value yields: a new list. */
static PyObject *objects_of(PyObject *value)
{
    if (PyList_Check(value) || PyTuple_Check(value) || PyAnySet_Check(value) || PyIter_Check(value))
        return PySequence_List(value);
    return Py_BuildValue("[O]", value);
}

/* The graph output; NULL with an exception set (the expression's own, or
 * the rendering's: *own tells which). */
static PyObject *make_output(const state_t *st, int embedded, int *own)
{
    PyObject *ns = pym_setup_namespace(embedded, st->value[O_SETUP]), *value = NULL, *objs = NULL, *cls = NULL;
    PyObject *graph = NULL, *data = NULL;

    *own = 1;
    if (ns == NULL)
        return NULL;
    value = pym_run_code(st->pos[0], "<expr>", Py_eval_input, ns);
    objs = value ? objects_of(value) : NULL;
    if (objs == NULL)
        goto done;
    *own = 0;
    cls = pym_import_attr("pympler.refgraph", "ReferenceGraph");
    graph = cls ? PyObject_CallFunction(cls, "OO", objs, st->value[O_REDUCE] ? Py_True : Py_False) : NULL;
    data = graph ? pym_graph_bytes(graph, st->format) : NULL;
done:
    Py_XDECREF(graph);
    Py_XDECREF(cls);
    Py_XDECREF(objs);
    Py_XDECREF(value);
    return data;
}

static int run(void *state, int embedded)
{
    state_t *st = state;
    pym_output out = {st->value[O_OUTPUT], st->format};
    PyObject *data;
    int code = pym_output_check(&out), own, saved;

    if (code >= 0)
        return code;
    /* the --setup code and the expression may print: not into the picture */
    saved = pym_output_divert(&out);
    data = make_output(st, embedded, &own);
    pym_output_undivert(saved);
    if (data == NULL) {
        if (own)
            return pym_report_exception();
        fputs("pympler refgraph: the graph failed:\n", stderr);
        PyErr_Print();
        return PYM_EXIT_OUTPUT;
    }
    code = pym_output_write(&out, data);
    Py_DECREF(data);
    return code >= 0 ? code : PYM_EXIT_OK;
}

const pym_command pym_cmd_refgraph = {"refgraph", "render the reference graph of the objects of an expression", parse,
                                      run};
