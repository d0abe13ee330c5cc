/* pympler.util.compat: Pympler 1.1's compatibility layer, in C.
 *
 * object_in_list(obj, l): identity membership over any iterable (a WeakSet
 * compares by equality, Pympler wants identity); tkinter: the module, or
 * None when it does not import (ImportError only, as Pympler).
 */
#include "pyrt.h"
#include "module.h"

PyMODINIT_FUNC PyInit_compat(void);

/* True when some item of the iterable l is obj.  Errors of iterating l
 * propagate (NULL). */
static PyObject *object_in_list_impl(PyObject *obj, PyObject *l)
{
    PyObject *it = PyObject_GetIter(l), *o;
    if (!it)
        return NULL;
    while ((o = PyIter_Next(it))) {
        int same = o == obj;
        Py_DECREF(o);
        if (same) {
            Py_DECREF(it);
            Py_RETURN_TRUE;
        }
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_FALSE;
}

static PyObject *object_in_list(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"obj", "l", NULL};
    PyObject *obj, *l;
    (void)m;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:object_in_list", kwlist, &obj, &l))
        return NULL;
    return object_in_list_impl(obj, l);
}

static PyMethodDef module_methods[] = {
    {"object_in_list", (PyCFunction)(void (*)(void))object_in_list, METH_VARARGS | METH_KEYWORDS,
     "object_in_list($module, /, obj, l)\n--\n\nTrue if the object obj itself is an item of l."},
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0)
        return -1;
    PyObject *tk = PyImport_ImportModule("tkinter");
    if (!tk) {
        if (!PyErr_ExceptionMatches(PyExc_ImportError))
            return -1;
        PyErr_Clear();
        tk = Py_NewRef(Py_None);
    }
    if (PyModule_AddObject(m, "tkinter", tk) < 0) {
        Py_DECREF(tk);
        return -1;
    }
    /* the typing names Pympler's module shows */
    static const char *const names[] = {"Any", "Iterable"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (pym_module_add(m, names[k], "typing", names[k]) < 0)
            return -1;
    return 0;
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.util.compat",
    .m_doc = "Compatibility layer, as Pympler's pympler.util.compat, in C.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit_compat(void)
{
    return PyModuleDef_Init(&module_def);
}
