/* CUnit suite for lib/core/ptrindex: numbering objects of a graph. */
#include <CUnit/CUnit.h>

#include "ptrindex.h"

static void test_absent_keys_have_no_index(void)
{
    pym_ptrindex *m = pym_ptrindex_new(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(pym_ptrindex_get(m, 0x1000), PYM_PTRINDEX_NONE);
    CU_ASSERT_EQUAL(pym_ptrindex_size(m), 0);
    pym_ptrindex_free(&m);
    CU_ASSERT_PTR_NULL(m);
    pym_ptrindex_free(&m);
}

static void test_first_index_wins(void)
{
    pym_ptrindex *m = pym_ptrindex_new(4);
    CU_ASSERT_EQUAL(pym_ptrindex_put(m, 0x2000, 7), 1);
    CU_ASSERT_EQUAL(pym_ptrindex_put(m, 0x2000, 9), 0);
    CU_ASSERT_EQUAL(pym_ptrindex_get(m, 0x2000), 7);
    CU_ASSERT_EQUAL(pym_ptrindex_size(m), 1);
    pym_ptrindex_free(&m);
}

static void test_a_million_keys_grow_and_keep_their_indices(void)
{
    pym_ptrindex *m = pym_ptrindex_new(16);
    const uint32_t n = 1000000;
    for (uint32_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(pym_ptrindex_put(m, 0x10000 + 48 * (uintptr_t)i, i), 1);
    CU_ASSERT_EQUAL(pym_ptrindex_size(m), n);
    int wrong = 0;
    for (uint32_t i = 0; i < n; i++)
        wrong += pym_ptrindex_get(m, 0x10000 + 48 * (uintptr_t)i) != i;
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(pym_ptrindex_get(m, 0x10008), PYM_PTRINDEX_NONE);
    pym_ptrindex_free(&m);
}

CU_TestInfo pym_ptrindex_tests[] = {
    {"absent keys have no index; free nulls the pointer", test_absent_keys_have_no_index},
    {"the first index put for a key wins", test_first_index_wins},
    {"a million keys grow the map and keep their indices", test_a_million_keys_grow_and_keep_their_indices},
    CU_TEST_INFO_NULL,
};
