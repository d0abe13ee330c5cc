/* walk.h: the engine's one traversal primitive.
 *
 * Every walk over Python objects in the engine is made of three parts:
 *
 *   1. the collector's lists: pym_gc_foreach() (pyrt.h), every tracked
 *      object in gc.get_objects() order, without building that list;
 *   2. the referents of one object under a POLICY: pym_walk_gc_referents()
 *      for the gc referents (tp_traverse, as gc.get_referents), or the pull
 *      cursor of any pym_walk_policy (the sizer's Pympler-rules referents);
 *   3. the graph walk, pym_walk_run(): from a root, the referents of the
 *      referents, with an explicit stack (depth-first, pre- and post-order
 *      visits) or queue (breadth-first, by levels).  The seen set, the depth
 *      and the depth limit are handled here, once; a VISITOR decides what a
 *      met object means.
 *
 * The census (lib/py/census.c) is 1 + 2, and 3 for `untracked`; the
 * referrer table (referrers.c) is 1 + 2; the reference-graph edges
 * (refgraph.c) are 2; muppy.get_referents is 3 breadth-first; the sizer
 * (sizer.c) is 3 depth-first with the refs.c policy.
 *
 * A graph walk never recurses in C: its depth is bounded by memory and the
 * limit.  It runs no Python code itself; policies and visitors may (the
 * sizer's do), and then they hold what they need (the engine keeps a
 * reference to every object on its stack or queue).
 */
#ifndef PYM_WALK_H
#define PYM_WALK_H

#include "pyrt.h"
#include "seenmap.h"

#include <stddef.h>

/* ---- the gc referents ---------------------------------------------------- */

/* visit(ref, arg) for every object tp_traverse reports for obj, as
 * gc.get_referents(obj) lists them (nothing for objects without GC support,
 * as gc.get_referents).  Stops at and returns the first non-zero result. */
static inline int pym_walk_gc_referents(PyObject *obj, visitproc visit, void *arg)
{
    traverseproc trav = Py_TYPE(obj)->tp_traverse;
    if (!trav || !PyObject_IS_GC(obj))
        return 0;
    return trav(obj, visit, arg);
}

/* ---- policies: how the referents of one object are enumerated ----------- */

typedef struct pym_walk pym_walk;

/* What a policy's cursor yields. */
typedef struct {
    PyObject *obj;  /* the referent; a new reference when `owned`, else
                     * borrowed, valid until the next call of the cursor */
    PyObject *name; /* owned or NULL: what the policy calls it */
    int kind;       /* policy specific (0 for a plain object) */
    int owned;
} pym_walk_ref;

typedef struct pym_walk_policy {
    /* Bytes of cursor state kept in each stack frame. */
    size_t cursor_size;
    /* Open the referents of obj at depth; data is the node's visitor state
     * (enter() filled it).  0, or -1 with an exception (nothing to close). */
    int (*open)(pym_walk *w, void *cursor, PyObject *obj, Py_ssize_t depth, void *data);
    /* Next referent: 1 with every field of *ref filled, 0 at the end, -1
     * with an exception. */
    int (*next)(pym_walk *w, void *cursor, pym_walk_ref *ref);
    void (*close)(pym_walk *w, void *cursor);
} pym_walk_policy;

/* The gc referents (pym_walk_gc_referents), buffered in the walk as they
 * are reported (each prefetched) and yielded borrowed: the visitor must run
 * no Python code that could free them (the census's and get_referents' run
 * none). */
extern const pym_walk_policy pym_walk_gc;
/* The gc referents and, for a dict, its keys after them (tp_traverse skips
 * the keys of str-keyed dicts): the census's `untracked` descent. */
extern const pym_walk_policy pym_walk_gc_and_keys;

/* ---- visitors: what a met object means ----------------------------------- */

enum {
    PYM_WALK_SKIP = 0,    /* met, nothing more (no leave) */
    PYM_WALK_LEAF = 1,    /* met, not looked into: leave(PYM_WALK_CUT) at once */
    PYM_WALK_DESCEND = 2, /* look into its referents, then leave(); at the
                           * depth limit, PYM_WALK_LEAF */
};

