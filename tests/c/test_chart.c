/* CUnit tests of render/chart.c: SVG charts of memory over time, and of
 * pym_xml_escape (render/escape.c), which their text goes through. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "render.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The chart is written to build/ for a person to look at (the test's
 * working directory is the repository's). */
static void keep(const char *name, const char *svg)
{
    char path[256];
    snprintf(path, sizeof path, "build/tests/%s.svg", name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(svg, f);
        fclose(f);
    }
}

static void test_xml_escape_makes_markup_text(void)
{
    const char in[] = "<script>alert(\"x\" & 'y')</script>\x01\n\xed\xa0\x80";
    char *e = pym_xml_escape(in, sizeof in - 1, 0, 0);
    CU_ASSERT_STRING_EQUAL(e, "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* as Python's "replace" */
    free(e);
    e = pym_xml_escape(in, sizeof in - 1, 0, PYM_DOT_KEEP_NEWLINES);
    CU_ASSERT_PTR_NOT_NULL(strchr(e, '\n'));
    free(e);
    /* cut by characters, an entity counting as one */
    e = pym_xml_escape("a<b<c<d<e", 9, 6, 0);
    CU_ASSERT_STRING_EQUAL(e, "a&lt;b...");
    free(e);
    e = pym_xml_escape(NULL, 0, 0, 0);
    CU_ASSERT_STRING_EQUAL(e, "");
    free(e);
}

static void test_nice_steps_and_byte_labels(void)
{
    char buf[32];
    CU_ASSERT_DOUBLE_EQUAL(pym_chart_nice_step(10, 5), 2, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pym_chart_nice_step(7, 5), 2, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pym_chart_nice_step(1000, 5), 200, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(pym_chart_nice_step(0.3, 6), 0.05, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pym_chart_nice_step(0, 5), 1, 0);
    CU_ASSERT_STRING_EQUAL(pym_chart_bytes_label(0, buf, sizeof buf), "0 B");
    CU_ASSERT_STRING_EQUAL(pym_chart_bytes_label(512, buf, sizeof buf), "512 B");
    CU_ASSERT_STRING_EQUAL(pym_chart_bytes_label(1536, buf, sizeof buf), "1.5 KB");
    CU_ASSERT_STRING_EQUAL(pym_chart_bytes_label(20.0 * 1024 * 1024, buf, sizeof buf), "20 MB");
    CU_ASSERT_STRING_EQUAL(pym_chart_bytes_label(1000, buf, sizeof buf), "1000 B");
}

static void test_stacked_chart_has_an_area_per_class_axes_and_legend(void)
{
    const double x[] = {0, 1.5, 3, 4.5};
    const char *names[] = {"app.Node", "app.<Edge> & \"co\""};
    const double y[] = {1000, 2000, 3000, 4000, /* Node */ 500, 500, 1500, NAN /* Edge: gone */};
    pym_chart c = {.kind = PYM_CHART_STACKED, .title = "Memory <per> class", .npoints = 4, .x = x,
                   .nseries = 2, .names = names, .y = y};
    size_t len = 0;
    char *svg = pym_chart_svg(&c, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    keep("chart_stacked", svg);
    CU_ASSERT_EQUAL(len, strlen(svg));
    CU_ASSERT_EQUAL(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
    CU_ASSERT_EQUAL(count(svg, "<g class=\"series\">"), 2);
    CU_ASSERT_EQUAL(count(svg, "<path fill="), 2);
    /* names and title escaped, never raw markup */
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "app.&lt;Edge&gt; &amp; &quot;co&quot;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "Memory &lt;per&gt; class"));
    CU_ASSERT_PTR_NULL(strstr(svg, "<Edge>"));
    /* the top is 4500 B at 3 s: a nice y axis up to 5 KB in 1 KB steps */
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">0 B</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">5 KB</text>"));
    CU_ASSERT_PTR_NULL(strstr(svg, ">6 KB</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">4 s</text>"));
    CU_ASSERT_EQUAL(count(svg, "class=\"legend-name\""), 2);
    CU_ASSERT_PTR_NULL(strstr(svg, "nan"));
    free(svg);
}

static void test_share_chart_reaches_one_hundred_percent(void)
{
    const double x[] = {0, 10};
    const char *names[] = {"a", "b", "c"};
    const double y[] = {1, 1, 1, 3, 2, 0};
    pym_chart c = {.kind = PYM_CHART_SHARE, .npoints = 2, .x = x, .nseries = 3, .names = names, .y = y};
    char *svg = pym_chart_svg(&c, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    keep("chart_share", svg);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">100%</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "(% of the total)"));
    CU_ASSERT_EQUAL(count(svg, "<path fill="), 3);
    free(svg);
}

static void test_an_axis_reads_in_one_unit(void)
{
    const double x[] = {0, 1};
    const char *names[] = {"a"};
    const double y[] = {500, 1008}; /* just under 1 KB: an axis to 1 KB, not 1500 B */
    pym_chart c = {.kind = PYM_CHART_STACKED, .npoints = 2, .x = x, .nseries = 1, .names = names, .y = y};
    char *svg = pym_chart_svg(&c, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">0.2 KB</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">1 KB</text>"));
    CU_ASSERT_PTR_NULL(strstr(svg, "e+"));
    CU_ASSERT_PTR_NULL(strstr(svg, "1.2 KB"));
    free(svg);
}

static void test_one_snapshot_is_drawn_as_bars(void)
{
    const double x[] = {2};
    const char *names[] = {"only", "other"};
    const double y[] = {2048, 1024};
    pym_chart c = {.kind = PYM_CHART_STACKED, .npoints = 1, .x = x, .nseries = 2, .names = names, .y = y};
    char *svg = pym_chart_svg(&c, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    keep("chart_one_snapshot", svg);
    CU_ASSERT_EQUAL(count(svg, "<path fill="), 0);
    CU_ASSERT_EQUAL(count(svg, "<g class=\"series\"><title>"), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">3 KB</text>"));
    free(svg);
}

static void test_a_thousand_snapshots_are_thinned(void)
{
    enum { N = 1000, S = 20 };
    static double x[N], y[S * N];
    static const char *names[S];
    char name[S][16];
    for (int i = 0; i < N; i++)
        x[i] = i * 0.5;
    for (int s = 0; s < S; s++) {
        snprintf(name[s], sizeof name[s], "mod.Class%d", s);
        names[s] = name[s];
        for (int i = 0; i < N; i++)
            y[s * N + i] = 1000.0 * (s + 1) + i;
    }
    pym_chart c = {.kind = PYM_CHART_STACKED, .npoints = N, .x = x, .nseries = S, .names = names, .y = y};
    size_t len;
    char *svg = pym_chart_svg(&c, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    keep("chart_thousand", svg);
    /* each area has its top and bottom edge at most PYM_CHART_MAX_COLUMNS points each */
    CU_ASSERT_EQUAL(count(svg, " L"), (size_t)S * (2 * PYM_CHART_MAX_COLUMNS - 1));
    CU_ASSERT(len < 400 * 1024);
    /* 20 names do not fit: the legend sums up the rest */
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "... and "));
    /* the time axis: 499.5 s, all ticks as m:ss, every two minutes */
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">0:00</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">2:00</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">8:00</text>"));
    CU_ASSERT_PTR_NULL(strstr(svg, " s</text>"));
    CU_ASSERT(count(svg, "text-anchor=\"middle\">") <= 14);
    c.kind = PYM_CHART_SHARE;
    free(svg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg = pym_chart_svg(&c, &len));
    keep("chart_thousand_share", svg);
    free(svg);
}

static void test_lines_break_where_an_instance_is_not_alive(void)
{
    const double x[] = {0, 1, 2, 3, 4};
    const char *names[] = {"Node 0x1", "Node 0x2"};
    const double y[] = {100, 200, NAN, 300, 300, /* born at 2 s, dies at 3 s */ NAN, NAN, 50, 80, NAN};
    pym_chart c = {.kind = PYM_CHART_LINES, .npoints = 5, .x = x, .nseries = 2, .names = names, .y = y};
    char *svg = pym_chart_svg(&c, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    keep("chart_lines", svg);
    /* series 1: two pieces; series 2: one */
    CU_ASSERT_EQUAL(count(svg, "<polyline"), 3);
    CU_ASSERT_EQUAL(count(svg, "<circle"), 0);
    free(svg);
}

static void test_bad_charts_are_refused(void)
{
    const double x[] = {0, 2, 1};
    const char *names[] = {"a"};
    const double y[] = {1, 2, 3};
    pym_chart c = {.kind = PYM_CHART_LINES, .npoints = 3, .x = x, .nseries = 1, .names = names, .y = y};
    errno = 0;
    CU_ASSERT_PTR_NULL(pym_chart_svg(&c, NULL)); /* times not ascending */
    CU_ASSERT_EQUAL(errno, EINVAL);
    c.npoints = 0;
    CU_ASSERT_PTR_NULL(pym_chart_svg(&c, NULL));
    c.npoints = 2;
    c.names = NULL;
    CU_ASSERT_PTR_NULL(pym_chart_svg(&c, NULL));
    CU_ASSERT_PTR_NULL(pym_chart_svg(NULL, NULL));
}

CU_TestInfo pym_chart_tests[] = {
    {"xml escaping makes markup text", test_xml_escape_makes_markup_text},
    {"nice steps and byte labels", test_nice_steps_and_byte_labels},
    {"a stacked chart has an area per class, axes and a legend", test_stacked_chart_has_an_area_per_class_axes_and_legend},
    {"a share chart reaches 100%", test_share_chart_reaches_one_hundred_percent},
    {"an axis reads in one unit", test_an_axis_reads_in_one_unit},
    {"one snapshot is drawn as bars", test_one_snapshot_is_drawn_as_bars},
    {"a thousand snapshots are thinned", test_a_thousand_snapshots_are_thinned},
    {"lines break where an instance is not alive", test_lines_break_where_an_instance_is_not_alive},
    {"bad charts are refused", test_bad_charts_are_refused},
    CU_TEST_INFO_NULL,
};
