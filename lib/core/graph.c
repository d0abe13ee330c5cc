/* graph.c: directed graphs over node indices (see graph.h).
 *
 * Layout: compressed sparse rows both ways.  out_off[v]..out_off[v+1] index
 * out_adj, in_off likewise index in_adj; both are filled by a stable counting
 * sort of the edge list, which keeps each node's edges in input order.
 *
 * Invariants every walk relies on: no recursion (depth is bounded by the
 * explicit stacks, sized n); n <= PYM_GRAPH_MAX_NODES, so node ids and DFS
 * indices stay below UINT32_MAX - 1 and the two values above are free as
 * sentinels (NONE here, DONE in pym_graph_scc).
 */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX /* "no node / unvisited / unassigned" */

struct pym_graph {
    uint32_t n;
    size_t m;
    size_t *out_off; /* n + 1 entries */
    uint32_t *out_adj; /* m entries */
    size_t *in_off;
    uint32_t *in_adj;
};

/* ================================================================ allocation */

/* Fault injection (pym_graph_test_fail_alloc): allocations left until the
 * one that fails; 0 = never fail. */
static long fail_countdown;

void pym_graph_test_fail_alloc(long nth)
{
    fail_countdown = nth > 0 ? nth : 0;
}

static int injected_failure(void)
{
    return fail_countdown > 0 && --fail_countdown == 0;
}

/* malloc of count * size bytes, checked for overflow; never malloc(0), so
 * NULL always means failure. */
static void *alloc_array(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t bytes = count * size;
    if (injected_failure())
        return NULL;
    return malloc(bytes ? bytes : 1);
}

