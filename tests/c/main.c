/* The CUnit runner: one suite per lib/core module, registered from one table.
 *
 *   c_tests            run every suite
 *   c_tests SUITE...   run the named suites only
 *
 * Exit status: the number of failed tests plus failed suite set-ups (capped
 * at 255 so that 256 failures do not read as success), or the CUnit error
 * code when the registry cannot be built.  CU_basic_run_tests() returns 0
 * even when tests fail, and CU_cleanup_registry() resets the counts, so they
 * are read in between.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

/* Each test_<module>.c defines the NULL-terminated test table of its suite. */
extern CU_TestInfo pym_graph_tests[];
extern CU_TestInfo pym_ptrmap_tests[];
extern CU_TestInfo pym_seenmap_tests[];
extern CU_TestInfo pym_ptrindex_tests[];
extern CU_TestInfo pym_strbuf_tests[];
extern CU_TestInfo pym_wsize_tests[];
extern CU_TestInfo pym_render_tests[];
extern CU_TestInfo pym_chart_tests[];

static CU_SuiteInfo suites[] = {
    {.pName = "graph", .pTests = pym_graph_tests},
    {.pName = "ptrmap", .pTests = pym_ptrmap_tests},
    {.pName = "seenmap", .pTests = pym_seenmap_tests},
    {.pName = "ptrindex", .pTests = pym_ptrindex_tests},
    {.pName = "strbuf", .pTests = pym_strbuf_tests},
    {.pName = "wsize", .pTests = pym_wsize_tests},
    {.pName = "render", .pTests = pym_render_tests},
    {.pName = "chart", .pTests = pym_chart_tests},
    CU_SUITE_INFO_NULL,
};

static int selected(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    CU_SuiteInfo chosen[sizeof suites / sizeof suites[0]];
    size_t n = 0;
    unsigned failed;

    for (size_t i = 0; suites[i].pName != NULL; i++)
        if (selected(suites[i].pName, argc, argv))
            chosen[n++] = suites[i];
    chosen[n] = (CU_SuiteInfo)CU_SUITE_INFO_NULL;
    if (n == 0) {
        fprintf(stderr, "c_tests: no such suite\n");
        return 2;
    }

    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "c_tests: %s\n", CU_get_error_msg());
        return (int)CU_get_error();
    }
    if (CU_register_suites(chosen) != CUE_SUCCESS) {
        CU_ErrorCode err = CU_get_error();
        fprintf(stderr, "c_tests: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return (int)err;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    return failed > 255 ? 255 : (int)failed;
}
