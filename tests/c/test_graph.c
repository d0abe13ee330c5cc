/* CUnit suite for lib/core/graph: CSR graphs, components, cycles, shapes. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#define MILLION 1000000u
#define N_EDGES(a) (sizeof(a) / sizeof *(a))

/* A small deterministic generator for random graphs. */
static uint64_t rng_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 33;
}

/* A graph from two parallel edge lists of static size. */
static pym_graph *graph_of(uint32_t n, const uint32_t *src, const uint32_t *dst, size_t m)
{
    pym_graph *g = pym_graph_new(n, src, dst, m);
    CU_ASSERT_PTR_NOT_NULL(g);
    return g;
}

/* Equality of the out-neighbour list of v with want[0..len). */
static int out_is(const pym_graph *g, uint32_t v, const uint32_t *want, size_t len)
{
    size_t deg;
    const uint32_t *adj = pym_graph_out(g, v, &deg);
    return deg == len && (len == 0 || memcmp(adj, want, len * sizeof *want) == 0);
}

static int in_is(const pym_graph *g, uint32_t v, const uint32_t *want, size_t len)
{
    size_t deg;
    const uint32_t *adj = pym_graph_in(g, v, &deg);
    return deg == len && (len == 0 || memcmp(adj, want, len * sizeof *want) == 0);
}

/* A chain 0 -> 1 -> ... -> n-1, closed into a cycle when `cycle`. */
static pym_graph *long_chain(uint32_t n, int cycle)
{
    size_t m = cycle ? n : n - 1;
    uint32_t *src = malloc(m * sizeof *src), *dst = malloc(m * sizeof *dst);
    pym_graph *g = NULL;
    if (src && dst) {
        for (size_t i = 0; i < m; i++) {
            src[i] = (uint32_t)i;
            dst[i] = (uint32_t)((i + 1) % n);
        }
        g = pym_graph_new(n, src, dst, m);
    }
    free(src);
    free(dst);
    return g;
}

/* ================================================================ basics */

static void test_empty_graph_has_no_components(void)
{
    pym_graph *g = pym_graph_new(0, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(pym_graph_nodes(g), 0);
    CU_ASSERT_EQUAL(pym_graph_edges(g), 0);
    size_t deg = 7;
    CU_ASSERT_PTR_NULL(pym_graph_out(g, 0, &deg));
    CU_ASSERT_EQUAL(deg, 0);
    CU_ASSERT_EQUAL(pym_graph_wcc(g, NULL), 0);
    CU_ASSERT_EQUAL(pym_graph_scc(g, NULL), 0);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, NULL), 0);
    CU_ASSERT_EQUAL(pym_graph_component_signatures(g, NULL, 0, NULL, 3, NULL), 0);
    pym_graph *sub = pym_graph_induced(g, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL(sub);
    CU_ASSERT_EQUAL(pym_graph_nodes(sub), 0);
    pym_graph *c = pym_graph_condense(g, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL(c);
    CU_ASSERT_EQUAL(pym_graph_nodes(c), 0);
    pym_graph_free(&sub);
    pym_graph_free(&c);
    pym_graph_free(&g);
    CU_ASSERT_PTR_NULL(g);
    pym_graph_free(&g); /* freeing NULL is fine */
    pym_graph_free(NULL);
}

static void test_single_node_is_one_component_off_any_cycle(void)
{
    pym_graph *g = pym_graph_new(1, NULL, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t comp = 9, scc = 9;
    uint8_t on = 9;
    size_t deg = 9;
    CU_ASSERT_PTR_NOT_NULL(pym_graph_out(g, 0, &deg));
    CU_ASSERT_EQUAL(deg, 0);
    CU_ASSERT_PTR_NOT_NULL(pym_graph_in(g, 0, &deg));
    CU_ASSERT_EQUAL(deg, 0);
    CU_ASSERT_EQUAL(pym_graph_wcc(g, &comp), 1);
    CU_ASSERT_EQUAL(comp, 0);
    CU_ASSERT_EQUAL(pym_graph_scc(g, &scc), 1);
    CU_ASSERT_EQUAL(scc, 0);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, &on), 0);
    CU_ASSERT_EQUAL(on, 0);
    pym_graph_free(&g);
}