static void *alloc_zeroed(size_t count, size_t size)
{
    if (injected_failure())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

/* ================================================================ building */

/* Fill off[0..n] and adj[0..m) with the neighbours `to` of each `from`,
 * stable in edge order.  off must be zeroed on entry. */
static void fill_csr(uint32_t n, const uint32_t *from, const uint32_t *to, size_t m, size_t *off,
                     uint32_t *adj)
{
    for (size_t i = 0; i < m; i++)
        off[from[i] + 1]++;
    for (uint32_t v = 0; v < n; v++)
        off[v + 1] += off[v];
    /* off[v] is the start of v: use it as v's cursor, which leaves it at the
     * end of v, i.e. the start of v + 1; then shift back. */
    for (size_t i = 0; i < m; i++)
        adj[off[from[i]]++] = to[i];
    for (uint32_t v = n; v > 0; v--)
        off[v] = off[v - 1];
    off[0] = 0;
}

pym_graph *pym_graph_new(uint32_t n, const uint32_t *src, const uint32_t *dst, size_t m)
{
    pym_graph *g;

    if (n > PYM_GRAPH_MAX_NODES || (m && (!src || !dst)))
        return NULL;
    for (size_t i = 0; i < m; i++)
        if (src[i] >= n || dst[i] >= n)
            return NULL;
    g = alloc_zeroed(1, sizeof *g);
    if (!g)
        return NULL;
    g->n = n;
    g->m = m;
    g->out_off = alloc_zeroed((size_t)n + 1, sizeof *g->out_off);
    if (!g->out_off)
        goto error;
    g->in_off = alloc_zeroed((size_t)n + 1, sizeof *g->in_off);
    if (!g->in_off)
        goto error;
    g->out_adj = alloc_array(m, sizeof *g->out_adj);
    if (!g->out_adj)
        goto error;
    g->in_adj = alloc_array(m, sizeof *g->in_adj);
    if (!g->in_adj)
        goto error;
    fill_csr(n, src, dst, m, g->out_off, g->out_adj);
    fill_csr(n, dst, src, m, g->in_off, g->in_adj);
    return g;

error:
    pym_graph_free(&g);
    return NULL;
}

void pym_graph_free(pym_graph **g)
{
    if (!g || !*g)
        return;
    free((*g)->out_off);
    free((*g)->out_adj);
    free((*g)->in_off);
    free((*g)->in_adj);
    free(*g);
    *g = NULL;
}

uint32_t pym_graph_nodes(const pym_graph *g)
{
    return g->n;
}

size_t pym_graph_edges(const pym_graph *g)
{
    return g->m;
}

const uint32_t *pym_graph_out(const pym_graph *g, uint32_t v, size_t *deg)
{
    if (v >= g->n) {
        *deg = 0;
        return NULL;
    }
    *deg = g->out_off[v + 1] - g->out_off[v];
    return g->out_adj + g->out_off[v];
}

const uint32_t *pym_graph_in(const pym_graph *g, uint32_t v, size_t *deg)
{
    if (v >= g->n) {
        *deg = 0;
        return NULL;
    }
    *deg = g->in_off[v + 1] - g->in_off[v];
    return g->in_adj + g->in_off[v];
}

/* ================================================================ components */

/* Union-find root with path halving. */
static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

int64_t pym_graph_wcc(const pym_graph *g, uint32_t *comp)
{
    uint32_t n = g->n, count = 0;
    uint32_t *parent, *size;

    parent = alloc_array(n, sizeof *parent);
    size = alloc_array(n, sizeof *size);
    if (!parent || !size) {
        free(parent);
        free(size);
        return -1;
    }
    for (uint32_t v = 0; v < n; v++) {
        parent[v] = v;
        size[v] = 1;
    }
    for (uint32_t v = 0; v < n; v++) {
        for (size_t e = g->out_off[v]; e < g->out_off[v + 1]; e++) {
            uint32_t a = uf_find(parent, v), b = uf_find(parent, g->out_adj[e]);
            if (a == b)
                continue;
            if (size[a] < size[b]) {
                uint32_t t = a;
                a = b;
                b = t;
            }
            parent[b] = a;
            size[a] += size[b];
        }
    }
    /* size[] becomes the root's component number, given on first sight in
     * increasing node order, i.e. in the order of the smallest nodes. */
    for (uint32_t v = 0; v < n; v++)
        size[v] = NONE;
    for (uint32_t v = 0; v < n; v++) {
        uint32_t r = uf_find(parent, v);
        if (size[r] == NONE)
            size[r] = count++;
        comp[v] = size[r];
    }
    free(parent);
    free(size);
    return count;
}

/* Give the ids ids[v] < count new numbers in order of their smallest node,
 * using map (count entries) as scratch. */
static void renumber_by_smallest(uint32_t n, uint32_t *ids, uint32_t count, uint32_t *map)
{
    uint32_t next = 0;
    for (uint32_t i = 0; i < count; i++)
        map[i] = NONE;
    for (uint32_t v = 0; v < n; v++) {
        if (map[ids[v]] == NONE)
            map[ids[v]] = next++;
        ids[v] = map[ids[v]];
    }
}

/* Iterative Tarjan.  One word per node, num[v]: NONE while unvisited, its
 * DFS index while on Tarjan's stack, DONE once its SCC is known.  Indices
 * are below DONE, so "low = min(low, num[w])" needs no on-stack test, and
 * each edge costs one random read.  low lives in the call-stack frame, as
 * only the nodes on the call stack need it.  Both stacks hold at most n. */
#define DONE (UINT32_MAX - 1)

typedef struct {
    uint32_t node, low;
    size_t edge; /* next out-edge to follow */
} scc_frame;

int64_t pym_graph_scc(const pym_graph *g, uint32_t *scc)
{
    uint32_t n = g->n, counter = 0, count = 0;
    size_t sp = 0, tp = 0; /* call stack and Tarjan stack heights */
    uint32_t *num = alloc_array(n, sizeof *num);
    uint32_t *tstack = alloc_array(n, sizeof *tstack);
    scc_frame *frames = alloc_array(n, sizeof *frames);
    int64_t result = -1;

    if (!num || !tstack || !frames)
        goto done;
    for (uint32_t v = 0; v < n; v++)
        num[v] = NONE;
    for (uint32_t root = 0; root < n; root++) {
        if (num[root] != NONE)
            continue;
        num[root] = counter;
        tstack[tp++] = root;
        frames[sp++] = (scc_frame){root, counter++, g->out_off[root]};
        while (sp > 0) {
            scc_frame *f = &frames[sp - 1];
            uint32_t v = f->node, low = f->low;
            if (f->edge < g->out_off[v + 1]) {
                uint32_t w = g->out_adj[f->edge++];
                uint32_t x = num[w];
                if (x == NONE) { /* descend */
                    num[w] = counter;
                    tstack[tp++] = w;
                    frames[sp++] = (scc_frame){w, counter++, g->out_off[w]};
                } else if (x < low) { /* on the stack (DONE never is < low) */
                    f->low = x;
                }
                continue;
            }
            sp--; /* v is finished */
            if (low == num[v]) { /* v is the root of an SCC: pop it */
                uint32_t w;
                do {
                    w = tstack[--tp];
                    scc[w] = count;
                    num[w] = DONE;
                } while (w != v);
                count++;
            } else if (low < frames[sp - 1].low) { /* not a root: sp > 0 */
                frames[sp - 1].low = low;
            }
        }
    }
    renumber_by_smallest(n, scc, count, num);
    result = count;

done:
    free(num);
    free(tstack);
    free(frames);
    return result;
}

int64_t pym_graph_cycle_nodes(const pym_graph *g, uint8_t *on_cycle)
{
    uint32_t n = g->n;
    uint32_t *scc = alloc_array(n, sizeof *scc);
    uint32_t *members = NULL;
    int64_t count, result = -1;

    if (!scc)
        return -1;
    count = pym_graph_scc(g, scc);
    if (count < 0)
        goto done;
    members = alloc_zeroed((size_t)count, sizeof *members);
    if (!members)
        goto done;
    for (uint32_t v = 0; v < n; v++)
        if (members[scc[v]] < 2)
            members[scc[v]]++;
    result = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint8_t c = members[scc[v]] > 1;
        for (size_t e = g->out_off[v]; !c && e < g->out_off[v + 1]; e++)
            c = g->out_adj[e] == v;
        on_cycle[v] = c;
        result += c;
    }

done:
    free(scc);
    free(members);
    return result;
}

