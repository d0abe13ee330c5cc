/* pyutil.c: small Python C-API helpers of the command. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

PyObject *pym_import_attr(const char *module, const char *name)
{
    PyObject *mod = PyImport_ImportModule(module), *attr;

    if (mod == NULL)
        return NULL;
    attr = PyObject_GetAttrString(mod, name);
    Py_DECREF(mod);
    return attr;
}

PyObject *pym_run_code(const char *code, const char *filename, int mode, PyObject *ns)
{
    PyObject *compiled = Py_CompileString(code, filename, mode), *result;

    if (compiled == NULL)
        return NULL;
    result = PyEval_EvalCode(compiled, ns, ns);
    Py_DECREF(compiled);
    return result;
}

int pym_sort_by_item(PyObject *lst, PyObject *key, int reverse)
{
    PyObject *itemgetter = pym_import_attr("operator", "itemgetter");
    PyObject *k = itemgetter ? PyObject_CallOneArg(itemgetter, key) : NULL;
    PyObject *sort = k ? PyObject_GetAttrString(lst, "sort") : NULL;
    PyObject *kw = sort ? Py_BuildValue("{sOsO}", "key", k, "reverse", reverse ? Py_True : Py_False) : NULL;
    PyObject *empty = kw ? PyTuple_New(0) : NULL;
    PyObject *r = empty ? PyObject_Call(sort, empty, kw) : NULL;
    Py_XDECREF(empty);
    Py_XDECREF(kw);
    Py_XDECREF(sort);
    Py_XDECREF(k);
    Py_XDECREF(itemgetter);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

PyObject *pym_main_dict(void)
{
    PyObject *main_mod = PyImport_AddModule("__main__"); /* borrowed */

    return main_mod ? PyModule_GetDict(main_mod) : NULL;
}

/* The status of a pending SystemExit, as CPython's _Py_HandleSystemExit
 * computes it: code None -> 0, an int -> that int, anything else -> printed
 * on sys.stderr and 1.  Clears the exception. */
static int system_exit_status(void)
{
    PyObject *type, *value, *tb, *code;
    int status = 0;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    code = value ? PyObject_GetAttrString(value, "code") : Py_NewRef(Py_None);
    if (code == NULL) {
        PyErr_Clear();
        code = Py_NewRef(Py_None);
    }
    if (code == Py_None) {
        status = 0;
    } else if (PyLong_Check(code)) {
        long v = PyLong_AsLong(code);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            v = -1;
        }
        status = (int)v;
    } else {
        PyObject *err = PySys_GetObject("stderr"); /* borrowed */
        if (err != NULL && err != Py_None) {
            if (PyFile_WriteObject(code, err, Py_PRINT_RAW) < 0 || PyFile_WriteString("\n", err) < 0)
                PyErr_Clear();
        } else {
            PyObject_Print(code, stderr, Py_PRINT_RAW);
            fputc('\n', stderr);
        }
        status = 1;
    }
    Py_DECREF(code);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return status;
}

int pym_report_exception(void)
{
    int interrupted;

    if (PyErr_ExceptionMatches(PyExc_SystemExit))
        return system_exit_status();
    interrupted = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
    PyErr_Print(); /* sys.excepthook; sets sys.last_* as python3 does */
    return interrupted ? PYM_EXIT_INTERRUPT : PYM_EXIT_PROGRAM;
}

int pym_kwargs_add_number(PyObject *kwargs, const char *name, const char *value)
{
    PyObject *number;
    int rc;

    if (value == NULL)
        return 0;
    if (pym_opt_is_integer(value))
        number = PyLong_FromString(value, NULL, 10);
    else
        number = PyFloat_FromDouble(strtod(value, NULL));
    if (number == NULL)
        return -1;
    rc = PyDict_SetItemString(kwargs, name, number);
    Py_DECREF(number);
    return rc;
}