static void test_a_self_loop_is_a_cycle(void)
{
    const uint32_t src[] = {0}, dst[] = {0};
    pym_graph *g = graph_of(1, src, dst, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(pym_graph_edges(g), 1);
    CU_ASSERT_TRUE(out_is(g, 0, dst, 1));
    CU_ASSERT_TRUE(in_is(g, 0, src, 1));
    uint32_t scc = 9;
    uint8_t on = 9;
    CU_ASSERT_EQUAL(pym_graph_scc(g, &scc), 1);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, &on), 1);
    CU_ASSERT_EQUAL(on, 1);
    pym_graph *c = pym_graph_condense(g, &scc, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(pym_graph_nodes(c), 1);
    CU_ASSERT_EQUAL(pym_graph_edges(c), 0); /* no self-loops */
    pym_graph_free(&c);
    pym_graph_free(&g);
}

static void test_a_chain_has_one_wcc_and_one_scc_per_node(void)
{
    const uint32_t src[] = {0, 1, 2}, dst[] = {1, 2, 3};
    pym_graph *g = graph_of(4, src, dst, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t comp[4], scc[4];
    uint8_t on[4];
    CU_ASSERT_EQUAL(pym_graph_wcc(g, comp), 1);
    for (int v = 0; v < 4; v++)
        CU_ASSERT_EQUAL(comp[v], 0);
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 4);
    for (uint32_t v = 0; v < 4; v++)
        CU_ASSERT_EQUAL(scc[v], v);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, on), 0);
    for (int v = 0; v < 4; v++)
        CU_ASSERT_EQUAL(on[v], 0);
    const uint32_t two[] = {2}, one[] = {1};
    CU_ASSERT_TRUE(out_is(g, 1, two, 1));
    CU_ASSERT_TRUE(in_is(g, 2, one, 1));
    CU_ASSERT_TRUE(out_is(g, 3, NULL, 0));
    CU_ASSERT_TRUE(in_is(g, 0, NULL, 0));
    pym_graph_free(&g);
}

static void test_a_three_cycle_is_one_scc_all_on_cycle(void)
{
    const uint32_t src[] = {0, 1, 2}, dst[] = {1, 2, 0};
    pym_graph *g = graph_of(3, src, dst, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t scc[3];
    uint8_t on[3];
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 1);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, on), 3);
    for (int v = 0; v < 3; v++) {
        CU_ASSERT_EQUAL(scc[v], 0);
        CU_ASSERT_EQUAL(on[v], 1);
    }
    pym_graph_free(&g);
}

/* Cycle A = {6, 2, 4} -> path 4 -> 0 -> 7 -> 1 -> cycle B = {1, 5, 3}:
 * node ids shuffled so that numbering by smallest node is visible. */
static void test_a_path_joining_two_cycles_is_not_on_a_cycle(void)
{
    const uint32_t src[] = {6, 2, 4, 4, 0, 7, 1, 5, 3};
    const uint32_t dst[] = {2, 4, 6, 0, 7, 1, 5, 3, 1};
    pym_graph *g = graph_of(8, src, dst, N_EDGES(src));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t scc[8], comp[8];
    uint8_t on[8];
    const uint8_t want_on[8] = {0, 1, 1, 1, 1, 1, 1, 0};
    /* by smallest node: {0}=0, {1,3,5}=1, {2,4,6}=2, {7}=3 */
    const uint32_t want_scc[8] = {0, 1, 2, 1, 2, 1, 2, 3};
    CU_ASSERT_EQUAL(pym_graph_wcc(g, comp), 1);
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 4);
    CU_ASSERT_EQUAL(memcmp(scc, want_scc, sizeof scc), 0);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, on), 6);
    CU_ASSERT_EQUAL(memcmp(on, want_on, sizeof on), 0);
    pym_graph_free(&g);
}

static void test_disjoint_components_are_numbered_by_smallest_node(void)
{
    /* {0, 3, 5}, {1, 4}, {2}, edges pointing "down" to the small nodes */
    const uint32_t src[] = {5, 4, 3}, dst[] = {3, 1, 0};
    pym_graph *g = graph_of(6, src, dst, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t comp[6];
    const uint32_t want[6] = {0, 1, 2, 0, 1, 0};
    CU_ASSERT_EQUAL(pym_graph_wcc(g, comp), 3);
    CU_ASSERT_EQUAL(memcmp(comp, want, sizeof comp), 0);
    uint32_t scc[6];
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 6);
    for (uint32_t v = 0; v < 6; v++)
        CU_ASSERT_EQUAL(scc[v], v);
    pym_graph_free(&g);
}

