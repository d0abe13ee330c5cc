/* measure.c: how long would an engine take on this graph?  (render_int.h)
 *
 * Layout cannot be interrupted once started, so before layout the graph is
 * measured and the time of the requested engine estimated from formulas fitted
 * to measurements on this machine (render/README.md has the table).  The
 * caller (render.c) switches to sfdp, or drops the edge labels, when the
 * estimate exceeds the budget.
 *
 * Measures, for each weakly connected component (edge direction ignored,
 * self-loops ignored): its nodes n, its excess x = edges - nodes + 1 (the
 * number of independent cycles: 0 for a tree), and the size b of its largest
 * biconnected block (circo lays out one circle per block); and the labelled
 * edges, in all and per component.  One iterative depth-first search
 * (Hopcroft-Tarjan) computes the first three in O(nodes + edges).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_int.h"

/* ================================================================ the cost model
 *
 * Seconds for one component of n nodes, excess x, largest block b; the graph
 * costs the sum over its components (laid out one by one when packed; render.c
 * packs large graphs as an array), plus the placement of the C components,
 * plus terms of the whole graph: E edges and L edge labels.  Fits to layout and
 * SVG output (tree = random tree, "+k%" = tree plus k% extra random edges,
 * "3-cycles" = disjoint 3-cycles, packed as an array; "dense" = 200 nodes with
 * 10,100 labelled edges, Pympler's graph of 100 instances that all refer to
 * each other):
 *   dot    trees 1,000 / 2,000 / 5,000 nodes: 0.15 / 0.6 / 3.8-5.9 s (9 s once, under
 *          load) -> (n/2300)^2; a label makes an edge two ranks long, so labelled
 *          trees cost more: 1,000 / 2,000 / 5,000 nodes 0.56 / 1.9 / 29 s -> n counts
 *          the labels of the component too;
 *          +100%: 150 / 200 / 250 / 300 nodes: 0.6 / 1.7 / 5.8 / 17 s and
 *          +200%: 100 / 150 nodes: 1.5 / 8.6 s -> 1.7 (x/200)^5 (sparser graphs of the
 *          same excess are faster: +25% with x = 250 / 500 takes 0.7 / 9.7 s, +10% with
 *          x = 300 2.9 s; the fit is cautious there and hands them to sfdp early);
 *          3-cycles packed, 667 / 1,667 / 3,333 / 6,667 components: 0.38 / 1.1 / 3.0 /
 *          9.2 s -> 0.42 ms per component + 1.44e-7 s per component squared.
 *          Not packed, dot lays all components out together: 3-cycles of 1,000 / 2,000 /
 *          5,000 nodes 0.45 / 2.2 / 20 s -> (all nodes/1350)^2.
 *   neato  trees and random graphs of 1,000 / 2,000 nodes: 3-3.8 / 15-16 s -> (n/570)^2.
 *   fdp    trees 100 / 500 nodes: 0.6 / 28 s, random 100 / 500: 1.5 / 38 s
 *          -> 1.5 (n/100)^2.4; 3-cycles 20,000 nodes 20 s -> 3 ms per component.
 *   circo  trees 5,000 nodes 0.4 s; +100%, blocks of 45 / 66 / 94 / 141 nodes: 0.2 / 1.0 /
 *          1.8 / 9.2 s; +25%, blocks of 194 / 305: 6.1 / 33 s -> n/12500 + 2 (b/100)^4.
 *   twopi  linear: trees 5,000 nodes 0.35 s, 3-cycles 20,000 nodes 1.2 s, random
 *          1,000 0.27 s -> n/10000.
 *   sfdp   trees and random graphs 5,000 / 20,000 nodes: 1.9 / 13 s -> 1.9 (n/5000)^1.4;
 *          3-cycles 20,000 nodes 1.7 s.
 *   edges  every engine but dot (whose cost is in x): 600 nodes / 90,300 edges 1.7-2 s,
 *          10,000 / 100,000 7.4 s with sfdp -> 2.2e-5 s per edge.
 *   labels every engine but dot places edge labels after layout, in a search tree whose
 *          cost grows with crowding: sfdp, 200 nodes with 1,000 / 2,500 / 5,000 / 10,100
 *          labelled edges 0.17 / 1.0 / 2.8 / 9.1 s, 2,000 nodes with 5,000 3.6 s
 *          -> 3.6 (L/5000)^1.35; twopi 2,500 labels 1.1 s, dense > 90 s
 *          -> 1.2 (L/2500)^3.2; neato 1.9 s, dense ~120 s -> 2 (L/2500)^3 (also fdp, circo).
 */
