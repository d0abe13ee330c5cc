/* CUnit suite for lib/core/seenmap: the traversal's seen table. */
#include <CUnit/CUnit.h>
#include <stdlib.h>

#include "seenmap.h"

/* A deterministic scatter of 8-byte aligned, non-zero addresses. */
static uintptr_t scattered(uint64_t i)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return (uintptr_t)((x & 0x00007FFFFFFFFFF8ull) | 0x1000);
}

static void test_new_map_is_empty_and_free_nulls(void)
{
    pym_seenmap *m = pym_seenmap_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(pym_seenmap_size(m), 0);
    int64_t c = 99;
    CU_ASSERT_EQUAL(pym_seenmap_get(m, 0x1000, &c), 0);
    CU_ASSERT_EQUAL(c, 99);
    size_t pos = 0;
    uintptr_t k;
    CU_ASSERT_EQUAL(pym_seenmap_next(m, &pos, &k, &c), 0);
    pym_seenmap_free(&m);
    CU_ASSERT_PTR_NULL(m);
    pym_seenmap_free(&m); /* freeing NULL is fine */
}

static void test_every_count_round_trips(void)
{
    pym_seenmap *m = pym_seenmap_new();
    const int64_t counts[] = {-5, -1, 0, 1, 2, 11, 12, 13, 14, 1000, (int64_t)1 << 40, -((int64_t)1 << 40)};
    size_t n = sizeof counts / sizeof *counts;
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(pym_seenmap_set(m, 0x10000 + 8 * i, counts[i]), 0);
    CU_ASSERT_EQUAL(pym_seenmap_size(m), n);
    for (size_t i = 0; i < n; i++) {
        int64_t c = 77;
        CU_ASSERT_EQUAL(pym_seenmap_get(m, 0x10000 + 8 * i, &c), 1);
        CU_ASSERT_EQUAL(c, counts[i]);
    }
    /* overwrite big with small and small with big */
    CU_ASSERT_EQUAL(pym_seenmap_set(m, 0x10000 + 8 * 9, 3), 0);
    CU_ASSERT_EQUAL(pym_seenmap_set(m, 0x10000, 123456789), 0);
    int64_t c;
    pym_seenmap_get(m, 0x10000 + 8 * 9, &c);
    CU_ASSERT_EQUAL(c, 3);
    pym_seenmap_get(m, 0x10000, &c);
    CU_ASSERT_EQUAL(c, 123456789);
    CU_ASSERT_EQUAL(pym_seenmap_size(m), n);
    pym_seenmap_free(&m);
}

static void test_neighbouring_slots_are_independent(void)
{
    pym_seenmap *m = pym_seenmap_new();
    /* two codes share a byte: set one, the other must stay absent */
    CU_ASSERT_EQUAL(pym_seenmap_set(m, 0x20000, 7), 0);
    CU_ASSERT_EQUAL(pym_seenmap_get(m, 0x20008, NULL), 0);
    CU_ASSERT_EQUAL(pym_seenmap_set(m, 0x20008, -1), 0);
    int64_t a, b;
    CU_ASSERT_EQUAL(pym_seenmap_get(m, 0x20000, &a), 1);
    CU_ASSERT_EQUAL(pym_seenmap_get(m, 0x20008, &b), 1);
    CU_ASSERT_EQUAL(a, 7);
    CU_ASSERT_EQUAL(b, -1);
    /* last slot of a chunk and first of the next */
    CU_ASSERT_EQUAL(pym_seenmap_set(m, 0x2FFF8, 5), 0);
    CU_ASSERT_EQUAL(pym_seenmap_set(m, 0x30000, 6), 0);
    pym_seenmap_get(m, 0x2FFF8, &a);
    pym_seenmap_get(m, 0x30000, &b);
    CU_ASSERT_EQUAL(a, 5);
    CU_ASSERT_EQUAL(b, 6);
    CU_ASSERT_EQUAL(pym_seenmap_size(m), 4);
    pym_seenmap_free(&m);
}

static void test_get_or_insert_inserts_once(void)
{
    pym_seenmap *m = pym_seenmap_new();
    int64_t c = 0;
    CU_ASSERT_EQUAL(pym_seenmap_get_or_insert(m, 0x4000, 1, &c), 0);
    CU_ASSERT_EQUAL(pym_seenmap_get_or_insert(m, 0x4000, 5, &c), 1);
    CU_ASSERT_EQUAL(c, 1);
    CU_ASSERT_EQUAL(pym_seenmap_get_or_insert(m, 0x4008, 40, &c), 0);
    CU_ASSERT_EQUAL(pym_seenmap_get_or_insert(m, 0x4008, 1, &c), 1);
    CU_ASSERT_EQUAL(c, 40);
    CU_ASSERT_EQUAL(pym_seenmap_setdefault(m, 0x4008, 2), 0);
    CU_ASSERT_EQUAL(pym_seenmap_setdefault(m, 0x4010, -1), 1);
    pym_seenmap_get(m, 0x4010, &c);
    CU_ASSERT_EQUAL(c, -1);
    CU_ASSERT_EQUAL(pym_seenmap_size(m), 3);
    pym_seenmap_free(&m);
}