/* ================================================================ derived graphs */

pym_graph *pym_graph_induced(const pym_graph *g, const uint8_t *keep, uint32_t *newid)
{
    uint32_t n = g->n, kept = 0;
    uint32_t *ids = newid ? newid : alloc_array(n, sizeof *ids);
    uint32_t *src = NULL, *dst = NULL;
    size_t m = 0, i = 0;
    pym_graph *sub = NULL;

    if (!ids)
        return NULL;
    for (uint32_t v = 0; v < n; v++)
        ids[v] = keep[v] ? kept++ : NONE;
    for (uint32_t v = 0; v < n; v++)
        if (ids[v] != NONE)
            for (size_t e = g->out_off[v]; e < g->out_off[v + 1]; e++)
                m += ids[g->out_adj[e]] != NONE;
    src = alloc_array(m, sizeof *src);
    dst = alloc_array(m, sizeof *dst);
    if (!src || !dst)
        goto done;
    for (uint32_t v = 0; v < n; v++) {
        if (ids[v] == NONE)
            continue;
        for (size_t e = g->out_off[v]; e < g->out_off[v + 1]; e++) {
            if (ids[g->out_adj[e]] == NONE)
                continue;
            src[i] = ids[v];
            dst[i++] = ids[g->out_adj[e]];
        }
    }
    sub = pym_graph_new(kept, src, dst, m);

done:
    if (ids != newid)
        free(ids);
    free(src);
    free(dst);
    return sub;
}

/* Stable counting sort of the pairs (a[i], b[i]) by key[i] < buckets into
 * (oa, ob); cnt has buckets + 1 entries. */
static void sort_pairs(const uint32_t *key, const uint32_t *a, const uint32_t *b, size_t m,
                       uint32_t *oa, uint32_t *ob, size_t *cnt, uint32_t buckets)
{
    memset(cnt, 0, ((size_t)buckets + 1) * sizeof *cnt);
    for (size_t i = 0; i < m; i++)
        cnt[key[i] + 1]++;
    for (uint32_t k = 0; k < buckets; k++)
        cnt[k + 1] += cnt[k];
    for (size_t i = 0; i < m; i++) {
        size_t at = cnt[key[i]]++;
        oa[at] = a[i];
        ob[at] = b[i];
    }
}

pym_graph *pym_graph_condense(const pym_graph *g, const uint32_t *scc, uint32_t nscc)
{
    uint32_t n = g->n;
    uint32_t *s = NULL, *t = NULL, *s2 = NULL, *t2 = NULL;
    size_t *cnt = NULL;
    size_t m = 0, i = 0, k = 0;
    pym_graph *c = NULL;

    for (uint32_t v = 0; v < n; v++)
        if (scc[v] >= nscc)
            return NULL;
    for (uint32_t v = 0; v < n; v++)
        for (size_t e = g->out_off[v]; e < g->out_off[v + 1]; e++)
            m += scc[g->out_adj[e]] != scc[v];
    s = alloc_array(m, sizeof *s);
    t = alloc_array(m, sizeof *t);
    s2 = alloc_array(m, sizeof *s2);
    t2 = alloc_array(m, sizeof *t2);
    cnt = alloc_array((size_t)nscc + 1, sizeof *cnt);
    if (!s || !t || !s2 || !t2 || !cnt)
        goto done;
    for (uint32_t v = 0; v < n; v++) {
        for (size_t e = g->out_off[v]; e < g->out_off[v + 1]; e++) {
            if (scc[g->out_adj[e]] == scc[v])
                continue;
            s[i] = scc[v];
            t[i++] = scc[g->out_adj[e]];
        }
    }
    /* radix sort by (s, t): by t, then stably by s; then drop repeats */
    sort_pairs(t, s, t, m, s2, t2, cnt, nscc);
    sort_pairs(s2, s2, t2, m, s, t, cnt, nscc);
    for (i = 0; i < m; i++) {
        if (k > 0 && s[k - 1] == s[i] && t[k - 1] == t[i])
            continue;
        s[k] = s[i];
        t[k++] = t[i];
    }
    c = pym_graph_new(nscc, s, t, k);

done:
    free(s);
    free(t);
    free(s2);
    free(t2);
    free(cnt);
    return c;
}

