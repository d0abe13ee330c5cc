/* pyver_gc3.c: the version layer's collector part for the CPython versions
 * whose collector keeps three generations of PyGC_Head lists: 3.11 and 3.13
 * (internal/pycore_gc.h: PyGC_Head {_gc_next, _gc_prev} right before each
 * object; struct _gc_runtime_state's generations[NUM_GENERATIONS], still
 * three in 3.13.0), and the start-up check of the running interpreter.
 * 3.14's incremental collector (young and two old spaces) would be one more
 * file beside this one.
 */
#define Py_BUILD_CORE_MODULE 1
#include "pyver.h"

#ifdef PYM_GC_GENERATIONS3

/* The internal headers are not written for -Wextra. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "internal/pycore_gc.h"
#include "internal/pycore_interp.h"
#include "internal/pycore_object.h"
#include "internal/pycore_pystate.h"
#pragma GCC diagnostic pop

/* ---- start-up --------------------------------------------------------- */

int pym_ver_init(void)
{
    if ((Py_Version >> 16) != (PY_VERSION_HEX >> 16)) {
        PyErr_Format(PyExc_ImportError, "%s: this build is for CPython %d.%d, not %lu.%lu", PYM_SUPPORTED_VERSIONS,
                     PY_MAJOR_VERSION, PY_MINOR_VERSION, (Py_Version >> 24) & 0xff, (Py_Version >> 16) & 0xff);
        return -1;
    }
    return pym_gc_check_layout();
}

/* pym_is_tracked()'s reading of the head word, against CPython's own
 * answer, with the object tracked and untracked. */
int pym_gc_check_layout(void)
{
    PyObject *probe = PyList_New(0);
    if (!probe)
        return -1;
    int ok = PyObject_GC_IsTracked(probe) && pym_is_tracked(probe);
    PyObject_GC_UnTrack(probe);
    ok = ok && !PyObject_GC_IsTracked(probe) && !pym_is_tracked(probe);
    PyObject_GC_Track(probe);
    Py_DECREF(probe);
    if (!ok) {
        PyErr_SetString(PyExc_ImportError, "pympler: unexpected garbage collector layout");
        return -1;
    }
    return 0;
}

/* ---- the collector ---------------------------------------------------- */

/* Ask for the memory a visitor will read from op soon: its header, and the
 * item array of a list (what its tp_traverse walks). */
static inline void prefetch_object(PyObject *op)
{
    if (Py_IS_TYPE(op, &PyList_Type))
        __builtin_prefetch(((PyListObject *)op)->ob_item);
}

/* Mirrors 3.11 Modules/gcmodule.c gc_get_objects_impl and 3.13 Python/gc.c
 * _PyGC_GetObjects: generations 0..2, each list from its head (3.13's
 * permanent generation is not listed). */
int pym_gc_foreach(pym_gc_visitor fn, void *arg)
{
    struct _gc_runtime_state *gcstate = &_PyInterpreterState_GET()->gc;
    for (int i = 0; i < NUM_GENERATIONS; i++) {
        PyGC_Head *head = &gcstate->generations[i].head;
        /* Two cursors run ahead of the visited one.  The far one follows
         * the list (its head is read to step on) and asks for the object
         * after the head, which starts the next cache line in every 64-byte
         * block; the near one, whose object has arrived by then, asks for
         * the memory behind it. */
        PyGC_Head *near = _PyGCHead_NEXT(head), *far = near;
        for (int k = 0; k < 8 && far != head; k++)
            far = _PyGCHead_NEXT(far);
        for (PyGC_Head *g = _PyGCHead_NEXT(head); g != head; g = _PyGCHead_NEXT(g)) {
            if (far != head) {
                __builtin_prefetch(far + 1);
                far = _PyGCHead_NEXT(far);
            }
            if (near != head) {
                near = _PyGCHead_NEXT(near);
                if (near != head)
                    prefetch_object((PyObject *)(near + 1));
            }
            int r = fn((PyObject *)(g + 1), arg); /* the object follows its head */
            if (r)
                return r;
        }
    }
    return 0;
}

/* Mirrors gc_list_move (3.11 Modules/gcmodule.c, 3.13 Python/gc.c): unlink, append to the
 * oldest generation's list. */
void pym_gc_make_old(PyObject *op)
{
    if (!PyObject_IS_GC(op) || !PyObject_GC_IsTracked(op))
        return;
    struct _gc_runtime_state *gcstate = &_PyInterpreterState_GET()->gc;
    PyGC_Head *g = _Py_AS_GC(op);
    PyGC_Head *prev = _PyGCHead_PREV(g), *next = _PyGCHead_NEXT(g);
    _PyGCHead_SET_NEXT(prev, next);
    _PyGCHead_SET_PREV(next, prev);
    PyGC_Head *head = &gcstate->generations[NUM_GENERATIONS - 1].head;
    PyGC_Head *last = _PyGCHead_PREV(head);
    _PyGCHead_SET_NEXT(last, g);
    _PyGCHead_SET_PREV(g, last);
    _PyGCHead_SET_NEXT(g, head);
    _PyGCHead_SET_PREV(head, g);
}

#endif /* PYM_GC_GENERATIONS3 */
