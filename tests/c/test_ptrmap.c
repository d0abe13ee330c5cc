/* Tests of lib/core/ptrmap.h: an address -> int64 count map.
 *
 * Written against the header only.  Keys are fake, 8-byte aligned, non-zero
 * addresses; nothing is ever dereferenced.  Loops over many keys count their
 * mismatches and assert once, so that a failure does not flood the report.
 * Every test frees its map (the sanitizer run checks for leaks).
 */
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdlib.h>

#include "ptrmap.h"

/* Declared in main.c's suite table. */
extern CU_TestInfo pym_ptrmap_tests[];

#define MILLION 1000000u
#define BASE ((uintptr_t)0x7f0000001000) /* a heap-like address */
#define TWO_40 ((int64_t)1 << 40)

/* Counts around every boundary an implementation might pack or spill at. */
static const int64_t edge_counts[] = {
    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 63, 64, 127, 128, 255, 256,
    65535, 65536, INT32_MAX, (int64_t)INT32_MAX + 1, UINT32_MAX, (int64_t)UINT32_MAX + 1,
    TWO_40 - 1, TWO_40, TWO_40 + 1, TWO_40 * 3 + 5, (int64_t)1 << 62, INT64_MAX - 1, INT64_MAX,
    -2, -3, -7, -8, -9, -255, -65536, -TWO_40, -TWO_40 - 1, INT64_MIN + 1, INT64_MIN,
};
#define N_EDGE (sizeof edge_counts / sizeof edge_counts[0])

/* The i-th key of a dense run: consecutive aligned addresses. */
static uintptr_t dense_key(size_t i)
{
    return BASE + (uintptr_t)i * 8;
}

/* The i-th key of a scattered run: a bijection of i (odd multiplier), shifted
 * left by 3 so the keys are aligned, distinct, and never 0 for i < 2^61. */
static uintptr_t scattered_key(size_t i)
{
    uint64_t x = ((uint64_t)i + 1) * UINT64_C(0x9E3779B97F4A7C15);
    return (uintptr_t)((x & (UINT64_MAX >> 3)) << 3);
}

/* The count stored for key i in the bulk tests: mostly small, some huge,
 * some negative. */
static int64_t count_for(size_t i)
{
    switch (i % 7) {
    case 0: return TWO_40 + (int64_t)i;
    case 1: return -1;
    case 2: return 0;
    case 3: return -(int64_t)i - 2;
    default: return (int64_t)(i % 5) + 1;
    }
}

static pym_ptrmap *new_map(void)
{
    pym_ptrmap *map = pym_ptrmap_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(map);
    return map;
}

/* ---------------------------------------------------------------- lifecycle */

static void test_a_new_map_is_empty(void)
{
    pym_ptrmap *map = new_map();
    int64_t count = 12345;
    uintptr_t key = 1;
    size_t pos = 0;

    CU_ASSERT_EQUAL(pym_ptrmap_size(map), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_get(map, dense_key(0), &count), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_get(map, 8, &count), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_get(map, UINTPTR_MAX & ~(uintptr_t)7, &count), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_next(map, &pos, &key, &count), 0);
    CU_ASSERT(pym_ptrmap_bytes(map) > 0);
    pym_ptrmap_free(&map);
}

static void test_free_nulls_the_pointer(void)
{
    pym_ptrmap *map = new_map();

    CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(1), TWO_40), 0);
    pym_ptrmap_free(&map);
    CU_ASSERT_PTR_NULL(map);
}

static void test_free_of_a_null_map_is_safe(void)
{
    pym_ptrmap *map = NULL;

    pym_ptrmap_free(&map);
    CU_ASSERT_PTR_NULL(map);
    pym_ptrmap_free(&map); /* twice: still NULL, still fine */
    CU_ASSERT_PTR_NULL(map);
}

/* ---------------------------------------------------------------- get / set */

static void test_set_then_get_returns_each_edge_count(void)
{
    pym_ptrmap *map = new_map();
    size_t bad = 0;

    for (size_t i = 0; i < N_EDGE; i++)
        CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(i), edge_counts[i]), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), N_EDGE);
    for (size_t i = 0; i < N_EDGE; i++) {
        int64_t count = 0x5a5a;
        if (pym_ptrmap_get(map, dense_key(i), &count) != 1 || count != edge_counts[i])
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    pym_ptrmap_free(&map);
}

