/* module.c: what every module of the package does at import: the
 * interpreter check, its heap types, finding its state again from a type. */
#include "module.h"

#include <string.h>

int pym_module_attach(PyObject *m)
{
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        PyErr_Format(PyExc_ImportError,
                     "%s cannot be imported in a subinterpreter: pympler's C engine is shared by the "
                     "whole process and serves the main interpreter only",
                     PyModule_GetName(m));
        return -1;
    }
    return pym_rt_init();
}

PyTypeObject *pym_module_add_type(PyObject *m, PyType_Spec *spec, PyTypeObject *base)
{
    PyTypeObject *t = (PyTypeObject *)PyType_FromModuleAndSpec(m, spec, (PyObject *)base);
    const char *dot = strrchr(spec->name, '.');
    if (!t || PyModule_AddObjectRef(m, dot ? dot + 1 : spec->name, (PyObject *)t) < 0) {
        Py_XDECREF(t);
        return NULL;
    }
    return t;
}

void *pym_type_state(PyTypeObject *tp, PyModuleDef *def)
{
    PyObject *m = PyType_GetModuleByDef(tp, def); /* borrowed; TypeError when none */
    return m ? PyModule_GetState(m) : NULL;
}