typedef struct {
    const char *engine;
    double per_comp, per_comp2;    /* seconds per component, per component squared */
    double n_coef, n_scale, n_exp; /* n_coef * (n / n_scale) ^ n_exp */
    double x_coef, x_scale, x_exp; /* x_coef * (x / x_scale) ^ x_exp */
    double b_coef, b_scale, b_exp; /* b_coef * (b / b_scale) ^ b_exp */
    double per_edge;               /* seconds per edge of the graph */
    double l_coef, l_scale, l_exp; /* l_coef * (L / l_scale) ^ l_exp, L labels of the graph */
    int labels_are_nodes;          /* dot: n counts the labels of the component */
} cost_model;

static const cost_model models[] = {
    /* engine  per comp  comp^2    n: coef scale exp   x: coef scale exp  b: coef scale exp
     *                                                    per edge  L: coef scale exp  labels as nodes */
    {"dot", 0.00042, 1.44e-7, 1.0, 2300, 2.0, 1.7, 200, 5.0, 0, 1, 1, 0, 0, 1, 1, 1},
    {"neato", 0.0001, 0, 1.0, 570, 2.0, 0, 1, 1, 0, 1, 1, 2.2e-5, 2.0, 2500, 3.0, 0},
    {"fdp", 0.003, 0, 1.5, 100, 2.4, 0, 1, 1, 0, 1, 1, 2.2e-5, 2.0, 2500, 3.0, 0},
    {"circo", 0.0001, 0, 1.0, 12500, 1.0, 0, 1, 1, 2.0, 100, 4.0, 2.2e-5, 2.0, 2500, 3.0, 0},
    {"twopi", 0.0001, 0, 1.0, 10000, 1.0, 0, 1, 1, 0, 1, 1, 2.2e-5, 1.2, 2500, 3.2, 0},
    {"sfdp", 0.0001, 0, 1.9, 5000, 1.4, 0, 1, 1, 0, 1, 1, 2.2e-5, 3.6, 5000, 1.35, 0},
};

/* dot on several components without packing: (all nodes / this)^2, plus the
 * cycle terms of each component. */
#define DOT_UNPACKED_SCALE 1350.0
/* Polyomino packing of C components: this times C^2 seconds. */
#define POLYOMINO_PER_COMP2 1e-5

static double term(double coef, double value, double scale, double exponent)
{
    return coef > 0 && value > 0 ? coef * pow(value / scale, exponent) : 0.0;
}

double pym__render_estimate(const char *engine, const pym__render_stats *st, pym__render_pack pack, int labels)
{
    const cost_model *m = NULL;
    int unpacked_dot;
    double t, c = st->ncomps;

    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
        if (!strcmp(models[i].engine, engine))
            m = &models[i];
    if (!m)
        return 0;
    labels = labels && st->labels > 0;
    unpacked_dot = pack == PYM__PACK_NONE && st->ncomps > 1 && !strcmp(engine, "dot");
    if (unpacked_dot)
        t = term(1.0, st->nodes + (labels ? st->labels : 0), DOT_UNPACKED_SCALE, 2.0);
    else if (pack == PYM__PACK_ARRAY || st->ncomps <= 1)
        t = m->per_comp2 * c * c;
    else
        t = POLYOMINO_PER_COMP2 * c * c;
    for (int i = 0; i < st->ncomps; i++) {
        const pym__render_comp *k = &st->comps[i];
        double n = k->nodes + (labels && m->labels_are_nodes ? k->labels : 0);
        if (!unpacked_dot)
            t += m->per_comp + term(m->n_coef, n, m->n_scale, m->n_exp);
        t += term(m->x_coef, k->excess, m->x_scale, m->x_exp) + term(m->b_coef, k->block, m->b_scale, m->b_exp);
    }
    t += m->per_edge * st->edges;
    if (labels)
        t += term(m->l_coef, st->labels, m->l_scale, m->l_exp);
    return t;
}

/* ================================================================ measuring */

/* Count the edges with a label of any kind (label, xlabel, headlabel,
 * taillabel), in all and per component. */
static void count_labels(Agraph_t *g, pym__render_stats *st, const int *comp_of)
{
    static const char *const names[] = {"label", "xlabel", "headlabel", "taillabel"};
    Agsym_t *syms[4];
    int nsyms = 0;

    for (size_t i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "%s", names[i]);
        if ((syms[nsyms] = agattr(g, AGEDGE, name, NULL)))
            nsyms++;
    }
    if (!nsyms)
        return;
    for (Agnode_t *n = agfstnode(g); n; n = agnxtnode(g, n))
        for (Agedge_t *e = agfstout(g, n); e; e = agnxtout(g, e))
            for (int i = 0; i < nsyms; i++) {
                const char *v = agxget(e, syms[i]);
                if (v && v[0]) {
                    st->labels++;
                    st->comps[comp_of[AGSEQ(n)]].labels++;
                    break;
                }
            }
}

void pym__render_stats_free(pym__render_stats *st)
{
    free(st->comps);
    memset(st, 0, sizeof *st);
}

