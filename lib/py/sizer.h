/* sizer.h: the sizing traversal (Pympler's Asizer._sizer), iterative.
 *
 * One pym_sizer holds the options and the accumulated state of an Asizer:
 * the seen table (address -> visit count, -1 excluded, 0 "size only when
 * given"), the per-run typedefs, the type exclusions, the statistics (ranks
 * of the largest objects, per-type profiles) and the temporaries kept alive
 * so that their addresses are never reused while they are in the seen table.
 *
 * The walk is a depth-first pre-order over the referents each typedef names,
 * with an explicit stack: depth is bounded only by memory and the `limit`
 * option, never by the C stack or Python's recursion limit.
 */
#ifndef PYM_SIZER_H
#define PYM_SIZER_H

#include "ptrmap.h"
#include "seenmap.h"
#include "typedef.h"
#include "walk.h"

/* Builds an Asized(size, flat, refs, name); refs is a list (may be NULL);
 * ctx is the one given to pym_sizer_init (the binding's Asized type).
 * Returns a new reference or NULL with an exception. */
typedef PyObject *(*pym_asized_ctor)(void *ctx, pym_wsize size, pym_wsize flat, PyObject *refs, PyObject *name);

typedef struct {
    uintptr_t key;    /* typedef key */
    Py_ssize_t number;
    pym_wsize total, high;
    PyObject *objref; /* owned: weakref or the object itself; NULL until set */
    int weak;
} pym_prof;

typedef struct {
    uintptr_t key, id, pid;
    pym_wsize size;
    Py_ssize_t deep;
    PyObject *objref; /* owned: weakref or strong reference */
    int weak;
} pym_rank;

#define PYM_MAX_RANKS 100

typedef struct pym_sizer {
    /* options, as C values */
    Py_ssize_t above, mask, clip, cutoff, detail, limit, stats;
    int code, derive, frames, ignored, infer, profile;
    /* state */
    pym_seenmap *seen;
    pym_tdtab *dynamic;    /* typedefs made during this run */
    PyObject *keepalive;   /* list of temporaries met while sizing */
    pym_ptrmap *excl;      /* typedef key -> count of excluded instances */
    PyObject *excl_keys;   /* list of (key object, is-class-key) in order */
    pym_wsize total; /* sizes are exact (pyrt.h): a __sizeof__ may say sys.maxsize */
    Py_ssize_t missed, depth, ranked;
    pym_prof *profs;
    size_t nprofs, cap_profs;
    pym_ptrmap *prof_index; /* typedef key -> index into profs */
    pym_rank ranks[PYM_MAX_RANKS];
    size_t nranks;
    pym_asized_ctor make_asized;
    void *make_asized_ctx; /* borrowed: its owner outlives the sizer */
    int busy; /* a run is in progress */
    /* typedef key -> typedef, direct mapped; valid until the next clear */
    struct {
        uintptr_t key;
        pym_typedef *td;
    } tcache[256];
    /* the walk (walk.h) and its stack, reused between calls */
    pym_walk walk;
} pym_sizer;

/* Initialise/destroy.  init returns 0 or -1 with MemoryError. */
int pym_sizer_init(pym_sizer *z, pym_asized_ctor make_asized, void *ctx);
void pym_sizer_fini(pym_sizer *z);
/* Pympler's _clear(): forget all state, keep options. 0 or -1. */
int pym_sizer_clear(pym_sizer *z);

/* Size one object at top level (deep 0), as _sizer(obj, 0, 0, sized).
 * With `asized` non-NULL an Asized tree is built (up to the detail level) and
 * stored there (new reference).  Returns the size, or -1 with an exception
 * (an exception other than RuntimeError raised by a hostile object). */
pym_wsize pym_sizer_size(pym_sizer *z, PyObject *obj, PyObject **asized);

/* exclude_refs (count 0) / exclude_objs (count -1): setdefault in seen. */
int pym_sizer_seen_default(pym_sizer *z, PyObject *obj, int64_t count);
/* Pympler's _seen.again(id) */
int pym_sizer_seen_again(pym_sizer *z, PyObject *obj);
/* exclude_types for one object (class objects only, else nothing). */
int pym_sizer_exclude_type(pym_sizer *z, PyObject *obj);

/* Counters over the seen table: sized (count > 0), seen (sum of counts > 0),
 * duplicate (count > 1). */
void pym_sizer_counts(pym_sizer *z, Py_ssize_t *sized, Py_ssize_t *seen, Py_ssize_t *duplicate);

/* Typedef options of this sizer, for lookups outside a run. */
pym_td_opts pym_sizer_td_opts(pym_sizer *z);

#endif
