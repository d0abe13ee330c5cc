/* graph: a directed graph over node indices, for reference and garbage graphs.
 *
 * Nodes are 0..n-1 (uint32_t); edges are (src, dst) pairs kept in compressed
 * sparse row form both ways (out- and in-neighbours), so a graph of n nodes
 * and m edges takes about 16n + 8m bytes.  A graph is immutable once built.
 *
 * Ownership: a pym_graph is owned by the caller that got it from
 * pym_graph_new, pym_graph_induced or pym_graph_condense and is released
 * with pym_graph_free.  Every other pointer argument is borrowed for the
 * duration of the call; output arrays are caller-allocated with the sizes
 * given below, and are left in an unspecified state when a call fails.
 * Pointers returned by pym_graph_out / pym_graph_in point into the graph and
 * stay valid until it is freed.
 *
 * No function recurses: chains and cycles of millions of nodes are walked
 * with explicit stacks.  Allocation failure is reported (NULL or -1), never
 * aborts.  Several threads may read one graph at once (the fault-injection
 * hook at the end aside).
 */
#ifndef PYM_GRAPH_H
#define PYM_GRAPH_H

#include <stddef.h>
#include <stdint.h>

typedef struct pym_graph pym_graph;

/* The most nodes a graph may have: ids up to UINT32_MAX - 2, so that
 * UINT32_MAX can mean "no node" (see pym_graph_induced). */
#define PYM_GRAPH_MAX_NODES (UINT32_MAX - 1)

/* ---------------------------------------------------------------- building */

/* Build a graph of n nodes from m edges src[i] -> dst[i].  Duplicate edges and
 * self-loops are kept; each node's out-edges and in-edges are in input order.
 * src and dst may be NULL when m == 0.  Returns a new graph owned by the
 * caller, or NULL when out of memory, n > PYM_GRAPH_MAX_NODES or an
 * endpoint is >= n. */
pym_graph *pym_graph_new(uint32_t n, const uint32_t *src, const uint32_t *dst, size_t m);
/* Free *g and set *g to NULL; g == NULL or *g == NULL is fine. */
void pym_graph_free(pym_graph **g);

/* Number of nodes n. */
uint32_t pym_graph_nodes(const pym_graph *g);
/* Number of edges m (duplicates and self-loops included). */
size_t pym_graph_edges(const pym_graph *g);
/* Out-neighbours of v: an array of *deg node ids borrowed from g (may be
 * non-NULL with *deg == 0).  v >= n gives NULL and *deg == 0. */
const uint32_t *pym_graph_out(const pym_graph *g, uint32_t v, size_t *deg);
/* In-neighbours of v (the sources of edges into v), like pym_graph_out. */
const uint32_t *pym_graph_in(const pym_graph *g, uint32_t v, size_t *deg);

/* ---------------------------------------------------------------- components */

/* Weakly connected components (union-find, path halving, union by size).
 * comp has n entries; comp[v] in [0, count), components numbered in the order
 * of their smallest node (so comp[0] == 0 and comp[v] <= v).  Returns count,
 * or -1 when out of memory. */
int64_t pym_graph_wcc(const pym_graph *g, uint32_t *comp);
/* Strongly connected components (iterative Tarjan).  scc has n entries;
 * scc[v] in [0, count), numbered in the order of their smallest node.
 * Returns count, or -1 when out of memory. */
int64_t pym_graph_scc(const pym_graph *g, uint32_t *scc);
/* on_cycle (n entries): 1 iff v lies on a directed cycle, i.e. its SCC has
 * more than one node or v has a self-loop; else 0.  Returns how many nodes
 * are on a cycle, or -1 when out of memory. */
int64_t pym_graph_cycle_nodes(const pym_graph *g, uint8_t *on_cycle);

/* ---------------------------------------------------------------- derived graphs */

/* Induced subgraph on the nodes with keep[v] != 0, renumbered in increasing
 * old order.  Its edges are g's edges between kept nodes, ordered by source
 * then by g's out-edge order.  newid (n entries, may be NULL) receives the new
 * index of each node, or UINT32_MAX for dropped ones.  Returns a new graph
 * owned by the caller, or NULL when out of memory. */
pym_graph *pym_graph_induced(const pym_graph *g, const uint8_t *keep, uint32_t *newid);
/* Condensation: node s for each SCC s in [0, nscc) as given by scc[] (n
 * entries, e.g. from pym_graph_scc), one edge s -> t for each distinct pair
 * of different SCCs joined by some edge of g (no self-loops), edges sorted by
 * (s, t).  Returns a new graph owned by the caller, or NULL when out of
 * memory or some scc[v] >= nscc. */
pym_graph *pym_graph_condense(const pym_graph *g, const uint32_t *scc, uint32_t nscc);

/* ---------------------------------------------------------------- shapes */

/* Canonical shape signatures, for grouping components that repeat the same
 * shape.  comp (n entries) assigns node v to part comp[v] < ncomp, usually
 * from pym_graph_wcc; part c is the subgraph induced by its nodes (edges
 * between parts are ignored).  labels (n entries, may be NULL for all-zero)
 * is a caller-given label per node, e.g. a hash of the type name.
 *
 * sig[c] (ncomp entries) is a 64-bit hash that is equal for isomorphic parts
 * with equal labels and, almost surely, different for parts that
 * Weisfeiler-Lehman refinement tells apart: `rounds` rounds (3 is a good
 * default; <= 0 means labels only) of colour refinement over the multisets of
 * in- and out-neighbour colours, then a hash of the node count, edge count and
 * sorted multiset of final colours.  Like any WL test, some non-isomorphic
 * regular shapes collide (e.g. a 6-cycle and two 3-cycles in one part).
 * Cost O(rounds * (n + m) + n log n).  Returns 0, or -1 when out of memory or
 * some comp[v] >= ncomp. */
int pym_graph_component_signatures(const pym_graph *g, const uint32_t *comp, uint32_t ncomp,
                                   const uint64_t *labels, int rounds, uint64_t *sig);

/* ---------------------------------------------------------------- testing */

/* Fault injection for tests: the nth allocation made by this module from now
 * on (1-based) fails, and later ones succeed again; 0 disables.  Process-wide
 * and not thread-safe: for tests only. */
void pym_graph_test_fail_alloc(long nth);

#endif