static void test_duplicate_edges_are_kept_in_input_order(void)
{
    const uint32_t src[] = {0, 1, 0, 2, 0, 1, 2};
    const uint32_t dst[] = {1, 0, 1, 0, 2, 0, 0};
    pym_graph *g = graph_of(3, src, dst, N_EDGES(src));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(pym_graph_edges(g), 7);
    const uint32_t out0[] = {1, 1, 2}, in0[] = {1, 2, 1, 2}, out1[] = {0, 0}, in1[] = {0, 0};
    CU_ASSERT_TRUE(out_is(g, 0, out0, 3));
    CU_ASSERT_TRUE(in_is(g, 0, in0, 4));
    CU_ASSERT_TRUE(out_is(g, 1, out1, 2));
    CU_ASSERT_TRUE(in_is(g, 1, in1, 2));
    uint32_t scc[3];
    uint8_t on[3];
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 1);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, on), 3);
    pym_graph *c = pym_graph_condense(g, scc, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(pym_graph_nodes(c), 1);
    CU_ASSERT_EQUAL(pym_graph_edges(c), 0);
    pym_graph_free(&c);
    pym_graph_free(&g);
}

static void test_a_diamond_is_acyclic(void)
{
    const uint32_t src[] = {0, 0, 1, 2}, dst[] = {1, 2, 3, 3};
    pym_graph *g = graph_of(4, src, dst, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t comp[4], scc[4];
    uint8_t on[4];
    CU_ASSERT_EQUAL(pym_graph_wcc(g, comp), 1);
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 4);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, on), 0);
    const uint32_t in3[] = {1, 2};
    CU_ASSERT_TRUE(in_is(g, 3, in3, 2));
    pym_graph *c = pym_graph_condense(g, scc, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(pym_graph_nodes(c), 4);
    CU_ASSERT_EQUAL(pym_graph_edges(c), 4);
    pym_graph_free(&c);
    pym_graph_free(&g);
}

static void test_a_tail_into_a_cycle_is_not_on_it(void)
{
    /* 4 -> 3 -> 0 -> 1 -> 2 -> 0 */
    const uint32_t src[] = {4, 3, 0, 1, 2}, dst[] = {3, 0, 1, 2, 0};
    pym_graph *g = graph_of(5, src, dst, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t scc[5];
    uint8_t on[5];
    const uint8_t want_on[5] = {1, 1, 1, 0, 0};
    const uint32_t want_scc[5] = {0, 0, 0, 1, 2};
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 3);
    CU_ASSERT_EQUAL(memcmp(scc, want_scc, sizeof scc), 0);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, on), 3);
    CU_ASSERT_EQUAL(memcmp(on, want_on, sizeof on), 0);
    pym_graph_free(&g);
}

static void test_an_edge_endpoint_out_of_range_is_refused(void)
{
    const uint32_t ok[] = {0, 1}, bad[] = {0, 2};
    CU_ASSERT_PTR_NULL(pym_graph_new(2, ok, bad, 2));
    CU_ASSERT_PTR_NULL(pym_graph_new(2, bad, ok, 2));
    CU_ASSERT_PTR_NULL(pym_graph_new(0, ok, ok, 1));
    CU_ASSERT_PTR_NULL(pym_graph_new(2, NULL, NULL, 1));
    const uint32_t huge[] = {UINT32_MAX};
    CU_ASSERT_PTR_NULL(pym_graph_new(3, huge, ok, 1));
    CU_ASSERT_PTR_NULL(pym_graph_new(UINT32_MAX, NULL, NULL, 0)); /* over the limit */
    pym_graph *g = graph_of(2, ok, ok, 2);
    size_t deg = 5;
    CU_ASSERT_PTR_NULL(pym_graph_out(g, 2, &deg));
    CU_ASSERT_EQUAL(deg, 0);
    deg = 5;
    CU_ASSERT_PTR_NULL(pym_graph_in(g, UINT32_MAX, &deg));
    CU_ASSERT_EQUAL(deg, 0);
    /* a component id out of range is refused too */
    const uint32_t scc_bad[] = {0, 1};
    uint64_t sig[1];
    CU_ASSERT_PTR_NULL(pym_graph_condense(g, scc_bad, 1));
    CU_ASSERT_EQUAL(pym_graph_component_signatures(g, scc_bad, 1, NULL, 2, sig), -1);
    pym_graph_free(&g);
}

/* ================================================================ big graphs */

