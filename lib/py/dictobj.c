/* dictobj.c: slots of the C types whose attributes live in a __dict__. */
#include "dictobj.h"

int pym_dictobj_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((pym_dictobj *)self)->dict);
    if (Py_TYPE(self)->tp_flags & Py_TPFLAGS_HEAPTYPE) /* subclasses hold their type */
        Py_VISIT(Py_TYPE(self));
    return 0;
}

int pym_dictobj_clear(PyObject *self)
{
    Py_CLEAR(((pym_dictobj *)self)->dict);
    return 0;
}

void pym_dictobj_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (((pym_dictobj *)self)->weakrefs)
        PyObject_ClearWeakRefs(self);
    pym_dictobj_clear(self);
    tp->tp_free(self);
    if (tp->tp_flags & Py_TPFLAGS_HEAPTYPE)
        Py_DECREF(tp);
}