/* Pympler's _Seen.again: +1 when the result is positive. */
static void test_again_follows_pympler(void)
{
    pym_seenmap *m = pym_seenmap_new();
    int64_t c;
    CU_ASSERT_EQUAL(pym_seenmap_again(m, 0x8000), 0); /* absent -> 1 */
    pym_seenmap_get(m, 0x8000, &c);
    CU_ASSERT_EQUAL(c, 1);
    for (int i = 0; i < 20; i++) /* crosses the inline/side boundary at 12 */
        CU_ASSERT_EQUAL(pym_seenmap_again(m, 0x8000), 0);
    pym_seenmap_get(m, 0x8000, &c);
    CU_ASSERT_EQUAL(c, 21);
    pym_seenmap_set(m, 0x8008, -1);
    pym_seenmap_again(m, 0x8008); /* -1 + 1 = 0 is not positive: stays */
    pym_seenmap_get(m, 0x8008, &c);
    CU_ASSERT_EQUAL(c, -1);
    pym_seenmap_set(m, 0x8010, 0);
    pym_seenmap_again(m, 0x8010);
    pym_seenmap_get(m, 0x8010, &c);
    CU_ASSERT_EQUAL(c, 1);
    CU_ASSERT_EQUAL(pym_seenmap_size(m), 3);
    pym_seenmap_free(&m);
}

static void test_a_million_scattered_addresses(void)
{
    pym_seenmap *m = pym_seenmap_new();
    const uint64_t n = 1000000;
    for (uint64_t i = 0; i < n; i++) {
        int64_t c;
        if (pym_seenmap_get_or_insert(m, scattered(i), (int64_t)(i % 20) - 1, &c) != 0) {
            /* a rare collision of the scatter: count it as present */
            CU_ASSERT_TRUE(pym_seenmap_get(m, scattered(i), NULL));
        }
    }
    size_t size = pym_seenmap_size(m);
    CU_ASSERT_TRUE(size > n - 100 && size <= n);
    int wrong = 0;
    for (uint64_t i = 0; i < n; i++) {
        int64_t c;
        if (!pym_seenmap_get(m, scattered(i), &c))
            wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
    size_t pos = 0, seen = 0;
    uintptr_t k;
    int64_t c;
    while (pym_seenmap_next(m, &pos, &k, &c))
        seen++;
    CU_ASSERT_EQUAL(seen, size);
    pym_seenmap_free(&m);
}

static void test_dense_run_iterates_in_order_with_counts(void)
{
    pym_seenmap *m = pym_seenmap_new();
    const uintptr_t base = 0x7f0000000000;
    for (uintptr_t i = 0; i < 50000; i++)
        pym_seenmap_set(m, base + 16 * i, (int64_t)(i % 30) - 1);
    size_t pos = 0, n = 0;
    uintptr_t k, prev = 0;
    int64_t c;
    int wrong = 0, unordered = 0;
    while (pym_seenmap_next(m, &pos, &k, &c)) {
        uintptr_t i = (k - base) / 16;
        if ((k - base) % 16 || c != (int64_t)(i % 30) - 1)
            wrong++;
        if (k <= prev)
            unordered++; /* one chunk run: addresses ascend */
        prev = k;
        n++;
    }
    CU_ASSERT_EQUAL(n, 50000);
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(unordered, 0);
    pym_seenmap_free(&m);
}

static void test_clear_forgets_and_map_is_reusable(void)
{
    pym_seenmap *m = pym_seenmap_new();
    for (uint64_t i = 0; i < 10000; i++)
        pym_seenmap_set(m, scattered(i), 100);
    size_t bytes = pym_seenmap_bytes(m);
    CU_ASSERT_TRUE(bytes > 0);
    pym_seenmap_clear(m);
    CU_ASSERT_EQUAL(pym_seenmap_size(m), 0);
    CU_ASSERT_EQUAL(pym_seenmap_get(m, scattered(5), NULL), 0);
    size_t pos = 0;
    uintptr_t k;
    int64_t c;
    CU_ASSERT_EQUAL(pym_seenmap_next(m, &pos, &k, &c), 0);
    /* refill: reused chunks start empty, big counts start fresh */
    CU_ASSERT_EQUAL(pym_seenmap_get_or_insert(m, scattered(5), 1, &c), 0);
    CU_ASSERT_EQUAL(pym_seenmap_get_or_insert(m, scattered(5), 1, &c), 1);
    CU_ASSERT_EQUAL(c, 1);
    CU_ASSERT_EQUAL(pym_seenmap_get(m, scattered(6), NULL), 0);
    CU_ASSERT_EQUAL(pym_seenmap_size(m), 1);
    pym_seenmap_free(&m);
}

static void test_memory_stays_small_for_dense_objects(void)
{
    pym_seenmap *m = pym_seenmap_new();
    /* 1M objects of 48 bytes packed in memory: a few bytes per object */
    for (uintptr_t i = 0; i < 1000000; i++)
        pym_seenmap_set(m, 0x100000000 + 48 * i, 1);
    size_t per = pym_seenmap_bytes(m) / 1000000;
    CU_ASSERT_TRUE(per <= 4);
    pym_seenmap_free(&m);
}

CU_TestInfo pym_seenmap_tests[] = {
    {"a new map is empty; free nulls the pointer", test_new_map_is_empty_and_free_nulls},
    {"every count round-trips, inline and in the side table", test_every_count_round_trips},
    {"neighbouring slots and chunk edges are independent", test_neighbouring_slots_are_independent},
    {"get_or_insert inserts once; setdefault keeps the first", test_get_or_insert_inserts_once},
    {"again follows Pympler's _Seen.again", test_again_follows_pympler},
    {"a million scattered addresses", test_a_million_scattered_addresses},
    {"a dense run iterates in order with its counts", test_dense_run_iterates_in_order_with_counts},
    {"clear forgets everything and the map is reusable", test_clear_forgets_and_map_is_reusable},
    {"memory stays a few bytes per dense object", test_memory_stays_small_for_dense_objects},
    CU_TEST_INFO_NULL,
};
