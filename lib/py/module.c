/* module.c: the import-time check every module of the package runs. */
#include "module.h"

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
