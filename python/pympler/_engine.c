/* pympler._engine: the engine (lib/core, lib/py, render) as one shared
 * object.  Every other module of the package links it (DT_NEEDED, found
 * through an $ORIGIN run path), so the dynamic loader maps it once per
 * process and its tables exist once.  Importing it is optional; it then only
 * reports what it was built for. */
#include "module.h"

PyMODINIT_FUNC PyInit__engine(void);

static int engine_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0)
        return -1;
    char version[16];
    snprintf(version, sizeof version, "%d.%d", PY_MAJOR_VERSION, PY_MINOR_VERSION);
    return PyModule_AddStringConstant(m, "python_version", version);
}

static PyModuleDef_Slot slots[] = PYM_MODULE_SLOTS(engine_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler._engine",
    .m_doc = "Pympler's C engine, shared by every module of the package (python_version: the\n"
             "CPython it was built for).",
    .m_size = 0,
    .m_slots = slots,
};

PyMODINIT_FUNC PyInit__engine(void)
{
    return PyModuleDef_Init(&module_def);
}