int pym__render_measure(Agraph_t *g, pym__render_stats *st)
{
    Agnode_t *n;
    Agedge_t *e;
    int max_seq = 0, nadj = 0, tick = 0, rc = -1;
    /* by seq: adjacency start (CSR), discovery time, low link, DFS cursor, edge to parent */
    int *start = NULL, *disc = NULL, *low = NULL, *cursor = NULL, *up = NULL;
    int *adj = NULL, *eid = NULL, *stack = NULL, *nstack = NULL, *comp_of = NULL;

    memset(st, 0, sizeof *st);
    for (n = agfstnode(g); n; n = agnxtnode(g, n)) {
        st->nodes++;
        if ((int)AGSEQ(n) > max_seq)
            max_seq = (int)AGSEQ(n);
        for (e = agfstout(g, n); e; e = agnxtout(g, e))
            if (aghead(e) != agtail(e))
                st->edges++;
    }
    size_t ns = (size_t)max_seq + 2, ne = 2 * (size_t)st->edges + 1;
    start = calloc(ns, sizeof *start);
    disc = calloc(ns, sizeof *disc);
    low = calloc(ns, sizeof *low);
    cursor = calloc(ns, sizeof *cursor);
    up = calloc(ns, sizeof *up);
    stack = malloc(ns * sizeof *stack);
    nstack = malloc(ns * sizeof *nstack);
    adj = malloc(ne * sizeof *adj);
    eid = malloc(ne * sizeof *eid);
    comp_of = malloc(ns * sizeof *comp_of);
    st->comps = malloc(ns * sizeof *st->comps);
    if (!start || !disc || !low || !cursor || !up || !stack || !nstack || !adj || !eid || !comp_of ||
        !st->comps)
        goto out;

    /* CSR adjacency, both directions, each edge with its number */
    for (n = agfstnode(g); n; n = agnxtnode(g, n))
        for (e = agfstout(g, n); e; e = agnxtout(g, e))
            if (aghead(e) != agtail(e)) {
                start[AGSEQ(agtail(e)) + 1]++;
                start[AGSEQ(aghead(e)) + 1]++;
            }
    for (int i = 1; i < (int)ns; i++)
        start[i] += start[i - 1];
    memcpy(cursor, start, ns * sizeof *cursor);
    for (n = agfstnode(g); n; n = agnxtnode(g, n))
        for (e = agfstout(g, n); e; e = agnxtout(g, e))
            if (aghead(e) != agtail(e)) {
                int t = (int)AGSEQ(agtail(e)), h = (int)AGSEQ(aghead(e));
                adj[cursor[t]] = h;
                eid[cursor[t]++] = nadj;
                adj[cursor[h]] = t;
                eid[cursor[h]++] = nadj;
                nadj++;
            }
    memcpy(cursor, start, ns * sizeof *cursor);

    for (n = agfstnode(g); n; n = agnxtnode(g, n)) {
        int root = (int)AGSEQ(n), sp = 0, nsp = 0;
        pym__render_comp *c;
        long ends = 0; /* edge ends in the component: twice its edges */

        if (disc[root])
            continue;
        c = &st->comps[st->ncomps++];
        c->nodes = 0;
        c->block = 1;
        c->labels = 0;
        disc[root] = low[root] = ++tick;
        comp_of[root] = st->ncomps - 1;
        up[root] = -1;
        stack[sp++] = root;
        nstack[nsp++] = root;
        c->nodes++;
        while (sp > 0) {
            int v = stack[sp - 1];
            if (cursor[v] < start[v + 1]) {
                int k = cursor[v]++, w = adj[k];
                ends++;
                if (eid[k] == up[v])
                    continue;
                if (!disc[w]) {
                    disc[w] = low[w] = ++tick;
                    comp_of[w] = st->ncomps - 1;
                    up[w] = eid[k];
                    stack[sp++] = w;
                    nstack[nsp++] = w;
                    c->nodes++;
                } else if (disc[w] < low[v]) {
                    low[v] = disc[w];
                }
                continue;
            }
            sp--;
            if (sp == 0)
                break;
            int u = stack[sp - 1];
            if (low[v] < low[u])
                low[u] = low[v];
            if (low[v] >= disc[u]) {
                /* u separates the block holding v: pop it (v and above), add u */
                int size = 1;
                while (nsp > 0) {
                    int x = nstack[--nsp];
                    size++;
                    if (x == v)
                        break;
                }
                if (size > c->block)
                    c->block = size;
            }
        }
        c->excess = (int)(ends / 2) - c->nodes + 1;
        if (c->nodes > st->largest)
            st->largest = c->nodes;
        if (c->excess > st->largest_excess)
            st->largest_excess = c->excess;
        if (c->block > st->largest_block)
            st->largest_block = c->block;
    }
    count_labels(g, st, comp_of);
    rc = 0;
out:
    free(comp_of);
    free(start);
    free(disc);
    free(low);
    free(cursor);
    free(up);
    free(stack);
    free(nstack);
    free(adj);
    free(eid);
    if (rc < 0)
        pym__render_stats_free(st);
    return rc;
}