static void test_a_million_node_chain_does_not_overflow_the_stack(void)
{
    pym_graph *g = long_chain(MILLION, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t *ids = malloc(MILLION * sizeof *ids);
    uint8_t *on = malloc(MILLION);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    CU_ASSERT_PTR_NOT_NULL_FATAL(on);
    CU_ASSERT_EQUAL(pym_graph_edges(g), MILLION - 1);
    CU_ASSERT_EQUAL(pym_graph_wcc(g, ids), 1);
    CU_ASSERT_EQUAL(ids[MILLION - 1], 0);
    CU_ASSERT_EQUAL(pym_graph_scc(g, ids), MILLION);
    int wrong = 0;
    for (uint32_t v = 0; v < MILLION; v++)
        wrong += ids[v] != v;
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, on), 0);
    pym_graph_free(&g);
    free(ids);
    free(on);
}

static void test_a_million_node_cycle_is_one_scc(void)
{
    pym_graph *g = long_chain(MILLION, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t *ids = malloc(MILLION * sizeof *ids);
    uint8_t *on = malloc(MILLION);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
    CU_ASSERT_PTR_NOT_NULL_FATAL(on);
    CU_ASSERT_EQUAL(pym_graph_wcc(g, ids), 1);
    CU_ASSERT_EQUAL(pym_graph_scc(g, ids), 1);
    int wrong = 0;
    for (uint32_t v = 0; v < MILLION; v++)
        wrong += ids[v] != 0;
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(pym_graph_cycle_nodes(g, on), MILLION);
    pym_graph *c = pym_graph_condense(g, ids, 1);
    CU_ASSERT_PTR_NOT_NULL(c);
    CU_ASSERT_EQUAL(pym_graph_nodes(c), 1);
    CU_ASSERT_EQUAL(pym_graph_edges(c), 0);
    pym_graph_free(&c);
    pym_graph_free(&g);
    free(ids);
    free(on);
}

/* ================================================================ properties */

/* A random graph with n nodes and m edges, sparse enough to split up. */
static pym_graph *random_graph(uint32_t n, size_t m, uint64_t seed)
{
    uint32_t *src = malloc(m * sizeof *src), *dst = malloc(m * sizeof *dst);
    pym_graph *g = NULL;
    if (src && dst) {
        for (size_t i = 0; i < m; i++) {
            src[i] = (uint32_t)(rng_next(&seed) % n);
            dst[i] = (uint32_t)(rng_next(&seed) % n);
        }
        g = pym_graph_new(n, src, dst, m);
    }
    free(src);
    free(dst);
    return g;
}

/* Numbered by smallest node: the first occurrences of the ids, in node order,
 * are 0, 1, 2, ... and count is one past the last. */
static int numbered_by_smallest(const uint32_t *ids, uint32_t n, int64_t count)
{
    uint32_t next = 0;
    for (uint32_t v = 0; v < n; v++) {
        if (ids[v] > next)
            return 0;
        if (ids[v] == next)
            next++;
    }
    return next == count;
}

static void test_wcc_matches_a_flood_fill_and_numbers_by_smallest_node(void)
{
    const uint32_t n = 3000;
    pym_graph *g = random_graph(n, 1400, 42); /* many components */
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t *comp = malloc(n * sizeof *comp), *flood = malloc(n * sizeof *flood);
    uint32_t *queue = malloc(n * sizeof *queue);
    CU_ASSERT_PTR_NOT_NULL_FATAL(comp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(flood);
    CU_ASSERT_PTR_NOT_NULL_FATAL(queue);
    int64_t count = pym_graph_wcc(g, comp);
    CU_ASSERT_TRUE(count > 100 && count < n);
    CU_ASSERT_TRUE(numbered_by_smallest(comp, n, count));

    /* breadth-first flood fill from each node in turn gives the reference */
    uint32_t labels = 0;
    for (uint32_t v = 0; v < n; v++)
        flood[v] = UINT32_MAX;
    for (uint32_t r = 0; r < n; r++) {
        if (flood[r] != UINT32_MAX)
            continue;
        size_t head = 0, tail = 0;
        flood[r] = labels;
        queue[tail++] = r;
        while (head < tail) {
            uint32_t u = queue[head++];
            for (int dir = 0; dir < 2; dir++) {
                size_t deg;
                const uint32_t *adj = dir ? pym_graph_in(g, u, &deg) : pym_graph_out(g, u, &deg);
                for (size_t i = 0; i < deg; i++)
                    if (flood[adj[i]] == UINT32_MAX) {
                        flood[adj[i]] = labels;
                        queue[tail++] = adj[i];
                    }
            }
        }
        labels++;
    }
    CU_ASSERT_EQUAL(count, labels);
    CU_ASSERT_EQUAL(memcmp(comp, flood, n * sizeof *comp), 0);
    free(comp);
    free(flood);
    free(queue);
    pym_graph_free(&g);
}

static void test_scc_matches_mutual_reachability(void)
{
    enum { N = 80 };
    for (uint64_t seed = 1; seed <= 20; seed++) {
        pym_graph *g = random_graph(N, 90 + 5 * seed, seed);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        static uint8_t reach[N][N];
        memset(reach, 0, sizeof reach);
        for (uint32_t v = 0; v < N; v++) {
            size_t deg;
            const uint32_t *adj = pym_graph_out(g, v, &deg);
            reach[v][v] = 1;
            for (size_t i = 0; i < deg; i++)
                reach[v][adj[i]] = 1;
        }
        for (int k = 0; k < N; k++) /* Warshall's transitive closure */
            for (int i = 0; i < N; i++)
                if (reach[i][k])
                    for (int j = 0; j < N; j++)
                        reach[i][j] |= reach[k][j];
        uint32_t scc[N];
        uint8_t on[N];
        int64_t count = pym_graph_scc(g, scc);
        CU_ASSERT_TRUE(numbered_by_smallest(scc, N, count));
        int wrong = 0;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                wrong += (scc[i] == scc[j]) != (reach[i][j] && reach[j][i]);
        CU_ASSERT_EQUAL(wrong, 0);
        CU_ASSERT_TRUE(pym_graph_cycle_nodes(g, on) >= 0);
        for (uint32_t v = 0; v < N; v++) {
            int cyclic = 0;
            size_t deg;
            const uint32_t *adj = pym_graph_out(g, v, &deg);
            for (size_t i = 0; i < deg; i++)
                cyclic |= reach[adj[i]][v]; /* v -> w ->* v */
            wrong += on[v] != cyclic;
        }
        CU_ASSERT_EQUAL(wrong, 0);
        pym_graph_free(&g);
    }
}

/* ================================================================ derived graphs */

static void test_induced_subgraph_renumbers_in_old_order(void)
{
    /* 0->1, 1->3, 3->1, 3->4, 4->3, 4->0, 2->4, 4->4, 3->4 */
    const uint32_t src[] = {0, 1, 3, 3, 4, 4, 2, 4, 3};
    const uint32_t dst[] = {1, 3, 1, 4, 3, 0, 4, 4, 4};
    pym_graph *g = graph_of(5, src, dst, N_EDGES(src));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const uint8_t keep[5] = {0, 1, 0, 7, 1};
    uint32_t newid[5];
    pym_graph *sub = pym_graph_induced(g, keep, newid);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    const uint32_t want_id[5] = {UINT32_MAX, 0, UINT32_MAX, 1, 2};
    CU_ASSERT_EQUAL(memcmp(newid, want_id, sizeof newid), 0);
    CU_ASSERT_EQUAL(pym_graph_nodes(sub), 3);
    CU_ASSERT_EQUAL(pym_graph_edges(sub), 6);
    const uint32_t out0[] = {1}, out1[] = {0, 2, 2}, out2[] = {1, 2};
    const uint32_t in1[] = {0, 2}, in2[] = {1, 1, 2};
    CU_ASSERT_TRUE(out_is(sub, 0, out0, 1));
    CU_ASSERT_TRUE(out_is(sub, 1, out1, 3));
    CU_ASSERT_TRUE(out_is(sub, 2, out2, 2));
    CU_ASSERT_TRUE(in_is(sub, 1, in1, 2));
    CU_ASSERT_TRUE(in_is(sub, 2, in2, 3));
    pym_graph_free(&sub);

    /* without newid; keeping nothing gives the empty graph */
    sub = pym_graph_induced(g, keep, NULL);
    CU_ASSERT_PTR_NOT_NULL(sub);
    CU_ASSERT_EQUAL(pym_graph_edges(sub), 6);
    pym_graph_free(&sub);
    const uint8_t none[5] = {0};
    sub = pym_graph_induced(g, none, newid);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sub);
    CU_ASSERT_EQUAL(pym_graph_nodes(sub), 0);
    CU_ASSERT_EQUAL(pym_graph_edges(sub), 0);
    CU_ASSERT_EQUAL(newid[3], UINT32_MAX);
    pym_graph_free(&sub);
    pym_graph_free(&g);
}

static void test_condensing_two_joined_cycles_gives_one_edge(void)
{
    /* {0, 1} -> {2, 3} */
    const uint32_t src[] = {0, 1, 2, 3, 1}, dst[] = {1, 0, 3, 2, 2};
    pym_graph *g = graph_of(4, src, dst, N_EDGES(src));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t scc[4];
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 2);
    pym_graph *c = pym_graph_condense(g, scc, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(pym_graph_nodes(c), 2);
    CU_ASSERT_EQUAL(pym_graph_edges(c), 1);
    const uint32_t one[] = {1}, zero[] = {0};
    CU_ASSERT_TRUE(out_is(c, 0, one, 1));
    CU_ASSERT_TRUE(in_is(c, 1, zero, 1));
    pym_graph_free(&c);
    pym_graph_free(&g);
}

static void test_condensing_parallel_edges_keeps_one_sorted_edge_per_pair(void)
{
    /* SCCs {0, 1}, {2, 3}, {4}; many edges {0,1} -> {2,3}, and both to {4} */
    const uint32_t src[] = {0, 1, 2, 3, 0, 1, 0, 1, 1, 3, 0, 2, 4};
    const uint32_t dst[] = {1, 0, 3, 2, 2, 3, 3, 2, 2, 4, 4, 4, 4};
    pym_graph *g = graph_of(5, src, dst, N_EDGES(src));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t scc[5];
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 3);
    pym_graph *c = pym_graph_condense(g, scc, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(pym_graph_nodes(c), 3);
    CU_ASSERT_EQUAL(pym_graph_edges(c), 3);
    const uint32_t out0[] = {1, 2}, out1[] = {2}, in2[] = {0, 1};
    CU_ASSERT_TRUE(out_is(c, 0, out0, 2));
    CU_ASSERT_TRUE(out_is(c, 1, out1, 1));
    CU_ASSERT_TRUE(out_is(c, 2, NULL, 0));
    CU_ASSERT_TRUE(in_is(c, 2, in2, 2));
    pym_graph_free(&c);
    pym_graph_free(&g);
}

/* ================================================================ signatures */

static void test_ten_thousand_identical_three_cycles_share_a_signature(void)
{
    enum { K = 10000, N = 3 * K };
    uint32_t *src = malloc(N * sizeof *src), *dst = malloc(N * sizeof *dst);
    uint32_t *comp = malloc(N * sizeof *comp);
    uint64_t *labels = malloc(N * sizeof *labels), *sig = malloc(K * sizeof *sig);
    CU_ASSERT_FATAL(src && dst && comp && labels && sig);
    for (uint32_t k = 0; k < K; k++)
        for (uint32_t j = 0; j < 3; j++) {
            src[3 * k + j] = 3 * k + j;
            dst[3 * k + j] = 3 * k + (j + 1) % 3;
            labels[3 * k + j] = 0xC0FFEE;
        }
    pym_graph *g = pym_graph_new(N, src, dst, N);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(pym_graph_wcc(g, comp), K);
    CU_ASSERT_EQUAL(pym_graph_component_signatures(g, comp, K, labels, 3, sig), 0);
    int differ = 0;
    for (uint32_t k = 1; k < K; k++)
        differ += sig[k] != sig[0];
    CU_ASSERT_EQUAL(differ, 0);
    pym_graph_free(&g);
    free(src);
    free(dst);
    free(comp);
    free(labels);
    free(sig);
}

static void test_a_three_cycle_and_a_three_chain_differ(void)
{
    const uint32_t src[] = {0, 1, 2, 3, 4}, dst[] = {1, 2, 0, 4, 5};
    const uint32_t comp[] = {0, 0, 0, 1, 1, 1};
    pym_graph *g = graph_of(6, src, dst, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint64_t sig[2];
    for (int rounds = 0; rounds <= 3; rounds++) {
        CU_ASSERT_EQUAL(pym_graph_component_signatures(g, comp, 2, NULL, rounds, sig), 0);
        CU_ASSERT_NOT_EQUAL(sig[0], sig[1]);
    }
    pym_graph_free(&g);
}

static void test_same_shape_with_different_labels_differs(void)
{
    /* two chains a -> b -> c; the labels differ only in the middle node, or
     * only in which end carries the odd label */
    const uint32_t src[] = {0, 1, 3, 4, 6, 7, 9, 10}, dst[] = {1, 2, 4, 5, 7, 8, 10, 11};
    const uint32_t comp[] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3};
    const uint64_t labels[] = {1, 2, 1, 1, 3, 1, 5, 1, 1, 1, 1, 5};
    pym_graph *g = graph_of(12, src, dst, 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint64_t sig[4];
    CU_ASSERT_EQUAL(pym_graph_component_signatures(g, comp, 4, labels, 3, sig), 0);
    CU_ASSERT_NOT_EQUAL(sig[0], sig[1]);
    CU_ASSERT_NOT_EQUAL(sig[2], sig[3]); /* same label multiset, other end */
    CU_ASSERT_NOT_EQUAL(sig[0], sig[2]);
    pym_graph_free(&g);
}

static void test_permuting_nodes_and_edges_keeps_the_signature(void)
{
    enum { N = 40, M = 70 };
    uint64_t seed = 7;
    uint32_t src[2 * M], dst[2 * M], perm[N], comp[2 * N];
    uint64_t labels[2 * N], sig[2];
    /* part 0: a random graph on nodes 0..N-1 with labels in {0..3} */
    for (uint32_t v = 0; v < N; v++) {
        labels[v] = rng_next(&seed) % 4;
        perm[v] = v;
        comp[v] = 0;
        comp[N + v] = 1;
    }
    for (uint32_t i = 0; i < M; i++) {
        src[i] = (uint32_t)(rng_next(&seed) % N);
        dst[i] = (uint32_t)(rng_next(&seed) % N);
    }
    /* part 1: the same graph on N + perm[v], edges in reverse order */
    for (uint32_t i = N - 1; i > 0; i--) { /* Fisher-Yates */
        uint32_t j = (uint32_t)(rng_next(&seed) % (i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t v = 0; v < N; v++)
        labels[N + perm[v]] = labels[v];
    for (uint32_t i = 0; i < M; i++) {
        src[M + i] = N + perm[src[M - 1 - i]];
        dst[M + i] = N + perm[dst[M - 1 - i]];
    }
    pym_graph *g = graph_of(2 * N, src, dst, 2 * M);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(pym_graph_component_signatures(g, comp, 2, labels, 4, sig), 0);
    CU_ASSERT_EQUAL(sig[0], sig[1]);
    /* one edge turned around breaks the isomorphism */
    uint32_t t = src[2 * M - 1];
    src[2 * M - 1] = dst[2 * M - 1];
    dst[2 * M - 1] = t;
    pym_graph_free(&g);
    if (src[2 * M - 1] != dst[2 * M - 1]) {
        g = graph_of(2 * N, src, dst, 2 * M);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        CU_ASSERT_EQUAL(pym_graph_component_signatures(g, comp, 2, labels, 4, sig), 0);
        CU_ASSERT_NOT_EQUAL(sig[0], sig[1]);
        pym_graph_free(&g);
    }
}

static void test_signatures_ignore_edges_between_parts(void)
{
    /* two 3-cycles joined by 2 -> 3; as SCC parts, they are alike */
    const uint32_t src[] = {0, 1, 2, 3, 4, 5, 2}, dst[] = {1, 2, 0, 4, 5, 3, 3};
    pym_graph *g = graph_of(6, src, dst, N_EDGES(src));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    uint32_t scc[6];
    uint64_t sig[2];
    CU_ASSERT_EQUAL(pym_graph_scc(g, scc), 2);
    CU_ASSERT_EQUAL(pym_graph_component_signatures(g, scc, 2, NULL, 3, sig), 0);
    CU_ASSERT_EQUAL(sig[0], sig[1]);
    pym_graph_free(&g);
    /* and each is the signature of a lone 3-cycle */
    const uint32_t zero[3] = {0, 0, 0};
    uint64_t lone;
    g = graph_of(3, src, dst, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(pym_graph_component_signatures(g, zero, 1, NULL, 3, &lone), 0);
    CU_ASSERT_EQUAL(lone, sig[0]);
    pym_graph_free(&g);
}

/* ================================================================ out of memory */

/* The call numbered `f` on g: 1 success, 0 reported failure, -1 wrong. */
static int call_under_test(int f, const pym_graph *g)
{
    const uint32_t src[] = {0, 1, 2, 2, 3}, dst[] = {1, 0, 3, 0, 3};
    const uint8_t keep[] = {1, 0, 1, 1};
    const uint32_t scc[] = {0, 0, 1, 2};
    uint32_t ids[4];
    uint8_t on[4];
    uint64_t sig[3];
    pym_graph *h = NULL;
    int64_t r = 0;
    int ok = -1;

    switch (f) {
    case 0:
        h = pym_graph_new(4, src, dst, N_EDGES(src));
        ok = h ? pym_graph_edges(h) == 5 : 0;
        break;
    case 1:
        r = pym_graph_wcc(g, ids);
        ok = r == -1 ? 0 : r == 1;
        break;
    case 2:
        r = pym_graph_scc(g, ids);
        ok = r == -1 ? 0 : r == 3;
        break;
    case 3:
        r = pym_graph_cycle_nodes(g, on);
        ok = r == -1 ? 0 : r == 3;
        break;
    case 4:
        h = pym_graph_induced(g, keep, NULL);
        ok = h ? pym_graph_edges(h) == 3 : 0;
        break;
    case 5:
        h = pym_graph_condense(g, scc, 3);
        ok = h ? pym_graph_edges(h) == 2 : 0;
        break;
    case 6:
        r = pym_graph_component_signatures(g, scc, 3, NULL, 2, sig);
        ok = r == -1 ? 0 : r == 0;
        break;
    }
    if (ok == 0 && h)
        ok = -1;
    pym_graph_free(&h);
    return ok == 0 ? 0 : ok == 1 ? 1 : -1;
}

static void test_every_allocation_failure_is_reported(void)
{
    const uint32_t src[] = {0, 1, 2, 2, 3}, dst[] = {1, 0, 3, 0, 3};
    /* how many allocations each call makes: each one fails in turn */
    const int allocations[7] = {5, 2, 3, 5, 8, 10, 3};
    pym_graph *g = graph_of(4, src, dst, N_EDGES(src));
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    for (int f = 0; f < 7; f++) {
        int failures = 0, wrong = 0;
        long nth;
        for (nth = 1; nth < 50; nth++) {
            pym_graph_test_fail_alloc(nth);
            int ok = call_under_test(f, g);
            pym_graph_test_fail_alloc(0);
            if (ok == 1)
                break;
            failures += ok == 0;
            wrong += ok != 0;
        }
        CU_ASSERT_EQUAL(failures, allocations[f]);
        CU_ASSERT_EQUAL(nth, allocations[f] + 1);
        CU_ASSERT_EQUAL(wrong, 0);
    }
    pym_graph_free(&g);
}

/* ================================================================ the suite */

CU_TestInfo pym_graph_tests[] = {
    {"empty graph has no components", test_empty_graph_has_no_components},
    {"single node is one component off any cycle", test_single_node_is_one_component_off_any_cycle},
    {"a self-loop is a cycle", test_a_self_loop_is_a_cycle},
    {"a chain has one wcc and one scc per node", test_a_chain_has_one_wcc_and_one_scc_per_node},
    {"a three-cycle is one scc all on cycle", test_a_three_cycle_is_one_scc_all_on_cycle},
    {"a path joining two cycles is not on a cycle", test_a_path_joining_two_cycles_is_not_on_a_cycle},
    {"disjoint components are numbered by smallest node",
     test_disjoint_components_are_numbered_by_smallest_node},
    {"duplicate edges are kept in input order", test_duplicate_edges_are_kept_in_input_order},
    {"a diamond is acyclic", test_a_diamond_is_acyclic},
    {"a tail into a cycle is not on it", test_a_tail_into_a_cycle_is_not_on_it},
    {"an edge endpoint out of range is refused", test_an_edge_endpoint_out_of_range_is_refused},
    {"a million-node chain does not overflow the stack",
     test_a_million_node_chain_does_not_overflow_the_stack},
    {"a million-node cycle is one scc", test_a_million_node_cycle_is_one_scc},
    {"wcc matches a flood fill and numbers by smallest node",
     test_wcc_matches_a_flood_fill_and_numbers_by_smallest_node},
    {"scc matches mutual reachability", test_scc_matches_mutual_reachability},
    {"induced subgraph renumbers in old order", test_induced_subgraph_renumbers_in_old_order},
    {"condensing two joined cycles gives one edge", test_condensing_two_joined_cycles_gives_one_edge},
    {"condensing parallel edges keeps one sorted edge per pair",
     test_condensing_parallel_edges_keeps_one_sorted_edge_per_pair},
    {"ten thousand identical three-cycles share a signature",
     test_ten_thousand_identical_three_cycles_share_a_signature},
    {"a three-cycle and a three-chain differ", test_a_three_cycle_and_a_three_chain_differ},
    {"same shape with different labels differs", test_same_shape_with_different_labels_differs},
    {"permuting nodes and edges keeps the signature", test_permuting_nodes_and_edges_keeps_the_signature},
    {"signatures ignore edges between parts", test_signatures_ignore_edges_between_parts},
    {"every allocation failure is reported", test_every_allocation_failure_is_reported},
    CU_TEST_INFO_NULL,
};
