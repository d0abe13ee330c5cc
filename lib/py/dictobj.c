/* dictobj.c: slots of the C types whose attributes live in a __dict__. */
#include "dictobj.h"

#include <structmember.h>

/* For a static type, a Python subclass's subtype_traverse and
 * subtype_dealloc visit and release the subclass itself; a heap type's own
 * slots (the _heap_ ones) do it, and subtype_* then leave it to them. */
int pym_dictobj_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((pym_dictobj *)self)->dict);
    return 0;
}

int pym_dictobj_clear(PyObject *self)
{
    Py_CLEAR(((pym_dictobj *)self)->dict);
    return 0;
}

void pym_dictobj_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    if (((pym_dictobj *)self)->weakrefs)
        PyObject_ClearWeakRefs(self);
    pym_dictobj_clear(self);
    Py_TYPE(self)->tp_free(self);
}

int pym_dictobj_heap_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    return pym_dictobj_traverse(self, visit, arg);
}

void pym_dictobj_heap_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    pym_dictobj_dealloc(self);
    Py_DECREF(tp);
}

PyMemberDef pym_dictobj_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(pym_dictobj, dict), READONLY, NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(pym_dictobj, weakrefs), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}};

int pym_dictobj_ready(PyTypeObject *tp)
{
    if (!tp->tp_new && !tp->tp_base)
        tp->tp_new = PyBaseObject_Type.tp_new;
    return pym_type_ready(tp);
}

PyGetSetDef pym_dictobj_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL}};

/* __reduce_ex__(protocol).  Protocols 2 and up: object's (copyreg.__newobj__
 * and the __dict__, as for Pympler's Python classes).  Protocols 0 and 1:
 * what copyreg._reduce_ex gives a Python class -- (copyreg._reconstructor,
 * (cls, object, None), state) -- which copyreg refuses to build for a class
 * implemented in C.  A __reduce__ of a subclass is honoured either way. */
PyObject *pym_dictobj_reduce_ex(PyObject *self, PyObject *arg)
{
    long proto = PyLong_Check(arg) ? PyLong_AsLong(arg) : -1;
    if (proto == -1 && PyErr_Occurred())
        return NULL;
    PyObject *object = (PyObject *)&PyBaseObject_Type;
    PyObject *mine = PyObject_GetAttrString((PyObject *)Py_TYPE(self), "__reduce__");
    PyObject *base = mine ? PyObject_GetAttrString(object, "__reduce__") : NULL;
    PyObject *copyreg = NULL, *recon = NULL, *state = NULL, *r = NULL;
    if (!base)
        goto done;
    if (proto >= 2 || mine != base) {
        r = PyObject_CallMethod(object, "__reduce_ex__", "OO", self, arg);
        goto done;
    }
    if (!(copyreg = PyImport_ImportModule("copyreg")) || !(recon = PyObject_GetAttrString(copyreg, "_reconstructor")) ||
        !(state = PyObject_CallMethod(self, "__getstate__", NULL)))
        goto done;
    int t = PyObject_IsTrue(state);
    if (t > 0)
        r = Py_BuildValue("(O(OOO)O)", recon, (PyObject *)Py_TYPE(self), object, Py_None, state);
    else if (t == 0)
        r = Py_BuildValue("(O(OOO))", recon, (PyObject *)Py_TYPE(self), object, Py_None);
done:
    Py_XDECREF(state);
    Py_XDECREF(recon);
    Py_XDECREF(copyreg);
    Py_XDECREF(base);
    Py_XDECREF(mine);
    return r;
}


