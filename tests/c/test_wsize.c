/* CUnit suite for lib/core/wsize: decimal text of 128-bit sizes. */
#include <CUnit/CUnit.h>
#include <stdint.h>

#include "wsize.h"

static void test_small_and_negative(void)
{
    char b[48];
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, 0, 0), "0");
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, 0, 5320), "5320");
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, 0, -42), "-42");
}

static void test_past_64_bits(void)
{
    char b[48];
    /* two sizes of sys.maxsize + 150 bytes each, summed exactly */
    pym_wsize two = (pym_wsize)INT64_MAX * 2 + 300;
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, 0, two), "18446744073709551914");
    __extension__ unsigned __int128 one = 1;
    pym_wsize top = (pym_wsize)((one << 127) - 1);
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, 0, top), "170141183460469231731687303715884105727");
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, 0, -top - 1), "-170141183460469231731687303715884105728");
}

static void test_width_pads_on_the_left(void)
{
    char b[48];
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, 8, 123), "     123");
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, 2, 12345), "12345"); /* never cut by width */
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, -3, 7), "7");
}

static void test_a_short_buffer_is_cut_and_terminated(void)
{
    char b[4] = {'x', 'x', 'x', 'x'};
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(b, sizeof b, 0, 123456), "123");
    char one[1] = {'x'};
    CU_ASSERT_STRING_EQUAL(pym_wsize_str(one, sizeof one, 0, 9), "");
}

CU_TestInfo pym_wsize_tests[] = {
    {"small and negative sizes", test_small_and_negative},
    {"sizes past 64 bits are exact", test_past_64_bits},
    {"a width pads on the left", test_width_pads_on_the_left},
    {"a short buffer is cut and terminated", test_a_short_buffer_is_cut_and_terminated},
    CU_TEST_INFO_NULL,
};
