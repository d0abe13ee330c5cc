/* referrers.h: the referrers of many objects at once, as gc.get_referrers()
 * finds them, without one heap scan per object.
 *
 * pym_referrers_collect() works breadth-first from a root: level 0 is the
 * root, level d+1 the distinct referrers of level d.  Each level is ONE scan
 * of the collector's lists in place (pym_gc_foreach: gc.get_objects() order,
 * which is gc.get_referrers() order): every tracked object is traversed once with
 * tp_traverse and the visited addresses are looked up in a hash of that
 * level's targets.  After PYM_REFERRERS_LEVEL_SCANS levels (long chains) the
 * engine instead builds, with one more scan, a reverse index of every edge
 * that ends at a tracked object, and answers the remaining levels from it.
 * Design notes: docs/refbrowser.md.
 *
 * Ownership: the table owns a reference to every object it returns; the
 * arrays handed out by pym_referrers_of() are borrowed from the table and
 * stay valid until pym_referrers_free().  Scans run no Python code and
 * allocate no Python object; nothing the engine keeps is on the Python heap,
 * so it never finds itself as a referrer.
 */
#ifndef PYM_REFERRERS_H
#define PYM_REFERRERS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Levels answered by per-level scans before the reverse index takes over. */
#define PYM_REFERRERS_LEVEL_SCANS 6

typedef struct pym_referrers pym_referrers;

/* An empty table; NULL with MemoryError set. */
pym_referrers *pym_referrers_new(void);
/* Release the table and every reference it holds; nulls *r; NULL is fine. */
void pym_referrers_free(pym_referrers **r);

/* Find the referrers of root and, breadth-first, of the referrers found, for
 * objects up to `levels - 1` steps away from root (levels = 0: nothing).
 * Objects of type `noexpand` (or a subtype; NULL for none) are reported as
 * referrers but their own referrers are not searched.  Returns 0, or -1
 * with an exception set (MemoryError). */
int pym_referrers_collect(pym_referrers *r, PyObject *root, Py_ssize_t levels, PyTypeObject *noexpand);

/* The referrers of obj in gc.get_referrers() order: returns their number and
 * sets *items (borrowed, see above), or -1 when obj's referrers were not
 * collected.  No exception is set. */
Py_ssize_t pym_referrers_of(const pym_referrers *r, PyObject *obj, PyObject *const **items);

#endif
