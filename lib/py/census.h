/* census.h: every live object, as muppy.get_objects() lists them.
 *
 * Pympler's census is the collector's list of tracked objects (frames left
 * out) plus the untracked objects those refer to directly (ints, strs,
 * untracked tuples and dicts), untracked ones first, each object once.  The
 * engine builds it in one pass over the collector's lists, with the seen table off
 * the Python heap, so taking a census adds nothing to the census.
 *
 * Beyond Pympler, `untracked` follows untracked containers all the way down
 * and adds the keys of string-keyed dicts (which tp_traverse skips): the
 * floats in a tuple of numbers and the values of a small {"k": 1} dict are
 * invisible to Pympler's census and visible in this one.
 */
#ifndef PYM_CENSUS_H
#define PYM_CENSUS_H

#include "pyrt.h"
#include "ptrmap.h"

/* A growable array of owned references. */
typedef struct {
    PyObject **items;
    Py_ssize_t n, cap;
} pym_objvec;

/* Append obj, taking a new reference.  0, or -1 with MemoryError. */
int pym_objvec_push(pym_objvec *v, PyObject *obj);
/* Release every reference and the array. */
void pym_objvec_clear(pym_objvec *v);
/* Move the references into a new list (v is left empty).  NULL on error
 * (v is then cleared). */
PyObject *pym_objvec_to_list(pym_objvec *v);

typedef struct {
    int collect;       /* run gc.collect() first (muppy.get_objects does);
                        * 2: once more if it found garbage:
                        * objects a collection finalizes are freed by the next */
    int remove_dups;   /* each object once; else Pympler's per-referrer lists */
    int untracked;     /* follow untracked containers, add str dict keys */
    int keep_frames;   /* list frames too (ObjectTracker does) */
    /* Objects to leave out, together with everything only they lead to:
     * they are neither listed nor looked into (a tracker's own summaries). */
    const pym_ptrmap *exclude;
} pym_census_opts;

/* Append the census to out.  0, or -1 with an exception set (out then holds
 * what was gathered; the caller clears it). */
int pym_census_take(const pym_census_opts *opts, pym_objvec *out);
/* The census as a new list, or NULL with an exception. */
PyObject *pym_census_list(const pym_census_opts *opts);

/* muppy.get_diff(left, right): {'+': objects only in right, '-': objects
 * only in left}, by identity, each in its list's order.  New dict or NULL. */
PyObject *pym_identity_diff(PyObject *left, PyObject *right);

/* Pympler's muppy.ignore_object(): frames, and weak proxies to frames or to
 * nothing (those raise ReferenceError in isframe). */
int pym_census_ignored(PyObject *obj);

#endif
