/* pympler._cli: the pympler command as a function, for python -m pympler
 * (pympler/__main__.py).  The command's sources are the files of cli/, shared with the
 * executable; here they run in the calling interpreter. */
#include "cli.h"
#include "module.h"

PyMODINIT_FUNC PyInit__cli(void);

/* main(argv=sys.argv) -> exit status.  argv: a list of str, argv[0] the
 * program name and argv[1] the subcommand, as sys.argv.  Without argv it is
 * the console-script entry point `pympler` that pip installs. */
static PyObject *cli_main(PyObject *module, PyObject *const *fargs, Py_ssize_t nargs)
{
    PyObject *seq, *bytes = NULL, *result = NULL, *args;
    char **argv = NULL;
    Py_ssize_t argc;
    int code;

    (void)module;
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "main() takes at most 1 argument (%zd given)", nargs);
        return NULL;
    }
    args = nargs ? fargs[0] : PySys_GetObject("argv"); /* borrowed */
    if (args == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "main() without argv needs sys.argv");
        return NULL;
    }
    seq = PySequence_Fast(args, "main() takes a list of str");
    if (seq == NULL)
        return NULL;
    argc = PySequence_Fast_GET_SIZE(seq);
    if (argc < 1 || argc > INT_MAX - 1) {
        PyErr_SetString(PyExc_ValueError, "main() needs argv[0]");
        goto done;
    }
    bytes = PyList_New(argc);
    argv = PyMem_Calloc((size_t)argc + 1, sizeof *argv);
    if (bytes == NULL || argv == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < argc; i++) {
        PyObject *b = PyUnicode_EncodeFSDefault(PySequence_Fast_GET_ITEM(seq, i));
        if (b == NULL)
            goto done;
        PyList_SET_ITEM(bytes, i, b);
        argv[i] = PyBytes_AS_STRING(b);
    }
    code = pym_cli_main((int)argc, argv, 0);
    if (!PyErr_Occurred())
        result = PyLong_FromLong(code);
done:
    PyMem_Free(argv);
    Py_XDECREF(bytes);
    Py_DECREF(seq);
    return result;
}

/* _garbage_report(graph, max_cycles=20, max_members=12, kind='test', target='')
 * -> (text, json, cycles): the garbage command's report of a GarbageGraph,
 * for the pytest plugin (pympler/pytest_plugin.py), which fails a test with
 * the same text `pympler garbage` prints.  kind/target name what made the
 * garbage in the report's "program". */
static PyObject *cli_garbage_report(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"graph", "max_cycles", "max_members", "kind", "target", NULL};
    PyObject *graph, *report = NULL, *text = NULL, *json = NULL, *res = NULL;
    Py_ssize_t max_cycles = 20, max_members = 12;
    const char *kind = "test", *target = "";
    pym_garbage_counts counts = {0};
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|nn$ss:_garbage_report", kwlist, &graph, &max_cycles,
                                     &max_members, &kind, &target))
        return NULL;
    if (max_cycles < 0 || max_members < 0)
        return PyErr_Format(PyExc_ValueError, "max_cycles and max_members must be >= 0 (0: no limit)");
    pym_garbage_opts o = {.kind = kind, .target = target};
    if (!(report = pym_garbage_report(graph, &o, &counts)))
        return NULL;
    if ((text = pym_garbage_report_text(report, max_cycles, max_members)) &&
        (json = pym_garbage_report_json(report)))
        res = Py_BuildValue("(OOn)", text, json, counts.cycles);
    Py_DECREF(report);
    Py_XDECREF(text);
    Py_XDECREF(json);
    return res;
}

static PyMethodDef methods[] = {
    {"_garbage_report", (PyCFunction)(void (*)(void))cli_garbage_report, METH_VARARGS | METH_KEYWORDS,
     "_garbage_report(graph, max_cycles=20, max_members=12, *, kind='test', target='')\n--\n\n"
     "The garbage command's report of a GarbageGraph as (text, json, number of cycles)."},
    {"main", (PyCFunction)(void (*)(void))cli_main, METH_FASTCALL,
     "main($module, argv=sys.argv, /)\n--\n\nRun the pympler command with argv (argv[0] the program name) in this\n"
     "interpreter; return its exit status."},
    {NULL, NULL, 0, NULL}};

/* The command's code uses only the engine's C core, but the module is
 * attached like the others: one rule for every module of the package. */
static int module_exec(PyObject *m)
{
    return pym_module_attach(m);
}

static PyModuleDef_Slot slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler._cli",
    .m_doc = "The pympler command (cli/), for python -m pympler.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC PyInit__cli(void)
{
    return PyModuleDef_Init(&module_def);
}