static void test_set_overwrites_through_every_pair_of_edge_counts(void)
{
    pym_ptrmap *map = new_map();
    uintptr_t key = dense_key(3);
    size_t bad = 0;

    /* from each edge count to each other: inline <-> spilled both ways */
    for (size_t i = 0; i < N_EDGE; i++) {
        for (size_t j = 0; j < N_EDGE; j++) {
            int64_t count = 0;
            if (pym_ptrmap_set(map, key, edge_counts[i]) != 0 ||
                pym_ptrmap_set(map, key, edge_counts[j]) != 0 ||
                pym_ptrmap_get(map, key, &count) != 1 || count != edge_counts[j] ||
                pym_ptrmap_size(map) != 1)
                bad++;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    pym_ptrmap_free(&map);
}

static void test_overwriting_one_key_leaves_its_neighbours_alone(void)
{
    pym_ptrmap *map = new_map();
    int64_t count = 0;

    CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(0), 1), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(1), TWO_40 + 7), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(2), -1), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(1), 2), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(0), INT64_MIN), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), 3);
    CU_ASSERT_EQUAL(pym_ptrmap_get(map, dense_key(0), &count), 1);
    CU_ASSERT_EQUAL(count, INT64_MIN);
    CU_ASSERT_EQUAL(pym_ptrmap_get(map, dense_key(1), &count), 1);
    CU_ASSERT_EQUAL(count, 2);
    CU_ASSERT_EQUAL(pym_ptrmap_get(map, dense_key(2), &count), 1);
    CU_ASSERT_EQUAL(count, -1);
    CU_ASSERT_EQUAL(pym_ptrmap_get(map, dense_key(3), &count), 0);
    pym_ptrmap_free(&map);
}

static void test_get_of_an_absent_key_leaves_count_untouched(void)
{
    pym_ptrmap *map = new_map();
    int64_t count = 777;

    CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(0), 5), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_get(map, dense_key(1), &count), 0);
    CU_ASSERT_EQUAL(count, 777);
    pym_ptrmap_free(&map);
}

static void test_extreme_addresses_are_keys_like_any_other(void)
{
    static const uintptr_t keys[] = {
        8, 16, 0x1000, (uintptr_t)1 << 47, ((uintptr_t)1 << 47) - 8,
        UINTPTR_MAX & ~(uintptr_t)7, (UINTPTR_MAX & ~(uintptr_t)7) - 8, (uintptr_t)1 << 63,
    };
    size_t n = sizeof keys / sizeof keys[0], bad = 0;
    pym_ptrmap *map = new_map();

    for (size_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(pym_ptrmap_set(map, keys[i], edge_counts[i * 5 % N_EDGE]), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), n);
    for (size_t i = 0; i < n; i++) {
        int64_t count = 0;
        if (pym_ptrmap_get(map, keys[i], &count) != 1 || count != edge_counts[i * 5 % N_EDGE])
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    pym_ptrmap_free(&map);
}

/* Addresses that differ only in high bits: a weak hash puts them all in one
 * probe chain; the map must stay correct (and finish). */
static void test_keys_differing_only_in_high_bits_are_distinct(void)
{
    enum { N = 4096 };
    pym_ptrmap *map = new_map();
    size_t bad = 0;

    for (size_t i = 0; i < N; i++)
        if (pym_ptrmap_set(map, BASE + ((uintptr_t)i << 24), (int64_t)i * 3 - 100) != 0)
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), N);
    for (size_t i = 0; i < N; i++) {
        int64_t count = 0;
        if (pym_ptrmap_get(map, BASE + ((uintptr_t)i << 24), &count) != 1 ||
            count != (int64_t)i * 3 - 100)
            bad++;
        if (pym_ptrmap_get(map, BASE + ((uintptr_t)i << 24) + 8, &count) != 0)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    pym_ptrmap_free(&map);
}

/* ---------------------------------------------------------------- setdefault */

