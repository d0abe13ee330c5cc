/* json.c: the JSON the command writes -- the reports of garbage, summary
 * and asizeof (schemas in docs/cli.md) -- made by the standard json module
 * from the report's dict, so that escaping is JSON's own: with ensure_ascii
 * every control character, non-ASCII character and lone surrogate becomes
 * \uXXXX, and allow_nan off refuses what is not JSON.
 */
#include "cli.h"

PyObject *pym_json_text(PyObject *obj)
{
    PyObject *dumps = pym_import_attr("json", "dumps"), *args = NULL, *kw = NULL, *text = NULL, *nl = NULL;

    args = dumps ? PyTuple_Pack(1, obj) : NULL;
    kw = args ? Py_BuildValue("{sisOsOsO}", "indent", 2, "sort_keys", Py_False, "ensure_ascii", Py_True, "allow_nan",
                              Py_False)
              : NULL;
    text = kw ? PyObject_Call(dumps, args, kw) : NULL;
    nl = text ? PyUnicode_FromFormat("%U\n", text) : NULL;
    Py_XDECREF(text);
    Py_XDECREF(kw);
    Py_XDECREF(args);
    Py_XDECREF(dumps);
    return nl;
}

PyObject *pym_json_program(const pym_program *prog, int exit_status)
{
    static const char *const kinds[] = {[PYM_PROG_SCRIPT] = "script", [PYM_PROG_MODULE] = "module",
                                        [PYM_PROG_COMMAND] = "command"};
    PyObject *target = PyUnicode_DecodeFSDefault(prog->target);

    if (target == NULL)
        return NULL;
    return Py_BuildValue("{sisssN}", "exit_status", exit_status, "kind", kinds[prog->kind], "target", target);
}