/* ================================================================ shapes */

/* splitmix64's finaliser: a bijection on 64 bits with good avalanche. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/* Order-dependent combination of a running hash with one more value. */
static uint64_t combine(uint64_t h, uint64_t x)
{
    return mix64((h ^ x) + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2));
}

#define SALT_LABEL 0x243F6A8885A308D3ull
#define SALT_OUT 0x13198A2E03707344ull
#define SALT_IN 0xA4093822299F31D0ull
#define SALT_ROUND 0x082EFA98EC4E6C89ull
#define SALT_SIG 0x452821E638D01377ull

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* One WL round: next[v] from colour[v] and the multisets of the colours of
 * v's out- and in-neighbours in the same part (every neighbour when
 * `all_inside`, which saves a random read per edge).  A multiset is hashed as
 * the sum of a mix of its elements: commutative, and it counts repeats. */
static void wl_round(const pym_graph *g, const uint32_t *comp, int all_inside,
                     const uint64_t *colour, uint64_t *next)
{
    for (uint32_t v = 0; v < g->n; v++) {
        uint64_t outs = 0, ins = 0;
        uint32_t c = comp[v];
        for (size_t e = g->out_off[v]; e < g->out_off[v + 1]; e++) {
            uint32_t w = g->out_adj[e];
            if (all_inside || comp[w] == c)
                outs += mix64(colour[w] ^ SALT_OUT);
        }
        for (size_t e = g->in_off[v]; e < g->in_off[v + 1]; e++) {
            uint32_t w = g->in_adj[e];
            if (all_inside || comp[w] == c)
                ins += mix64(colour[w] ^ SALT_IN);
        }
        next[v] = combine(combine(combine(SALT_ROUND, colour[v]), outs), ins);
    }
}

int pym_graph_component_signatures(const pym_graph *g, const uint32_t *comp, uint32_t ncomp,
                                   const uint64_t *labels, int rounds, uint64_t *sig)
{
    uint32_t n = g->n;
    uint64_t *colour = NULL, *next = NULL;
    size_t *start = NULL, inside = 0;
    int result = -1;

    for (uint32_t v = 0; v < n; v++)
        if (comp[v] >= ncomp)
            return -1;
    colour = alloc_array(n, sizeof *colour);
    next = alloc_array(n, sizeof *next);
    start = alloc_zeroed((size_t)ncomp + 1, sizeof *start);
    if (!colour || !next || !start)
        goto done;

    /* edges inside each part, counted in sig[] for now */
    for (uint32_t c = 0; c < ncomp; c++)
        sig[c] = 0;
    for (uint32_t v = 0; v < n; v++)
        for (size_t e = g->out_off[v]; e < g->out_off[v + 1]; e++)
            if (comp[g->out_adj[e]] == comp[v]) {
                sig[comp[v]]++;
                inside++;
            }

    for (uint32_t v = 0; v < n; v++)
        colour[v] = mix64((labels ? labels[v] : 0) ^ SALT_LABEL);
    for (int r = 0; r < rounds; r++) {
        uint64_t *t = colour;
        wl_round(g, comp, inside == g->m, colour, next);
        colour = next;
        next = t;
    }

    /* the colours of each part, grouped in next[start[c]..start[c+1]) and
     * sorted (the same cursor trick as fill_csr) */
    for (uint32_t v = 0; v < n; v++)
        start[comp[v] + 1]++;
    for (uint32_t c = 0; c < ncomp; c++)
        start[c + 1] += start[c];
    for (uint32_t v = 0; v < n; v++)
        next[start[comp[v]]++] = colour[v];
    for (uint32_t c = ncomp; c > 0; c--)
        start[c] = start[c - 1];
    start[0] = 0;

    for (uint32_t c = 0; c < ncomp; c++) {
        size_t lo = start[c], hi = start[c + 1];
        uint64_t h = combine(combine(SALT_SIG, hi - lo), sig[c]);
        qsort(next + lo, hi - lo, sizeof *next, cmp_u64);
        for (size_t i = lo; i < hi; i++)
            h = combine(h, next[i]);
        sig[c] = h;
    }
    result = 0;

done:
    free(colour);
    free(next);
    free(start);
    return result;
}