static void test_setdefault_inserts_an_absent_key(void)
{
    pym_ptrmap *map = new_map();
    size_t bad = 0;

    for (size_t i = 0; i < N_EDGE; i++) {
        int64_t count = 0;
        if (pym_ptrmap_setdefault(map, dense_key(i), edge_counts[i]) != 1 ||
            pym_ptrmap_get(map, dense_key(i), &count) != 1 || count != edge_counts[i] ||
            pym_ptrmap_size(map) != i + 1)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    pym_ptrmap_free(&map);
}

static void test_setdefault_leaves_a_present_key_alone(void)
{
    pym_ptrmap *map = new_map();
    size_t bad = 0;

    for (size_t i = 0; i < N_EDGE; i++)
        CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(i), edge_counts[i]), 0);
    for (size_t i = 0; i < N_EDGE; i++) {
        int64_t count = 0;
        int64_t other = edge_counts[(i + 7) % N_EDGE];
        if (pym_ptrmap_setdefault(map, dense_key(i), other) != 0 ||
            pym_ptrmap_get(map, dense_key(i), &count) != 1 || count != edge_counts[i])
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), N_EDGE);
    pym_ptrmap_free(&map);
}

static void test_setdefault_then_set_then_setdefault(void)
{
    pym_ptrmap *map = new_map();
    uintptr_t key = scattered_key(42);
    int64_t count = 0;

    CU_ASSERT_EQUAL(pym_ptrmap_setdefault(map, key, 0), 1);
    CU_ASSERT_EQUAL(pym_ptrmap_set(map, key, TWO_40 * 2), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_setdefault(map, key, 1), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_get(map, key, &count), 1);
    CU_ASSERT_EQUAL(count, TWO_40 * 2);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), 1);
    pym_ptrmap_free(&map);
}

/* ---------------------------------------------------------------- clear */

static void test_clear_removes_every_key_and_the_map_stays_usable(void)
{
    enum { N = 10000 };
    pym_ptrmap *map = new_map();
    size_t bad = 0, pos = 0, bytes_before;
    uintptr_t key;
    int64_t count;

    for (size_t i = 0; i < N; i++)
        if (pym_ptrmap_set(map, scattered_key(i), count_for(i)) != 0)
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    bytes_before = pym_ptrmap_bytes(map);

    pym_ptrmap_clear(map);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_next(map, &pos, &key, &count), 0);
    for (size_t i = 0; i < N; i++)
        if (pym_ptrmap_get(map, scattered_key(i), &count) != 0)
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(pym_ptrmap_bytes(map) <= bytes_before);

    /* refill with other counts: nothing of the old contents shows through */
    for (size_t i = 0; i < N; i += 2)
        if (pym_ptrmap_setdefault(map, scattered_key(i), (int64_t)i) != 1)
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), N / 2);
    for (size_t i = 0; i < N; i++) {
        int present = pym_ptrmap_get(map, scattered_key(i), &count);
        if (i % 2 == 0 ? present != 1 || count != (int64_t)i : present != 0)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    pym_ptrmap_free(&map);
}

static void test_clear_of_an_empty_map_is_harmless(void)
{
    pym_ptrmap *map = new_map();

    pym_ptrmap_clear(map);
    pym_ptrmap_clear(map);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(0), 1), 0);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), 1);
    pym_ptrmap_free(&map);
}

/* ---------------------------------------------------------------- iteration */

/* Iterate over map holding keys key_of(first..first+n-1) with counts
 * count_for(i) and check every key comes exactly once with its count.
 * Returns the number of problems. */
static size_t check_iteration(const pym_ptrmap *map, size_t first, size_t n,
                              uintptr_t (*key_of)(size_t), size_t (*index_of)(uintptr_t))
{
    unsigned char *seen = calloc(n, 1);
    size_t bad = 0, visits = 0, pos = 0;
    uintptr_t key;
    int64_t count;

    CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
    while (pym_ptrmap_next(map, &pos, &key, &count)) {
        size_t i = index_of(key) - first; /* wraps to huge when below first */
        visits++;
        if (i >= n || key_of(first + i) != key || seen[i] || count != count_for(first + i))
            bad++;
        else
            seen[i] = 1;
        if (visits > n)
            break; /* an iterator that never ends */
    }
    for (size_t i = 0; i < n; i++)
        if (!seen[i])
            bad++;
    if (visits != n)
        bad++;
    free(seen);
    return bad;
}

static size_t dense_index(uintptr_t key)
{
    return key < BASE || (key - BASE) % 8 ? SIZE_MAX : (size_t)((key - BASE) / 8);
}

