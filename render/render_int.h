/* render_int.h: internals of render/ shared between its files (not installed,
 * not for callers outside render/).  Names: pym__render_*. */
#ifndef PYM_RENDER_INT_H
#define PYM_RENDER_INT_H

#include <cgraph.h>

typedef struct GVC_s GVC_t; /* gvc.h's, which would bring types.h's names (path, ...) */

/* Per-node degrees of a root graph, indexed by AGSEQ(node) (1..max_seq). */
typedef struct {
    int *in;    /* in-edges, self-loops included (as agdegree counts them) */
    int *out;   /* out-edges without self-loops */
    int max_seq;
} pym__render_degrees;

/* Fill *d for root graph g.  Returns 0, or -1 when out of memory.  Free with
 * pym__render_degrees_free.  The graph must not gain nodes meanwhile. */
int pym__render_degrees_init(pym__render_degrees *d, Agraph_t *g);
void pym__render_degrees_free(pym__render_degrees *d);

/* The unflatten transformation of Graphviz's `unflatten -l chain` (no -f, no
 * -c) on root graph g, in place: for every node of total degree > 1, its
 * edges to and from leaves (nodes of total degree 1, self-loops not counted
 * as out-edges) that have no minlen get minlen staggered 1, 2, ..., chain,
 * 1, 2, ...; in-edges and out-edges are numbered separately.  Returns the
 * number of edges changed, or -1 when out of memory.  Must run before
 * gvLayout. */
int pym__render_unflatten(Agraph_t *g, int chain);

/* One weakly connected component (self-loops ignored). */
typedef struct {
    int nodes;
    int excess; /* edges - nodes + 1: independent cycles, 0 for a tree */
    int block;  /* nodes of its largest biconnected block (1 for a lone node) */
    int labels; /* edges with a label (label, xlabel, headlabel or taillabel) */
} pym__render_comp;

typedef struct {
    int nodes, edges; /* edges without self-loops */
    int labels;       /* edges with a label, self-loops included */
    int largest, largest_excess, largest_block; /* maxima over the components */
    int ncomps;
    pym__render_comp *comps; /* ncomps entries, malloc'd */
} pym__render_stats;

/* Measure root graph g (measure.c).  Returns 0, or -1 when out of memory
 * (then *st is empty).  Free with pym__render_stats_free. */
int pym__render_measure(Agraph_t *g, pym__render_stats *st);
void pym__render_stats_free(pym__render_stats *st);

/* How the components of a graph are laid out (Graphviz's pack/packmode). */
typedef enum {
    PYM__PACK_NONE,  /* not packed: dot lays all components out together; the other
                        engines always pack, as PYM__PACK_POLY */
    PYM__PACK_POLY,  /* one by one, placed by polyomino packing (the default mode) */
    PYM__PACK_ARRAY, /* one by one, placed on a grid (packmode=array) */
} pym__render_pack;

/* Estimated seconds of layout and SVG output of the measured graph with
 * `engine` (0 for an unknown one), its components placed as `pack` says, with
 * its edge labels or (labels = 0) without them. */
double pym__render_estimate(const char *engine, const pym__render_stats *st, pym__render_pack pack, int labels);

/* What to lay out with: the engine, whether to drop the edge labels first,
 * and the estimate for that. */
typedef struct {
    const char *engine; /* static string */
    int drop_labels;
    double seconds;
} pym__render_plan;

/* The plan for the measured graph (render.c).  The first that fits
 * PYM_RENDER_BUDGET_SECONDS: `wanted`; sfdp (when faster); `wanted` without
 * edge labels; else sfdp without edge labels.  When it is not the first, note
 * (notelen bytes, may be NULL) says what was changed and why. */
pym__render_plan pym__render_plan_layout(const char *wanted, const pym__render_stats *st, pym__render_pack pack,
                                         char *note, size_t notelen);

/* Components on a grid (grid.c).
 *
 * The number of columns, 1..n, of a row-major array of n cells (cell i is
 * w[i] x h[i]; every column as wide as its widest cell plus gap, every row as
 * high as its highest plus gap) whose width / height is nearest `aspect`
 * (in log scale; ties go to fewer columns).  1 when n <= 1 or aspect <= 0. */
int pym__render_grid_columns(const double *w, const double *h, int n, double gap, double aspect);

/* Gap between the cells of the grid, in points (Graphviz's pack margin, 8,
 * on both sides). */
#define PYM__GRID_GAP 16.0

/* Lay root graph g out with `engine`, its weakly connected components one by
 * one, placed on a grid whose width / height is near `aspect` (row-major, in
 * the order of each component's first node; each centred in its cell), then
 * g as a whole with "nop2", which keeps the positions (and places the graph
 * label).  g must have no subgraphs.  *columns gets the number of columns.
 * Returns 0 (g is laid out: gvFreeLayout it), -1 when out of memory, -2 when
 * a layout failed (Graphviz's message was collected); g may then be partly
 * laid out: gvFreeLayout is safe.  g gains pos / lp attributes. */
int pym__render_grid_layout(GVC_t *gvc, Agraph_t *g, const char *engine, double aspect, int *columns,
                            char *errbuf, size_t errlen);

#endif
