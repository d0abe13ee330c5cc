/* refgraph.h: the references among a list of Python objects, as graph data.
 *
 * An edge src -> dst exists when dst is among the referents the collector
 * sees for src (gc.get_referents), both are in the list, and src != dst is
 * not required (self-references are edges).  One edge per (src, dst) pair.
 * Labels are Pympler's: for a dict, the first key whose value is dst; for
 * anything else, the name of dst among the object's named referents
 * (attribute names, '__dict__', ...); '' when none.  The graph algorithms on
 * the result are in lib/core/graph.c.
 */
#ifndef PYM_REFGRAPH_H
#define PYM_REFGRAPH_H

/* Python.h first, as CPython asks: it sets the feature macros */
#include "pyrt.h"
#include "graph.h"

#include <stdint.h>

typedef struct {
    Py_ssize_t n;     /* objects */
    size_t m;         /* edges */
    uint32_t *src;    /* endpoints: indices into the object array */
    uint32_t *dst;
    PyObject **label; /* owned: one label object per edge */
} pym_refedges;

/* Compute the edges among objs[0..n).  Objects listed twice are one node
 * (the first index).  0, or -1 with an exception (the result is then empty). */
int pym_refedges_build(PyObject *const *objs, Py_ssize_t n, pym_refedges *out);
void pym_refedges_free(pym_refedges *e);

/* A pym_graph of the edges (node i = objs[i]); NULL with MemoryError. */
pym_graph *pym_refedges_graph(const pym_refedges *e);

/* Pympler's stringutils.safe_repr(obj, clip): repr(obj), clipped when clip
 * is not 0 and the repr is longer, to s[:clip-4] + '..' + s[-2:] with
 * Python's slice bounds (a clip below 4 counts from the end); 'N/A' when
 * repr raises an ordinary exception (others propagate: NULL).  New
 * reference. */
PyObject *pym_safe_repr(PyObject *obj, Py_ssize_t clip);
/* s[:stop] + '..' + s[-2:] for a str s, stop with Python's slice bounds
 * (negative counts from the end).  New reference, or NULL. */
PyObject *pym_text_elide(PyObject *s, Py_ssize_t stop);
/* str(obj) with every '\n' replaced by '|'.  New reference, or NULL with
 * the exception of str(). */
PyObject *pym_str_oneline(PyObject *obj);
/* Pympler's stringutils.trunc(obj, max, left): pym_str_oneline(obj), and
 * when longer than max, s[:max-3] + '...' (left: '...' + s[len-max+3:]),
 * with Python's slice bounds for any max.  New reference, or NULL with the
 * exception of str(obj). */
PyObject *pym_trunc(PyObject *obj, Py_ssize_t max, int left);

/* Text for a double-quoted DOT string: backslashes doubled, '"' replaced by
 * `quote` (Pympler writes "'" for labels), '&' as "&amp;" (Graphviz decodes
 * entities in labels), control characters dropped, lone surrogates replaced.
 * New reference (str). */
PyObject *pym_dot_quote(PyObject *s, Py_UCS4 quote);

#endif