static size_t scattered_index(uintptr_t key)
{
    /* invert scattered_key: multiply by the inverse of the odd multiplier */
    uint64_t x = (uint64_t)key >> 3;
    uint64_t inv = UINT64_C(0x9E3779B97F4A7C15), y;
    for (int k = 0; k < 5; k++)
        inv *= 2 - UINT64_C(0x9E3779B97F4A7C15) * inv; /* Newton: inverse mod 2^64 */
    /* x is (i+1)*M mod 2^61: recover i+1 mod 2^61 */
    y = (x * inv) & (UINT64_MAX >> 3);
    return y == 0 ? SIZE_MAX : (size_t)(y - 1);
}

static void test_scattered_index_inverts_scattered_key(void)
{
    size_t bad = 0;

    for (size_t i = 0; i < 100000; i++)
        if (scattered_index(scattered_key(i)) != i)
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_iteration_visits_every_key_exactly_once(void)
{
    static const size_t sizes[] = {1, 2, 7, 63, 64, 65, 1000, 4097};
    size_t bad = 0;

    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        pym_ptrmap *map = new_map();
        for (size_t i = 0; i < sizes[s]; i++)
            if (pym_ptrmap_set(map, dense_key(i), count_for(i)) != 0)
                bad++;
        bad += check_iteration(map, 0, sizes[s], dense_key, dense_index);
        pym_ptrmap_free(&map);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* Thousands of small maps of random-looking keys: some key lands in the last
 * slot of the table and some probe chain wraps around to the first, whatever
 * the hash, so iteration and lookup bounds are exercised at both ends. */
static void test_iteration_and_lookup_across_many_small_maps(void)
{
    size_t bad = 0;

    for (size_t t = 0; t < 3000; t++) {
        size_t first = t * 1000, n = 1 + t % 300;
        pym_ptrmap *map = new_map();
        for (size_t i = first; i < first + n; i++)
            if (pym_ptrmap_set(map, scattered_key(i), count_for(i)) != 0)
                bad++;
        for (size_t i = first; i < first + n; i++) {
            int64_t count = 0;
            if (pym_ptrmap_get(map, scattered_key(i), &count) != 1 || count != count_for(i))
                bad++;
        }
        bad += check_iteration(map, first, n, scattered_key, scattered_index);
        pym_ptrmap_free(&map);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_iteration_sees_the_last_written_counts(void)
{
    pym_ptrmap *map = new_map();
    size_t pos = 0, visits = 0, bad = 0;
    uintptr_t key;
    int64_t count;

    for (size_t i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(i), TWO_40), 0);
    for (size_t i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(pym_ptrmap_set(map, dense_key(i), (int64_t)i - 50), 0);
    while (pym_ptrmap_next(map, &pos, &key, &count) && visits++ < 100)
        if (count != (int64_t)dense_index(key) - 50)
            bad++;
    CU_ASSERT_EQUAL(visits, 100);
    CU_ASSERT_EQUAL(bad, 0);
    pym_ptrmap_free(&map);
}

static void test_iteration_positions_are_independent(void)
{
    pym_ptrmap *map = new_map();
    size_t a = 0, b = 0, n = 0;
    uintptr_t ka, kb;
    int64_t ca, cb;

    for (size_t i = 0; i < 50; i++)
        CU_ASSERT_EQUAL(pym_ptrmap_set(map, scattered_key(i), count_for(i)), 0);
    /* two walks in lock step give the same sequence */
    while (pym_ptrmap_next(map, &a, &ka, &ca)) {
        CU_ASSERT_FATAL(pym_ptrmap_next(map, &b, &kb, &cb) == 1);
        CU_ASSERT_EQUAL(ka, kb);
        CU_ASSERT_EQUAL(ca, cb);
        n++;
    }
    CU_ASSERT_EQUAL(pym_ptrmap_next(map, &b, &kb, &cb), 0);
    CU_ASSERT_EQUAL(n, 50);
    /* the end is sticky */
    CU_ASSERT_EQUAL(pym_ptrmap_next(map, &a, &ka, &ca), 0);
    pym_ptrmap_free(&map);
}

/* ---------------------------------------------------------------- growth and scale */

static void test_size_counts_each_insert_while_the_map_grows(void)
{
    enum { N = 200000 };
    pym_ptrmap *map = new_map();
    size_t bad = 0, bytes = pym_ptrmap_bytes(map), grew = 0;

    for (size_t i = 0; i < N; i++) {
        size_t now;
        if (pym_ptrmap_setdefault(map, scattered_key(i), count_for(i)) != 1 ||
            pym_ptrmap_size(map) != i + 1)
            bad++;
        now = pym_ptrmap_bytes(map);
        if (now < bytes)
            bad++; /* inserting never shrinks the map */
        grew += now > bytes;
        bytes = now;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(grew > 0);
    /* the header promises 8 bytes per slot at a load of 0.35..0.7, plus the
     * overflow counts (1 key in 7 here): allow generous bounds */
    CU_ASSERT(bytes >= (size_t)N * 8);
    CU_ASSERT(bytes <= (size_t)N * 64);
    /* re-inserting changes nothing */
    for (size_t i = 0; i < N; i++)
        if (pym_ptrmap_setdefault(map, scattered_key(i), 1) != 0)
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), N);
    CU_ASSERT_EQUAL(pym_ptrmap_bytes(map), bytes);
    pym_ptrmap_free(&map);
}

static void run_million(uintptr_t (*key_of)(size_t), size_t (*index_of)(uintptr_t))
{
    pym_ptrmap *map = new_map();
    size_t bad = 0;

    for (size_t i = 0; i < MILLION; i++)
        if (pym_ptrmap_set(map, key_of(i), count_for(i)) != 0)
            bad++;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(pym_ptrmap_size(map), MILLION);
    for (size_t i = 0; i < MILLION; i++) {
        int64_t count = 0;
        if (pym_ptrmap_get(map, key_of(i), &count) != 1 || count != count_for(i))
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* keys never inserted stay absent */
    for (size_t i = MILLION; i < MILLION + 100000; i++) {
        int64_t count;
        if (pym_ptrmap_get(map, key_of(i), &count) != 0)
            bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(check_iteration(map, 0, MILLION, key_of, index_of), 0);
    CU_ASSERT(pym_ptrmap_bytes(map) <= (size_t)MILLION * 64);
    pym_ptrmap_free(&map);
}

static void test_a_million_dense_addresses(void)
{
    run_million(dense_key, dense_index);
}

static void test_a_million_scattered_addresses(void)
{
    run_million(scattered_key, scattered_index);
}

/* ---------------------------------------------------------------- table */

CU_TestInfo pym_ptrmap_tests[] = {
    {"a new map is empty", test_a_new_map_is_empty},
    {"free nulls the pointer", test_free_nulls_the_pointer},
    {"free of a NULL map is safe", test_free_of_a_null_map_is_safe},
    {"set then get returns each edge count", test_set_then_get_returns_each_edge_count},
    {"set overwrites through every pair of edge counts",
     test_set_overwrites_through_every_pair_of_edge_counts},
    {"overwriting one key leaves its neighbours alone",
     test_overwriting_one_key_leaves_its_neighbours_alone},
    {"get of an absent key leaves count untouched",
     test_get_of_an_absent_key_leaves_count_untouched},
    {"extreme addresses are keys like any other", test_extreme_addresses_are_keys_like_any_other},
    {"keys differing only in high bits are distinct",
     test_keys_differing_only_in_high_bits_are_distinct},
    {"setdefault inserts an absent key", test_setdefault_inserts_an_absent_key},
    {"setdefault leaves a present key alone", test_setdefault_leaves_a_present_key_alone},
    {"setdefault then set then setdefault", test_setdefault_then_set_then_setdefault},
    {"clear removes every key and the map stays usable",
     test_clear_removes_every_key_and_the_map_stays_usable},
    {"clear of an empty map is harmless", test_clear_of_an_empty_map_is_harmless},
    {"the test helper scattered_index inverts scattered_key",
     test_scattered_index_inverts_scattered_key},
    {"iteration visits every key exactly once", test_iteration_visits_every_key_exactly_once},
    {"iteration and lookup across many small maps",
     test_iteration_and_lookup_across_many_small_maps},
    {"iteration sees the last written counts", test_iteration_sees_the_last_written_counts},
    {"iteration positions are independent", test_iteration_positions_are_independent},
    {"size counts each insert while the map grows",
     test_size_counts_each_insert_while_the_map_grows},
    {"a million dense addresses", test_a_million_dense_addresses},
    {"a million scattered addresses", test_a_million_scattered_addresses},
    CU_TEST_INFO_NULL,
};
