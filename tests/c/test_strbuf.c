/* CUnit suite for lib/core/strbuf: building text. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "strbuf.h"

static void test_appends_concatenate(void)
{
    pym_strbuf b;
    pym_strbuf_init(&b);
    pym_strbuf_puts(&b, "digraph G {");
    pym_strbuf_append(&b, "\n}xx", 2);
    pym_strbuf_printf(&b, "%s=%d;", "n", 42);
    CU_ASSERT_STRING_EQUAL(b.data, "digraph G {\n}n=42;");
    CU_ASSERT_EQUAL(b.len, strlen("digraph G {\n}n=42;"));
    CU_ASSERT_FALSE(pym_strbuf_failed(&b));
    pym_strbuf_free(&b);
    CU_ASSERT_PTR_NULL(b.data);
    CU_ASSERT_EQUAL(b.len, 0);
}

static void test_long_printf_output_is_complete(void)
{
    pym_strbuf b;
    pym_strbuf_init(&b);
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pym_strbuf_printf(&b, "<%s>", big);
    CU_ASSERT_EQUAL(b.len, sizeof big + 1);
    CU_ASSERT_EQUAL(b.data[0], '<');
    CU_ASSERT_EQUAL(b.data[b.len - 1], '>');
    CU_ASSERT_EQUAL(b.data[b.len], '\0');
    pym_strbuf_free(&b);
}

static void test_a_million_lines_grow_the_buffer(void)
{
    pym_strbuf b;
    pym_strbuf_init(&b);
    for (int i = 0; i < 1000000; i++)
        pym_strbuf_printf(&b, "%d\n", i % 10);
    CU_ASSERT_EQUAL(b.len, 2000000);
    CU_ASSERT_EQUAL(b.data[1999998], '9');
    pym_strbuf_free(&b);
}

CU_TestInfo pym_strbuf_tests[] = {
    {"appends concatenate and free resets", test_appends_concatenate},
    {"a long printf output is complete", test_long_printf_output_is_complete},
    {"a million lines grow the buffer", test_a_million_lines_grow_the_buffer},
    CU_TEST_INFO_NULL,
};