/* How a node is left. */
enum {
    PYM_WALK_DONE = 0,   /* after all its referents */
    PYM_WALK_FAILED = 1, /* the policy failed on it and error() went on */
    PYM_WALK_CUT = 2,    /* not looked into (LEAF, or the depth limit) */
};

/* The most visitor state a node may have. */
#define PYM_WALK_MAX_DATA 256

typedef struct pym_walk_visitor {
    /* Bytes of visitor state kept with each node (its frame), at most
     * PYM_WALK_MAX_DATA; the state is moved (memcpy) when the node is
     * looked into, so it must not point into itself. */
    size_t data_size;
    /* The visitor keeps its own seen table (the sizer's counts): the walk's
     * `seen` is not used. */
    int own_seen;
    /* A cheap test before the seen set, for referents only: 0 leaves obj out
     * (neither entered nor added to the seen set).  May be NULL. */
    int (*admit)(pym_walk *w, PyObject *obj);
    /* An object is met: a root (depth 0, parent NULL, ref->obj borrowed) or
     * the referent `ref` of the node whose data is `parent`.  `data` is this
     * node's state, to fill.  The visitor takes over ref->name and, when
     * ref->owned, ref->obj.  Returns PYM_WALK_SKIP, LEAF or DESCEND, or -1
     * with an exception.  A node looked into is ref->obj, which the visitor
     * keeps alive until it is left (the walk holds no references). */
    int (*enter)(pym_walk *w, void *parent, pym_walk_ref *ref, Py_ssize_t depth, void *data);
    /* The node is left (how: PYM_WALK_DONE/FAILED/CUT); parent: the data of
     * the node it was met from, NULL for the root and breadth-first.  0, or
     * -1 with an exception.  May be NULL. */
    int (*leave)(pym_walk *w, void *data, void *parent, int how);
    /* The policy failed on this node (an exception is set): 0 to go on (the
     * node is left FAILED), -1 to end the walk.  NULL: end it. */
    int (*error)(pym_walk *w, void *data);
    /* The walk ends early: release what a node's data holds.  May be NULL. */
    void (*discard)(pym_walk *w, void *data);
} pym_walk_visitor;

enum { PYM_WALK_DFS = 0, PYM_WALK_BFS = 1 };

struct pym_walk {
    /* set by the caller (pym_walk_init fills defaults) */
    const pym_walk_policy *policy;
    const pym_walk_visitor *visitor;
    void *ctx;           /* for the policy and the visitor */
    pym_seenmap *seen;   /* referents met once (roots are always entered);
                          * NULL: the visitor keeps its own */
    int skip_single;     /* with seen: an object with a single reference
                          * is met once (each node is looked into once and
                          * its policy names each reference once), so it
                          * needs no entry: the gc policy on a census */
    Py_ssize_t limit;    /* nodes at this depth are not looked into */
    int order;           /* PYM_WALK_DFS or PYM_WALK_BFS */
    /* the engine's (reused between runs) */
    char *frames;        /* stack (DFS) or queue (BFS) of frames */
    size_t nframes, capframes, head, stride;
    PyObject **buf;      /* the gc policies' buffered referents */
    size_t nbuf, capbuf;
    int busy;
};

/* Defaults: depth-first, no limit, no seen set.  0, or -1 with SystemError
 * when the visitor's data_size is above PYM_WALK_MAX_DATA (nothing is
 * allocated before the first run). */
int pym_walk_init(pym_walk *w, const pym_walk_policy *policy, const pym_walk_visitor *visitor,
                  void *ctx);
/* Release the stack and buffers (not the seen set: the caller's). */
void pym_walk_fini(pym_walk *w);

/* Walk from root (borrowed).  The seen set persists between runs.  0, or -1
 * with an exception (every frame then discarded). */
int pym_walk_run(pym_walk *w, PyObject *root);

#endif
