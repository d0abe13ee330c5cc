/* module.h: what every extension module of the package does at import.
 *
 * The modules are thin bindings over one engine, pympler/_engine.so, which
 * the dynamic loader maps once per process (each module names it in
 * DT_NEEDED and finds it through an $ORIGIN run path).  The engine's tables
 * and caches are therefore process-wide and belong to the main interpreter:
 * they hold objects of that interpreter.  Each module uses multi-phase
 * initialisation (PEP 489); its exec function starts with
 * pym_module_attach(), which refuses a subinterpreter with ImportError
 * instead of handing it objects of another interpreter.
 *
 * What a module keeps (its heap types, the objects it made at import) lives
 * in its module state, so that a second import of the module (after `del
 * sys.modules[...]`, or importlib.reload) makes a module of its own and never
 * frees or replaces what the first one still uses.
 */
#ifndef PYM_MODULE_H
#define PYM_MODULE_H

#include "pyrt.h"

/* Ready the engine for the module `m` being executed: ImportError in a
 * subinterpreter, else pym_rt_init().  0, or -1 with an exception. */
int pym_module_attach(PyObject *m);

/* The heap type of `spec` (base: NULL or a base type), created for the
 * module `m` (PyType_GetModuleByDef finds m again from the type and from its
 * subclasses) and added to m under the last dotted part of spec->name.  A new
 * reference, which the module keeps in its state, or NULL. */
PyTypeObject *pym_module_add_type(PyObject *m, PyType_Spec *spec, PyTypeObject *base);

/* The state of the module of `def` that created `tp` or one of its bases;
 * NULL with TypeError when there is none (a type not of this module). */
void *pym_type_state(PyTypeObject *tp, PyModuleDef *def);

/* The slots of a module whose exec function is `exec_fn`: CPython 3.12 and
 * later also learn from Py_mod_multiple_interpreters that the module must
 * not be loaded into an interpreter with its own GIL. */
#ifdef Py_mod_multiple_interpreters
#define PYM_MODULE_SLOTS(exec_fn)                                                   \
    {{Py_mod_exec, (void *)(exec_fn)},                                              \
     {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED}, \
     {0, NULL}}
#else
#define PYM_MODULE_SLOTS(exec_fn) {{Py_mod_exec, (void *)(exec_fn)}, {0, NULL}}
#endif

#endif
