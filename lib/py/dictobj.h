/* dictobj.h: the layout and slots of a C type whose instances keep their
 * attributes in a __dict__, as Pympler's plain Python classes do (trackers,
 * process information): code that reads or sets their attributes, pickles
 * them or subclasses them keeps working. */
#ifndef PYM_DICTOBJ_H
#define PYM_DICTOBJ_H

#include "pyrt.h"

#include <stddef.h>

typedef struct {
    PyObject_HEAD
    PyObject *dict;
    PyObject *weakrefs;
} pym_dictobj;

int pym_dictobj_traverse(PyObject *self, visitproc visit, void *arg);
int pym_dictobj_clear(PyObject *self);
void pym_dictobj_dealloc(PyObject *self);

/* The PyTypeObject fields every such type sets alike. */
#define PYM_DICTOBJ_FIELDS                                                   \
    .tp_basicsize = sizeof(pym_dictobj),                                     \
    .tp_traverse = pym_dictobj_traverse, .tp_clear = pym_dictobj_clear,      \
    .tp_dealloc = pym_dictobj_dealloc,                                       \
    .tp_dictoffset = offsetof(pym_dictobj, dict),                            \
    .tp_weaklistoffset = offsetof(pym_dictobj, weakrefs)

#endif
