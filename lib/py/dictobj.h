/* dictobj.h: the layout and slots of a C type whose instances keep their
 * attributes in a __dict__, as Pympler's plain Python classes do (trackers,
 * process information): code that reads or sets their attributes, pickles
 * them or subclasses them keeps working. */
#ifndef PYM_DICTOBJ_H
#define PYM_DICTOBJ_H

#include "pyrt.h"

#include <stddef.h>
#include <structmember.h> /* PyMemberDef on 3.11 */

typedef struct {
    PyObject_HEAD
    PyObject *dict;
    PyObject *weakrefs;
} pym_dictobj;

int pym_dictobj_traverse(PyObject *self, visitproc visit, void *arg);
int pym_dictobj_clear(PyObject *self);
void pym_dictobj_dealloc(PyObject *self);
extern PyGetSetDef pym_dictobj_getset[]; /* __dict__ */
/* pym_type_ready for such a type; a base type gets object's tp_new, so that
 * copyreg._reconstructor's object.__new__(cls) accepts it (pickle protocols
 * 0 and 1), as it does a Python class. */
int pym_dictobj_ready(PyTypeObject *tp);
/* __reduce_ex__ (the method entry: PYM_DICTOBJ_REDUCE_EX): pickles and copies
 * like an instance of a Python class, at every protocol. */
PyObject *pym_dictobj_reduce_ex(PyObject *self, PyObject *protocol);
#define PYM_DICTOBJ_REDUCE_EX {"__reduce_ex__", pym_dictobj_reduce_ex, METH_O, "Helper for pickle."}

/* The same for a heap type (PyType_FromModuleAndSpec): its instances own a
 * reference to their type, which traverse visits and dealloc drops. */
int pym_dictobj_heap_traverse(PyObject *self, visitproc visit, void *arg);
void pym_dictobj_heap_dealloc(PyObject *self);
extern PyMemberDef pym_dictobj_members[]; /* __dictoffset__, __weaklistoffset__ */

/* The PyType_Slot entries every such heap type sets alike. */
#define PYM_DICTOBJ_HEAP_SLOTS                                                              {Py_tp_traverse, pym_dictobj_heap_traverse}, {Py_tp_clear, pym_dictobj_clear},              {Py_tp_dealloc, pym_dictobj_heap_dealloc}, {Py_tp_getset, pym_dictobj_getset},         {Py_tp_members, pym_dictobj_members}

/* The PyTypeObject fields every such static type sets alike. */
#define PYM_DICTOBJ_FIELDS                                                   \
    .tp_basicsize = sizeof(pym_dictobj),                                     \
    .tp_traverse = pym_dictobj_traverse, .tp_clear = pym_dictobj_clear,      \
    .tp_dealloc = pym_dictobj_dealloc, .tp_getset = pym_dictobj_getset,      \
    .tp_dictoffset = offsetof(pym_dictobj, dict),                            \
    .tp_weaklistoffset = offsetof(pym_dictobj, weakrefs)

#endif
