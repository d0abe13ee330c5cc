/* Tests of render/render.h: DOT text -> PNG/SVG/PDF/... through libgvc,
 * in-process, plus the DOT escaping helper.
 *
 * Mostly written against the public header; the cap tests also use
 * render_int.h to measure a graph without laying it out (a graph that really
 * needs 5 s in dot would make the suite slow, and 20 times slower under
 * valgrind).  Outputs are checked structurally: PNG decoded with libpng's
 * simplified API, SVG with a small well-formedness checker (every '<' opens a
 * tag, tags balance, every '&' starts an entity, no control characters, valid
 * UTF-8) and its <text> content decoded and compared.  No Graphviz program is
 * run.  Every test frees what it allocated.
 */
#define _POSIX_C_SOURCE 200809L

#include <CUnit/Basic.h>
#include <dirent.h>
#include <errno.h>
#include <png.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "render.h"
#include "render_int.h"

/* Declared in main.c's suite table. */
extern CU_TestInfo pym_render_tests[];

static const char SMALL[] = "digraph G { alpha -> beta; alpha -> gamma; beta -> gamma; }";

/* ================================================================ helpers */

/* Render text with engine/format; returns the code, the output in *out and *len. */
static int render(const char *text, const char *engine, const char *format, unsigned char **out, size_t *len,
                  char *err, size_t errlen)
{
    pym_render_opts o = {engine, format, 0, 0, 0, 0};
    return pym_render_dot(text, strlen(text), &o, out, len, err, errlen);
}

/* Render and assert success; returns the malloc'd output (NUL-terminated). */
static unsigned char *render_ok(const char *text, const char *engine, const char *format, size_t *len)
{
    unsigned char *out = NULL;
    char err[512] = "";
    int rc = render(text, engine, format, &out, len, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "\n  render(%s, %s) = %d: %s\n", engine, format, rc, err);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(out);
    return out;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A growable string for building DOT text. */
typedef struct {
    char *p;
    size_t len, cap;
} buf;

static void buf_add(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_add(buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            abort(); /* a test, not a library */
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Deterministic pseudo-random numbers (the tests must not depend on rand()). */
static uint32_t rng_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* n nodes in disjoint 3-cycles, as garbage of a -> b -> c -> a. */
static char *garbage_dot(int n)
{
    buf b = {0};
    buf_add(&b, "digraph garbage {\n");
    for (int i = 0; i + 2 < n; i += 3)
        buf_add(&b, "n%d -> n%d -> n%d -> n%d;\n", i, i + 1, i + 2, i);
    buf_add(&b, "}\n");
    return b.p;
}

/* A random tree of n nodes plus `extra` random edges; the tree edges get
 * the attribute list `attrs` ("" for none). */
static char *tree_dot_attrs(int n, int extra, const char *attrs)
{
    buf b = {0};
    uint32_t s = 12345;
    buf_add(&b, "digraph tree {\nn0;\n");
    for (int i = 1; i < n; i++)
        buf_add(&b, "n%u -> n%d %s;\n", rng_next(&s) % (uint32_t)i, i, attrs);
    for (int i = 0; i < extra; i++) {
        uint32_t a = rng_next(&s) % (uint32_t)n, c = rng_next(&s) % (uint32_t)n;
        buf_add(&b, "n%u -> n%u;\n", a, c);
    }
    buf_add(&b, "}\n");
    return b.p;
}

static char *tree_dot(int n, int extra)
{
    return tree_dot_attrs(n, extra, "");
}

/* Parse text with cgraph directly and measure it (no layout). */
static int measure_text(const char *text, pym__render_stats *st)
{
    Agraph_t *g = agmemread(text);
    int rc;
    if (!g)
        return -1;
    rc = pym__render_measure(g, st);
    agclose(g);
    return rc;
}

/* ================================================================ XML checking */

static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!k || i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        if (c == 0xE0 && s[i + 1] < 0xA0)
            return 0;
        if (c == 0xED && s[i + 1] > 0x9F)
            return 0;
        if (c == 0xF0 && s[i + 1] < 0x90)
            return 0;
        if (c == 0xF4 && s[i + 1] > 0x8F)
            return 0;
        i += k;
    }
    return 1;
}

/* Length of the entity at s ("&amp;", "&#45;", "&#x2F;"), 0 when not one. */
static size_t entity_len(const char *s)
{
    size_t i = 1;
    if (s[i] == '#') {
        i++;
        int hex = s[i] == 'x';
        if (hex)
            i++;
        size_t start = i;
        while ((hex && strchr("0123456789abcdefABCDEF", s[i]) && s[i]) || (!hex && s[i] >= '0' && s[i] <= '9'))
            i++;
        if (i == start)
            return 0;
    } else {
        size_t start = i;
        while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))
            i++;
        if (i == start)
            return 0;
    }
    return s[i] == ';' ? i + 1 : 0;
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == ':' || c == '.';
}

/* Well-formed enough: returns NULL when fine, else what is wrong. */
static const char *xml_problem(const char *s, size_t n)
{
    enum { DEPTH = 64 };
    char stack[DEPTH][32];
    int depth = 0, roots = 0;
    size_t i = 0;

    if (strlen(s) != n)
        return "NUL byte";
    if (!utf8_valid((const unsigned char *)s, n))
        return "invalid UTF-8";
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)s[k] < 0x20 && s[k] != '\n' && s[k] != '\r' && s[k] != '\t')
            return "control character";
    while (i < n) {
        if (s[i] == '&') {
            if (!entity_len(s + i))
                return "bare '&'";
            i++;
            continue;
        }
        if (s[i] != '<') {
            i++;
            continue;
        }
        if (!strncmp(s + i, "<?", 2)) {
            const char *e = strstr(s + i, "?>");
            if (!e)
                return "unterminated <?";
            i = (size_t)(e - s) + 2;
        } else if (!strncmp(s + i, "<!--", 4)) {
            const char *e = strstr(s + i + 4, "-->");
            if (!e)
                return "unterminated comment";
            i = (size_t)(e - s) + 3;
        } else if (!strncmp(s + i, "<!DOCTYPE", 9)) {
            const char *e = strchr(s + i, '>');
            if (!e)
                return "unterminated DOCTYPE";
            i = (size_t)(e - s) + 1;
        } else if (s[i + 1] == '/') {
            size_t j = i + 2, k = 0;
            char name[32];
            while (name_char(s[j]) && k < sizeof name - 1)
                name[k++] = s[j++];
            name[k] = '\0';
            if (s[j] != '>')
                return "bad end tag";
            if (depth == 0 || strcmp(stack[depth - 1], name))
                return "mismatched end tag";
            depth--;
            i = j + 1;
        } else {
            size_t j = i + 1, k = 0;
            char name[32];
            if (!name_char(s[j]))
                return "'<' that opens no tag";
            while (name_char(s[j]) && k < sizeof name - 1)
                name[k++] = s[j++];
            name[k] = '\0';
            for (;;) { /* attributes */
                while (s[j] == ' ' || s[j] == '\n' || s[j] == '\t' || s[j] == '\r')
                    j++;
                if (s[j] == '>' || (s[j] == '/' && s[j + 1] == '>'))
                    break;
                if (!name_char(s[j]))
                    return "bad attribute";
                while (name_char(s[j]))
                    j++;
                if (s[j] != '=' || (s[j + 1] != '"' && s[j + 1] != '\''))
                    return "attribute without quoted value";
                char q = s[j + 1];
                j += 2;
                while (j < n && s[j] != q) {
                    if (s[j] == '<')
                        return "'<' in attribute";
                    if (s[j] == '&' && !entity_len(s + j))
                        return "bare '&' in attribute";
                    j++;
                }
                if (j >= n)
                    return "unterminated attribute";
                j++;
            }
            if (s[j] == '/') {
                j += 2;
            } else {
                if (depth == DEPTH)
                    return "too deep";
                if (depth == 0)
                    roots++;
                snprintf(stack[depth++], sizeof stack[0], "%s", name);
                j++;
            }
            i = j;
        }
    }
    if (depth)
        return "unclosed element";
    if (roots != 1)
        return "not exactly one root element";
    return NULL;
}

/* Append the UTF-8 of code point cp. */
static void put_cp(buf *b, unsigned long cp)
{
    if (cp < 0x80)
        buf_add(b, "%c", (int)cp);
    else if (cp < 0x800)
        buf_add(b, "%c%c", (int)(0xC0 | (cp >> 6)), (int)(0x80 | (cp & 0x3F)));
    else if (cp < 0x10000)
        buf_add(b, "%c%c%c", (int)(0xE0 | (cp >> 12)), (int)(0x80 | ((cp >> 6) & 0x3F)), (int)(0x80 | (cp & 0x3F)));
    else
        buf_add(b, "%c%c%c%c", (int)(0xF0 | (cp >> 18)), (int)(0x80 | ((cp >> 12) & 0x3F)),
                (int)(0x80 | ((cp >> 6) & 0x3F)), (int)(0x80 | (cp & 0x3F)));
}

/* The decoded contents of every <text ...>...</text> element, one per line.
 * Returns a malloc'd string. */
static char *svg_texts(const char *svg)
{
    buf b = {0};
    const char *p = svg;
    buf_add(&b, "%s", "");
    while ((p = strstr(p, "<text"))) {
        const char *start = strchr(p, '>'), *end;
        if (!start)
            break;
        start++;
        end = strstr(start, "</text>");
        if (!end)
            break;
        for (const char *q = start; q < end;) {
            if (*q == '&') {
                size_t k = entity_len(q);
                if (!strncmp(q, "&lt;", 4))
                    buf_add(&b, "<");
                else if (!strncmp(q, "&gt;", 4))
                    buf_add(&b, ">");
                else if (!strncmp(q, "&amp;", 5))
                    buf_add(&b, "&");
                else if (!strncmp(q, "&quot;", 6))
                    buf_add(&b, "\"");
                else if (!strncmp(q, "&apos;", 6))
                    buf_add(&b, "'");
                else if (q[1] == '#')
                    put_cp(&b, q[2] == 'x' ? strtoul(q + 3, NULL, 16) : strtoul(q + 2, NULL, 10));
                q += k ? k : 1;
            } else {
                buf_add(&b, "%c", *q++);
            }
        }
        buf_add(&b, "\n");
        p = end;
    }
    return b.p;
}

/* ================================================================ choices, codes */

static void test_engine_and_format_lists_are_the_documented_ones(void)
{
    const char *engines[] = {"dot", "neato", "fdp", "sfdp", "circo", "twopi"};
    const char *formats[] = {"png", "svg", "pdf", "ps", "eps", "dot", "plain", "json"};
    size_t i;

    for (i = 0; pym_render_engines[i]; i++)
        CU_ASSERT_STRING_EQUAL(pym_render_engines[i], engines[i]);
    CU_ASSERT_EQUAL(i, 6);
    for (i = 0; pym_render_formats[i]; i++)
        CU_ASSERT_STRING_EQUAL(pym_render_formats[i], formats[i]);
    CU_ASSERT_EQUAL(i, 8);
    for (i = 0; i < 6; i++)
        CU_ASSERT_TRUE(pym_render_engine_ok(engines[i]));
    for (i = 0; i < 8; i++)
        CU_ASSERT_TRUE(pym_render_format_ok(formats[i]));
    CU_ASSERT_FALSE(pym_render_engine_ok("foo"));
    CU_ASSERT_FALSE(pym_render_engine_ok("DOT"));
    CU_ASSERT_FALSE(pym_render_engine_ok(""));
    CU_ASSERT_FALSE(pym_render_engine_ok(NULL));
    CU_ASSERT_FALSE(pym_render_format_ok("gif"));
    CU_ASSERT_FALSE(pym_render_format_ok("svgz"));
    CU_ASSERT_FALSE(pym_render_format_ok(NULL));
}

static void test_every_code_has_its_message(void)
{
    CU_ASSERT_STRING_EQUAL(pym_render_strerror(0), "success");
    CU_ASSERT_STRING_EQUAL(pym_render_strerror(PYM_RENDER_E_ENGINE), "unknown layout engine");
    CU_ASSERT_STRING_EQUAL(pym_render_strerror(PYM_RENDER_E_TOOBIG), "graph too large to lay out");
    CU_ASSERT_STRING_EQUAL(pym_render_strerror(-1000), "unknown error");
    CU_ASSERT_TRUE(PYM_RENDER_E_ENGINE < 0 && PYM_RENDER_E_FORMAT < 0 && PYM_RENDER_E_SYNTAX < 0 &&
                   PYM_RENDER_E_LAYOUT < 0 && PYM_RENDER_E_RENDER < 0 && PYM_RENDER_E_NOMEM < 0 &&
                   PYM_RENDER_E_IO < 0);
}

/* ================================================================ formats */

static void test_png_has_the_signature_and_decodes(void)
{
    size_t len = 0;
    unsigned char *png = render_ok(SMALL, "dot", "png", &len);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    png_image img;
    void *pixels = NULL;

    if (!png)
        return;
    CU_ASSERT_TRUE_FATAL(len > 8);
    CU_ASSERT_EQUAL(memcmp(png, sig, 8), 0);
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    CU_ASSERT_TRUE(png_image_begin_read_from_memory(&img, png, len));
    if (img.warning_or_error & 2) { /* PNG_IMAGE_ERROR */
        fprintf(stderr, "\n  libpng: %s\n", img.message);
        free(png);
        return;
    }
    CU_ASSERT_TRUE(img.width > 0 && img.height > 0);
    img.format = PNG_FORMAT_RGBA;
    pixels = malloc(PNG_IMAGE_SIZE(img));
    CU_ASSERT_PTR_NOT_NULL_FATAL(pixels);
    CU_ASSERT_TRUE(png_image_finish_read(&img, NULL, pixels, 0, NULL));
    png_image_free(&img);
    free(pixels);
    free(png);
}

static void test_svg_is_well_formed_and_has_the_labels(void)
{
    size_t len = 0;
    char *svg = (char *)render_ok(SMALL, "dot", "svg", &len);
    const char *why;

    if (!svg)
        return;
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, "<svg"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">alpha</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">beta</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">gamma</text>"));
    CU_ASSERT_EQUAL(strlen(svg), len);
    why = xml_problem(svg, len);
    if (why)
        fprintf(stderr, "\n  SVG: %s\n", why);
    CU_ASSERT_PTR_NULL(why);
    free(svg);
}

static void test_other_formats_start_as_expected(void)
{
    static const struct {
        const char *format, *prefix, *contains;
    } cases[] = {
        {"pdf", "%PDF", NULL},         {"ps", "%!PS", "alpha"},        {"eps", "%!PS-Adobe", "EPSF"},
        {"plain", "graph ", "node alpha"}, {"json", "{", "\"alpha\""}, {"dot", "digraph G {", "alpha -> beta"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        char *out = (char *)render_ok(SMALL, "dot", cases[i].format, &len);
        if (!out)
            continue;
        CU_ASSERT_TRUE(len >= strlen(cases[i].prefix));
        CU_ASSERT_EQUAL(strncmp(out, cases[i].prefix, strlen(cases[i].prefix)), 0);
        if (cases[i].contains)
            CU_ASSERT_PTR_NOT_NULL(strstr(out, cases[i].contains));
        free(out);
    }
}

static void test_every_engine_lays_out_a_small_graph(void)
{
    for (size_t i = 0; pym_render_engines[i]; i++) {
        pym_render_opts o = {pym_render_engines[i], "plain", 0, 0, 0, 0};
        pym_render_info info;
        unsigned char *out = NULL;
        size_t len = 0;
        char err[256] = "";
        int rc = pym_render_dot_ex(SMALL, strlen(SMALL), &o, &out, &len, &info, err, sizeof err);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT_STRING_EQUAL(info.engine, pym_render_engines[i]);
        CU_ASSERT_STRING_EQUAL(info.note, "");
        CU_ASSERT_EQUAL(info.nodes, 3);
        CU_ASSERT_EQUAL(info.edges, 3);
        CU_ASSERT_EQUAL(info.components, 1);
        CU_ASSERT_TRUE(out && !strncmp((char *)out, "graph ", 6) && strstr((char *)out, "node gamma"));
        free(out);
    }
}

static void test_null_options_mean_dot_to_svg(void)
{
    unsigned char *out = NULL;
    size_t len = 0;
    pym_render_info info;
    CU_ASSERT_EQUAL(pym_render_dot_ex(SMALL, strlen(SMALL), NULL, &out, &len, &info, NULL, 0), 0);
    CU_ASSERT_STRING_EQUAL(info.engine, "dot");
    CU_ASSERT_TRUE(out && strstr((char *)out, "<svg"));
    free(out);
}

/* ================================================================ options */

/* The distinct y coordinates of the "leaf" nodes in plain output. */
static int leaf_rows(const char *plain)
{
    double ys[64];
    int n = 0;
    for (const char *p = plain; (p = strstr(p, "\nnode leaf"));) {
        double x, y;
        int id;
        p++;
        if (sscanf(p, "node leaf%d %lf %lf", &id, &x, &y) != 3)
            continue;
        int seen = 0;
        for (int i = 0; i < n; i++)
            seen |= ys[i] == y;
        if (!seen && n < 64)
            ys[n++] = y;
    }
    return n;
}

static void test_unflatten_staggers_a_fan_out_and_still_renders(void)
{
    buf b = {0};
    pym_render_opts flat = {"dot", "plain", 0, 0, 0, 0}, unflat = {"dot", "plain", 1, 0, 0, 0};
    unsigned char *p0 = NULL, *p1 = NULL, *d1 = NULL, *svg = NULL;
    size_t len;
    char err[256];

    buf_add(&b, "digraph fan {\n");
    for (int i = 0; i < 20; i++)
        buf_add(&b, "hub -> leaf%d;\n", i);
    buf_add(&b, "}\n");
    CU_ASSERT_EQUAL(pym_render_dot(b.p, b.len, &flat, &p0, &len, err, sizeof err), 0);
    CU_ASSERT_EQUAL(pym_render_dot(b.p, b.len, &unflat, &p1, &len, err, sizeof err), 0);
    if (p0 && p1) {
        CU_ASSERT_EQUAL(leaf_rows((char *)p0), 1);
        CU_ASSERT_EQUAL(leaf_rows((char *)p1), 7); /* minlen 1..7, as unflatten -l7 */
        CU_ASSERT_NOT_EQUAL(strcmp((char *)p0, (char *)p1), 0);
    }
    /* the transformation itself, visible in DOT output: minlen 1..7, then 1 again */
    unflat.format = "dot";
    unflat.unflatten_chain = 3;
    CU_ASSERT_EQUAL(pym_render_dot(b.p, b.len, &unflat, &d1, &len, err, sizeof err), 0);
    if (d1) {
        CU_ASSERT_PTR_NOT_NULL(strstr((char *)d1, "minlen=3"));
        CU_ASSERT_PTR_NULL(strstr((char *)d1, "minlen=4"));
    }
    unflat.format = "svg";
    CU_ASSERT_EQUAL(pym_render_dot(b.p, b.len, &unflat, &svg, &len, err, sizeof err), 0);
    CU_ASSERT_TRUE(svg && !xml_problem((char *)svg, len));
    free(p0);
    free(p1);
    free(d1);
    free(svg);
    free(b.p);
}

static void test_unflatten_keeps_minlen_set_by_the_graph_and_leaves_inner_edges(void)
{
    const char *text = "digraph { a -> b [minlen=5]; a -> c; a -> d; d -> e; e -> f; }";
    pym_render_opts o = {"dot", "dot", 1, 7, 0, 0};
    unsigned char *out = NULL;
    size_t len;
    char err[256];

    CU_ASSERT_EQUAL(pym_render_dot(text, strlen(text), &o, &out, &len, err, sizeof err), 0);
    if (!out)
        return;
    /* b keeps 5 but counts in the stagger; c (2nd leaf) gets 2; a -> d and
     * d -> e join inner nodes; e -> f: e has degree 2, f is a leaf: 1 */
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, "minlen=5"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, "minlen=2"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, "minlen=1"));
    CU_ASSERT_PTR_NULL(strstr((char *)out, "minlen=3"));
    free(out);
}

static void test_pympler_style_fills_nodes_but_keeps_their_own_attributes(void)
{
    const char *text = "digraph { a; b [color=red]; a -> b [label=x]; }";
    pym_render_opts o = {"dot", "dot", 0, 0, 1, 0};
    unsigned char *out = NULL;
    size_t len;
    char err[256];

    CU_ASSERT_EQUAL(pym_render_dot(text, strlen(text), &o, &out, &len, err, sizeof err), 0);
    if (!out)
        return;
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, "#E5EDB8"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, "filled"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, "#CCCCCC"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, "color=red"));
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, "fontsize=10"));
    free(out);
}

/* ================================================================ errors */

static void test_unknown_engine_and_format_give_the_codes_and_the_choices(void)
{
    unsigned char *out = (unsigned char *)"untouched";
    size_t len = 99;
    char err[256];

    CU_ASSERT_EQUAL(render(SMALL, "foo", "svg", &out, &len, err, sizeof err), PYM_RENDER_E_ENGINE);
    CU_ASSERT_STRING_EQUAL(err, "unknown layout engine 'foo'; choose one of dot, neato, fdp, sfdp, circo, twopi");
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_EQUAL(render(SMALL, "dot", "gif", &out, &len, err, sizeof err), PYM_RENDER_E_FORMAT);
    CU_ASSERT_STRING_EQUAL(err, "unknown format 'gif'; choose one of png, svg, pdf, ps, eps, dot, plain, json");
    CU_ASSERT_PTR_NULL(out);
    /* a small err buffer is cut and terminated */
    CU_ASSERT_EQUAL(render(SMALL, "foo", "svg", &out, &len, err, 8), PYM_RENDER_E_ENGINE);
    CU_ASSERT_STRING_EQUAL(err, "unknown");
    CU_ASSERT_EQUAL(render(SMALL, "foo", "svg", &out, &len, NULL, 0), PYM_RENDER_E_ENGINE);
}

static void test_syntax_error_gives_graphviz_message_and_the_parser_recovers(void)
{
    unsigned char *out = NULL;
    size_t len = 0;
    char err[256] = "";

    CU_ASSERT_EQUAL(render("digraph {\n a -> b;\n c -> -> d }", "dot", "svg", &out, &len, err, sizeof err),
                    PYM_RENDER_E_SYNTAX);
    CU_ASSERT_STRING_EQUAL(err, "syntax error in line 3 near '->'");
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_EQUAL(render("not a graph", "dot", "svg", &out, &len, err, sizeof err), PYM_RENDER_E_SYNTAX);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "syntax error in line 1"));
    /* line numbers restart and the next graph parses */
    CU_ASSERT_EQUAL(render("digraph {\n x -> }", "dot", "svg", &out, &len, err, sizeof err), PYM_RENDER_E_SYNTAX);
    CU_ASSERT_STRING_EQUAL(err, "syntax error in line 2 near '}'");
    out = render_ok(SMALL, "dot", "svg", &len);
    free(out);
}

static void test_nul_byte_and_empty_text_are_syntax_errors(void)
{
    static const char text[] = "digraph { a -> b; }\0 c";
    unsigned char *out = NULL;
    size_t len = 0;
    char err[256] = "";
    pym_render_opts o = {"dot", "svg", 0, 0, 0, 0};

    CU_ASSERT_EQUAL(pym_render_dot(text, sizeof text - 1, &o, &out, &len, err, sizeof err), PYM_RENDER_E_SYNTAX);
    CU_ASSERT_STRING_EQUAL(err, "DOT text contains a NUL byte at offset 19");
    CU_ASSERT_EQUAL(pym_render_dot("", 0, &o, &out, &len, err, sizeof err), PYM_RENDER_E_SYNTAX);
    CU_ASSERT_EQUAL(pym_render_dot(NULL, 0, &o, &out, &len, err, sizeof err), PYM_RENDER_E_SYNTAX);
    CU_ASSERT_EQUAL(pym_render_dot(NULL, 5, &o, &out, &len, err, sizeof err), PYM_RENDER_E_ARG);
    CU_ASSERT_EQUAL(pym_render_dot(SMALL, strlen(SMALL), &o, NULL, &len, err, sizeof err), PYM_RENDER_E_ARG);
    /* dotlen is honoured: the text need not be NUL-terminated */
    CU_ASSERT_EQUAL(pym_render_dot(text, 19, &o, &out, &len, err, sizeof err), 0);
    free(out);
}

static void test_a_broken_html_label_fails_layout_with_graphviz_message(void)
{
    unsigned char *out = NULL;
    size_t len = 0;
    char err[256] = "";

    CU_ASSERT_EQUAL(render("digraph { a [label=<x<b>y</x>>]; }", "dot", "svg", &out, &len, err, sizeof err),
                    PYM_RENDER_E_LAYOUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "in label of node a"));
    CU_ASSERT_PTR_NULL(strchr(err, '\n'));
    CU_ASSERT_PTR_NULL(out);
}

/* ================================================================ files */

static char tmpdir[64];

static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/pym_render_XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
}

static void test_to_file_writes_the_same_bytes_and_no_temporary(void)
{
    char path[128];
    unsigned char *mem = NULL, *file = NULL;
    size_t len = 0;
    pym_render_opts o = {"dot", "svg", 0, 0, 0, 0};
    char err[256] = "";
    FILE *f;
    long size;

    make_tmpdir();
    snprintf(path, sizeof path, "%s/out.svg", tmpdir);
    CU_ASSERT_EQUAL(pym_render_dot_to_file(SMALL, strlen(SMALL), &o, path, err, sizeof err), 0);
    CU_ASSERT_EQUAL(dir_entries(tmpdir), 1);
    mem = render_ok(SMALL, "dot", "svg", &len);
    f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    rewind(f);
    file = malloc((size_t)size + 1);
    CU_ASSERT_EQUAL(fread(file, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    CU_ASSERT_EQUAL((size_t)size, len);
    CU_ASSERT_TRUE(mem && file && !memcmp(mem, file, len));
    /* overwriting works too */
    CU_ASSERT_EQUAL(pym_render_dot_to_file(SMALL, strlen(SMALL), &o, path, err, sizeof err), 0);
    CU_ASSERT_EQUAL(dir_entries(tmpdir), 1);
    /* a leftover temporary of our name is neither used nor removed */
    char stale[160];
    snprintf(stale, sizeof stale, "%s.tmp.%ld", path, (long)getpid());
    f = fopen(stale, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("stale", f);
    fclose(f);
    CU_ASSERT_EQUAL(pym_render_dot_to_file(SMALL, strlen(SMALL), &o, path, err, sizeof err), 0);
    CU_ASSERT_EQUAL(dir_entries(tmpdir), 2);
    f = fopen(stale, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fread(file, 1, 5, f), 5);
    CU_ASSERT_EQUAL(memcmp(file, "stale", 5), 0);
    fclose(f);
    unlink(stale);
    free(mem);
    free(file);
    unlink(path);
    rmdir(tmpdir);
}

static void test_unwritable_path_fails_with_a_message_and_leaves_nothing(void)
{
    char path[128], sub[128];
    pym_render_opts o = {"dot", "png", 0, 0, 0, 0};
    char err[256] = "";

    make_tmpdir();
    /* a directory that does not exist */
    snprintf(path, sizeof path, "%s/no/such/dir/out.png", tmpdir);
    CU_ASSERT_EQUAL(pym_render_dot_to_file(SMALL, strlen(SMALL), &o, path, err, sizeof err), PYM_RENDER_E_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot write '"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "out.png': No such file or directory"));
    CU_ASSERT_EQUAL(dir_entries(tmpdir), 0);
    /* the path is a directory: the temporary file is written, the rename
     * fails, and the temporary file must go */
    snprintf(sub, sizeof sub, "%s/adir", tmpdir);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
    CU_ASSERT_EQUAL(pym_render_dot_to_file(SMALL, strlen(SMALL), &o, sub, err, sizeof err), PYM_RENDER_E_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "Is a directory"));
    CU_ASSERT_EQUAL(dir_entries(tmpdir), 1);
    CU_ASSERT_EQUAL(dir_entries(sub), 0);
    /* a render error creates no file at all */
    snprintf(path, sizeof path, "%s/bad.png", tmpdir);
    CU_ASSERT_EQUAL(pym_render_dot_to_file("digraph {", 9, &o, path, err, sizeof err), PYM_RENDER_E_SYNTAX);
    CU_ASSERT_EQUAL(dir_entries(tmpdir), 1);
    CU_ASSERT_EQUAL(pym_render_dot_to_file(SMALL, strlen(SMALL), &o, "", err, sizeof err), PYM_RENDER_E_ARG);
    rmdir(sub);
    rmdir(tmpdir);
}

/* ================================================================ escaping */

static void check_escape(const char *in, size_t len, size_t max, int flags, const char *want)
{
    char *got = pym_dot_escape(in, len, max, flags);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    if (strcmp(got, want))
        fprintf(stderr, "\n  escape: got [%s] want [%s]\n", got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

#define ESC(lit, max, flags, want) check_escape(lit, sizeof lit - 1, max, flags, want)

static void test_escape_doubles_backslashes_and_escapes_quotes(void)
{
    ESC("plain", 0, 0, "plain");
    ESC("a\\b", 0, 0, "a\\\\b");
    ESC("say \"hi\"", 0, 0, "say \\\"hi\\\"");
    ESC("\\n is not a newline", 0, 0, "\\\\n is not a newline");
    ESC("<>&", 0, 0, "<>&");
    ESC("<>&", 0, PYM_DOT_ESCAPE_AMP, "<>&amp;");
    ESC("", 0, 0, "");
    check_escape(NULL, 0, 10, 0, "");
}

static void test_escape_removes_control_characters_and_maybe_keeps_newlines(void)
{
    ESC("a\nb", 0, 0, "ab");
    ESC("a\nb", 0, PYM_DOT_KEEP_NEWLINES, "a\\nb");
    ESC("a\nb", 0, 1, "a\\nb"); /* 1 is "keep_newlines" */
    ESC("t\ta\rb\x01" "c\x1b[0m\x7f", 0, 0, "tab" "c[0m");
    ESC("nul\0byte", 0, 0, "nulbyte");
    ESC("c1 \xc2\x85 \xc2\x9f end", 0, 0, "c1   end"); /* U+0085, U+009F */
    ESC("nbsp\xc2\xa0ok", 0, 0, "nbsp\xc2\xa0ok");     /* U+00A0 is text */
}

static void test_escape_replaces_invalid_utf8(void)
{
    ESC("caf\xc3\xa9", 0, 0, "caf\xc3\xa9");
    ESC("caf\xe9", 0, 0, "caf\xef\xbf\xbd");                        /* Latin-1 */
    ESC("\xff\xfe", 0, 0, "\xef\xbf\xbd\xef\xbf\xbd");
    ESC("\xe2\x82", 0, 0, "\xef\xbf\xbd");                          /* truncated: one */
    ESC("\xe2\x82x", 0, 0, "\xef\xbf\xbdx");
    ESC("\xed\xa0\x80", 0, 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate, as Python */
    ESC("\xc0\xaf", 0, 0, "\xef\xbf\xbd\xef\xbf\xbd");              /* overlong '/' */
    ESC("\xf4\x90\x80\x80", 0, 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* > U+10FFFF */
    ESC("\xef\xbf\xbe", 0, 0, "\xef\xbf\xbd");                      /* U+FFFE */
    ESC("\xf0\x9f\x90\x8d snake", 0, 0, "\xf0\x9f\x90\x8d snake");  /* U+1F40D */
}

static void test_escape_truncates_characters_not_bytes(void)
{
    ESC("abcdefghij", 10, 0, "abcdefghij");
    ESC("abcdefghijk", 10, 0, "abcdefg...");
    ESC("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 5, 0, "\xc3\xa9\xc3\xa9...");
    ESC("\\\\\\\\\\\\", 5, 0, "\\\\\\\\...");    /* 6 backslashes: 2 kept, escaped */
    ESC("\"\"\"\"\"\"", 4, 0, "\\\"...");
    ESC("a\nb\nc\nd", 5, 1, "a\\n...");          /* an escape counts as one */
    ESC("a\x01\x02\x03" "bcd", 4, 0, "abcd");    /* counted after cleaning */
    ESC("abcdef", 2, 0, "..");
    ESC("abcdef", 3, 0, "...");
}

static void test_escaped_hostile_labels_render_to_valid_svg_with_their_text(void)
{
    static const struct {
        const char *raw;
        size_t len;
        const char *shown; /* the text the SVG must show (one <text> per line) */
    } cases[] = {
        {"say \"hi\"", 8, "say \"hi\"\n"},
        {"C:\\path\\n", 9, "C:\\path\\n\n"},
        {"<b>&amp; &lt; & x</b>", 21, "<b>&amp; &lt; & x</b>\n"},
        {"two\nlines", 9, "two\nlines\n"},
        {"bell\x07 esc\x1b nul\0!", 16, "bell esc nul!\n"},
        {"caf\xe9 \xff", 6, "caf\xef\xbf\xbd \xef\xbf\xbd\n"},
        {"-- dash --", 10, "-- dash --\n"}, /* Graphviz writes '-' as &#45; */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *label = pym_dot_escape(cases[i].raw, cases[i].len, 0, PYM_DOT_KEEP_NEWLINES | PYM_DOT_ESCAPE_AMP);
        buf text = {0};
        unsigned char *svg = NULL;
        size_t len = 0;
        const char *why;

        CU_ASSERT_PTR_NOT_NULL_FATAL(label);
        buf_add(&text, "digraph { n [label=\"%s\"]; }", label);
        svg = render_ok(text.p, "dot", "svg", &len);
        if (svg) {
            char *shown = svg_texts((char *)svg);
            why = xml_problem((char *)svg, len);
            if (why)
                fprintf(stderr, "\n  case %zu: %s\n", i, why);
            CU_ASSERT_PTR_NULL(why);
            if (strcmp(shown, cases[i].shown)) {
                fprintf(stderr, "\n  case %zu shows [%s]\n", i, shown);
                CU_FAIL("label text differs");
            }
            free(shown);
        }
        free(svg);
        free(text.p);
        free(label);
    }
}

/* The checker is not vacuous, and unescaped labels are why pym_dot_escape
 * exists: Graphviz 2.42 writes control characters raw into SVG. */
static void test_the_svg_checker_rejects_what_graphviz_gets_wrong(void)
{
    static const char *bad[] = {
        "<svg>a < b</svg>", "<svg>a & b</svg>", "<svg><g></svg>", "<svg x=\"a<b\"/>",
        "<svg>\x01</svg>", "<svg>\xff</svg>", "<svg/><svg/>", "<svg></g>",
    };
    static const char good[] = "<svg a=\"&amp;\"><t>&#45;&#x2F;</t></svg>";
    static const char raw_control[] = "digraph { n [label=\"bell\x07\"]; }";
    unsigned char *svg;
    size_t len = 0;
    const char *why;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_PTR_NOT_NULL(xml_problem(bad[i], strlen(bad[i])));
    CU_ASSERT_PTR_NULL(xml_problem(good, sizeof good - 1));
    svg = render_ok(raw_control, "dot", "svg", &len);
    why = svg ? xml_problem((char *)svg, len) : NULL;
    CU_ASSERT_TRUE(why && !strcmp(why, "control character"));
    free(svg);
}

static void test_a_ten_thousand_character_label_renders_whole_or_cut(void)
{
    enum { N = 10000 };
    char *raw = malloc(N + 1), *label, *shown;
    buf text = {0}, want = {0};
    unsigned char *svg;
    size_t len = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
    for (int i = 0; i < N; i++)
        raw[i] = "ab\"\\<&\n\x01xyz!"[i % 12];
    raw[N] = '\0';
    for (int i = 0; i < N; i++) /* what the picture shows: controls removed */
        if (raw[i] != '\n' && raw[i] != '\x01')
            buf_add(&want, "%c", raw[i]);
    buf_add(&want, "\n");

    label = pym_dot_escape(raw, N, 0, PYM_DOT_ESCAPE_AMP);
    buf_add(&text, "digraph { n [label=\"%s\"]; }", label);
    svg = render_ok(text.p, "dot", "svg", &len);
    if (svg) {
        CU_ASSERT_PTR_NULL(xml_problem((char *)svg, len));
        shown = svg_texts((char *)svg);
        CU_ASSERT_EQUAL(strlen(shown), want.len);
        CU_ASSERT_STRING_EQUAL(shown, want.p);
        free(shown);
    }
    free(svg);
    free(label);
    text.len = 0;

    label = pym_dot_escape(raw, N, 48, PYM_DOT_ESCAPE_AMP);
    buf_add(&text, "digraph { n [label=\"%s\"]; }", label);
    svg = render_ok(text.p, "dot", "svg", &len);
    if (svg) {
        shown = svg_texts((char *)svg);
        CU_ASSERT_EQUAL(strlen(shown), 49);
        CU_ASSERT_STRING_EQUAL(shown + 45, "...\n");
        free(shown);
    }
    free(svg);
    free(label);
    free(text.p);
    free(want.p);
    free(raw);
}

/* ================================================================ caps */

static void test_measure_counts_components_cycles_and_blocks(void)
{
    pym__render_stats st;
    /* a tree, a 3-cycle with a tail, an isolated node, a self-loop node; and
     * two triangles sharing one node (two blocks of 3 each) */
    const char *text = "digraph { a -> b; a -> c; c -> d;  x -> y -> z -> x; z -> t;  lone;  s -> s;"
                       " p -> q -> r -> p; p -> u -> v -> p; }";

    CU_ASSERT_EQUAL_FATAL(measure_text(text, &st), 0);
    CU_ASSERT_EQUAL(st.nodes, 15);
    CU_ASSERT_EQUAL(st.edges, 13); /* the self-loop is not counted */
    CU_ASSERT_EQUAL(st.ncomps, 5);
    CU_ASSERT_EQUAL(st.largest, 5);
    CU_ASSERT_EQUAL(st.largest_excess, 2);
    CU_ASSERT_EQUAL(st.largest_block, 3);
    for (int i = 0; i < st.ncomps; i++) {
        const pym__render_comp *c = &st.comps[i];
        if (c->nodes == 4 && c->excess == 0)
            CU_ASSERT_EQUAL(c->block, 2);
        if (c->nodes == 4 && c->excess == 1)
            CU_ASSERT_EQUAL(c->block, 3);
        if (c->nodes == 1)
            CU_ASSERT_EQUAL(c->block, 1);
    }
    pym__render_stats_free(&st);

    /* labelled edges, of any kind, per component */
    CU_ASSERT_EQUAL_FATAL(measure_text("digraph { a -> b [label=x]; b -> c [headlabel=h, label=y]; c -> d [label=\"\"];"
                                       " x -> x [xlabel=l]; }",
                                       &st),
                          0);
    CU_ASSERT_EQUAL(st.labels, 3);
    CU_ASSERT_EQUAL(st.ncomps, 2);
    CU_ASSERT_TRUE((st.comps[0].labels == 2 && st.comps[1].labels == 1) ||
                   (st.comps[0].labels == 1 && st.comps[1].labels == 2));
    pym__render_stats_free(&st);

    /* a 20-cycle is one block; parallel edges make a 2-node cycle */
    buf b = {0};
    buf_add(&b, "graph { ");
    for (int i = 0; i < 20; i++)
        buf_add(&b, "c%d -- c%d; ", i, (i + 1) % 20);
    buf_add(&b, "m -- n; m -- n; }");
    CU_ASSERT_EQUAL_FATAL(measure_text(b.p, &st), 0);
    CU_ASSERT_EQUAL(st.ncomps, 2);
    CU_ASSERT_EQUAL(st.largest_block, 20);
    CU_ASSERT_EQUAL(st.largest_excess, 1);
    pym__render_stats_free(&st);
    free(b.p);
}

static void test_dot_switches_to_sfdp_just_above_its_budget(void)
{
    pym__render_stats st;
    char note[256];
    int below = 0, above = 0;

    /* trees: dot's estimate is (n/2300)^2 s; the budget is crossed near 4,600 */
    char *t1 = tree_dot(4500, 0), *t2 = tree_dot(4800, 0);
    CU_ASSERT_EQUAL_FATAL(measure_text(t1, &st), 0);
    note[0] = '\0';
    CU_ASSERT_STRING_EQUAL(pym__render_plan_layout("dot", &st, PYM__PACK_NONE, note, sizeof note).engine, "dot");
    CU_ASSERT_STRING_EQUAL(note, "");
    pym__render_stats_free(&st);
    CU_ASSERT_EQUAL_FATAL(measure_text(t2, &st), 0);
    CU_ASSERT_STRING_EQUAL(pym__render_plan_layout("dot", &st, PYM__PACK_NONE, note, sizeof note).engine, "sfdp");
    CU_ASSERT_PTR_NOT_NULL(strstr(note, "dot would take about"));
    CU_ASSERT_PTR_NOT_NULL(strstr(note, "4800 nodes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(note, "laid out with sfdp"));
    /* sfdp itself is never switched; twopi is cheap at this size */
    CU_ASSERT_STRING_EQUAL(pym__render_plan_layout("sfdp", &st, PYM__PACK_NONE, NULL, 0).engine, "sfdp");
    CU_ASSERT_STRING_EQUAL(pym__render_plan_layout("twopi", &st, PYM__PACK_NONE, NULL, 0).engine, "twopi");
    CU_ASSERT_STRING_EQUAL(pym__render_plan_layout("neato", &st, PYM__PACK_NONE, NULL, 0).engine, "sfdp");
    pym__render_stats_free(&st);
    free(t1);
    free(t2);

    /* cycles: 150 nodes with 200 extra edges stays dot, with 300 it does not */
    for (int extra = 200; extra <= 300; extra += 100) {
        char *t = tree_dot(150, extra);
        CU_ASSERT_EQUAL_FATAL(measure_text(t, &st), 0);
        if (!strcmp(pym__render_plan_layout("dot", &st, PYM__PACK_NONE, NULL, 0).engine, "dot"))
            below += extra == 200;
        else
            above += extra == 300;
        pym__render_stats_free(&st);
        free(t);
    }
    CU_ASSERT_EQUAL(below, 1);
    CU_ASSERT_EQUAL(above, 1);
}

static void test_a_dense_graph_is_laid_out_by_sfdp_with_a_note(void)
{
    char *text = tree_dot(300, 300); /* dot: ~17 s measured; sfdp: 0.05 s */
    pym_render_opts o = {"dot", "svg", 0, 0, 0, 0};
    pym_render_info info;
    unsigned char *out = NULL;
    size_t len = 0;
    char err[256] = "";
    double t0 = now();

    CU_ASSERT_EQUAL(pym_render_dot_ex(text, strlen(text), &o, &out, &len, &info, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(info.engine, "sfdp");
    CU_ASSERT_PTR_NOT_NULL(strstr(info.note, "dot would take about"));
    CU_ASSERT_TRUE(info.nodes == 300 && info.edges == 599);
    CU_ASSERT_TRUE(out && strstr((char *)out, "<svg"));
    CU_ASSERT_TRUE(now() - t0 < 60); /* generous: valgrind */
    free(out);
    free(text);

    /* a small graph keeps its engine */
    text = tree_dot(50, 10);
    CU_ASSERT_EQUAL(pym_render_dot_ex(text, strlen(text), &o, &out, &len, &info, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(info.engine, "dot");
    CU_ASSERT_STRING_EQUAL(info.note, "");
    free(out);
    free(text);
}

static void test_many_components_are_packed_as_an_array(void)
{
    char *text = garbage_dot(1200); /* 400 3-cycles */
    pym_render_opts o = {"dot", "dot", 0, 0, 0, 0};
    pym_render_info info;
    unsigned char *out = NULL;
    size_t len = 0;
    char err[256] = "";

    CU_ASSERT_EQUAL(pym_render_dot_ex(text, strlen(text), &o, &out, &len, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.components, 400);
    CU_ASSERT_STRING_EQUAL(info.engine, "dot");
    CU_ASSERT_TRUE(out && strstr((char *)out, "packmode=array"));
    free(out);
    free(text);

    /* many components of few nodes: packed too (sfdp would spend 1 s on
     * polyomino packing) */
    text = garbage_dot(330);
    o.engine = "sfdp";
    CU_ASSERT_EQUAL(pym_render_dot_ex(text, strlen(text), &o, &out, &len, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.components, 110);
    CU_ASSERT_TRUE(out && strstr((char *)out, "packmode=array"));
    free(out);
    free(text);

    /* below both thresholds nothing is added */
    text = garbage_dot(300);
    o.engine = "dot";
    CU_ASSERT_EQUAL(pym_render_dot_ex(text, strlen(text), &o, &out, &len, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.components, 100);
    CU_ASSERT_TRUE(out && !strstr((char *)out, "packmode"));
    free(out);
    free(text);

    /* the graph's own choice is kept */
    text = garbage_dot(1200);
    memcpy(text, "digraph { pack=0; ", 18);
    CU_ASSERT_EQUAL(pym_render_dot_ex(text, strlen(text), &o, &out, &len, &info, err, sizeof err), 0);
    CU_ASSERT_TRUE(out && strstr((char *)out, "pack=0") && !strstr((char *)out, "packmode"));
    free(out);
    free(text);
}

static void test_the_estimate_follows_the_packing(void)
{
    pym__render_stats st;
    char *text = garbage_dot(3000); /* 1,000 3-cycles */

    CU_ASSERT_EQUAL_FATAL(measure_text(text, &st), 0);
    /* dot: all together ~ (3000/1350)^2 = 4.9 s; packed as an array ~0.6 s */
    CU_ASSERT_TRUE(pym__render_estimate("dot", &st, PYM__PACK_NONE, 1) > 4.0);
    CU_ASSERT_TRUE(pym__render_estimate("dot", &st, PYM__PACK_ARRAY, 1) < 1.0);
    /* polyomino packing of 1,000 components ~10 s, whatever the engine */
    CU_ASSERT_TRUE(pym__render_estimate("sfdp", &st, PYM__PACK_POLY, 1) > 9.0);
    CU_ASSERT_TRUE(pym__render_estimate("sfdp", &st, PYM__PACK_NONE, 1) > 9.0);
    CU_ASSERT_TRUE(pym__render_estimate("sfdp", &st, PYM__PACK_ARRAY, 1) < 1.0);
    /* switching would not help then: the engine is kept */
    CU_ASSERT_STRING_EQUAL(pym__render_plan_layout("neato", &st, PYM__PACK_POLY, NULL, 0).engine, "neato");
    CU_ASSERT_STRING_EQUAL(pym__render_plan_layout("fdp", &st, PYM__PACK_ARRAY, NULL, 0).engine, "fdp");
    CU_ASSERT_EQUAL(pym__render_estimate("gif", &st, PYM__PACK_NONE, 1), 0.0);
    pym__render_stats_free(&st);
    free(text);
}

/* n nodes and m random edges, each with a label */
static char *labelled_dot(int n, int m)
{
    buf b = {0};
    uint32_t s = 777;
    buf_add(&b, "digraph dense {\nnode [shape=box];\n");
    for (int i = 0; i < n; i++)
        buf_add(&b, "n%d [label=\"C%d\\nC\"];\n", i, i);
    for (int i = 0; i < m; i++) {
        uint32_t a = rng_next(&s) % (uint32_t)n, c = rng_next(&s) % (uint32_t)n;
        buf_add(&b, "n%u -> n%u [label=\"r%d\"];\n", a, c, i % 100);
    }
    buf_add(&b, "}\n");
    return b.p;
}

static void test_edge_labels_are_dropped_when_placing_them_would_take_too_long(void)
{
    pym__render_stats st;
    pym__render_plan plan;
    char note[256] = "";
    /* Pympler's graph of 100 instances that all refer to each other: 200
     * nodes, 10,100 labelled edges (twopi > 90 s, neato ~120 s, sfdp 9 s) */
    char *text = labelled_dot(200, 10100);

    CU_ASSERT_EQUAL_FATAL(measure_text(text, &st), 0);
    CU_ASSERT_EQUAL(st.labels, 10100);
    for (size_t i = 0; pym_render_engines[i]; i++) {
        const char *e = pym_render_engines[i];
        plan = pym__render_plan_layout(e, &st, PYM__PACK_NONE, note, sizeof note);
        CU_ASSERT_TRUE(plan.drop_labels);
        CU_ASSERT_TRUE(plan.seconds <= PYM_RENDER_BUDGET_SECONDS);
        CU_ASSERT_PTR_NOT_NULL(strstr(note, "without its edge labels"));
        if (!strcmp(e, "twopi") || !strcmp(e, "neato") || !strcmp(e, "sfdp")) {
            CU_ASSERT_STRING_EQUAL(plan.engine, e); /* fast enough once the labels are gone */
        } else {
            CU_ASSERT_STRING_EQUAL(plan.engine, "sfdp"); /* dot, fdp, circo: too many cycles */
        }
    }
    pym__render_stats_free(&st);
    free(text);

    /* a labelled tree of 3,000 nodes: too slow for dot (labels double its
     * ranks) but sfdp can keep the labels */
    text = tree_dot_attrs(3000, 0, "[label=attr]");
    CU_ASSERT_EQUAL_FATAL(measure_text(text, &st), 0);
    CU_ASSERT_EQUAL(st.labels, 2999);
    plan = pym__render_plan_layout("dot", &st, PYM__PACK_NONE, NULL, 0);
    CU_ASSERT_STRING_EQUAL(plan.engine, "sfdp");
    CU_ASSERT_FALSE(plan.drop_labels);
    CU_ASSERT_TRUE(pym__render_estimate("dot", &st, PYM__PACK_NONE, 0) < PYM_RENDER_BUDGET_SECONDS);
    pym__render_stats_free(&st);
    free(text);

    /* and through the API: twopi keeps its engine, loses the labels */
    pym_render_opts o = {"twopi", "svg", 0, 0, 0, 0};
    pym_render_info info;
    unsigned char *out = NULL;
    size_t len = 0;
    char err[256] = "";
    text = labelled_dot(200, 6000);
    CU_ASSERT_EQUAL(pym_render_dot_ex(text, strlen(text), &o, &out, &len, &info, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(info.engine, "twopi");
    CU_ASSERT_EQUAL(info.labels_dropped, 6000);
    CU_ASSERT_PTR_NOT_NULL(strstr(info.note, "twopi would take about"));
    CU_ASSERT_PTR_NOT_NULL(strstr(info.note, "drawn without its edge labels"));
    CU_ASSERT_TRUE(out && strstr((char *)out, ">C199</text>") && !strstr((char *)out, ">r42</text>"));
    free(out);
    free(text);
}

static void test_a_huge_garbage_graph_is_refused_quickly(void)
{
    char *text = garbage_dot(40000);
    pym_render_opts o = {"dot", "png", 0, 0, 0, 0};
    pym_render_info info;
    unsigned char *out = NULL;
    size_t len = 0;
    char err[256] = "";
    double t0 = now();

    CU_ASSERT_EQUAL(pym_render_dot_ex(text, strlen(text), &o, &out, &len, &info, err, sizeof err),
                    PYM_RENDER_E_TOOBIG);
    CU_ASSERT_TRUE(now() - t0 < 30); /* ~0.3 s; generous for valgrind */
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_EQUAL(info.nodes, 39999);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "graph too large to lay out: 39999 nodes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "collapse it first"));
    free(text);
}

/* ================================================================ threads */

static void *render_thread(void *arg)
{
    int *ok = arg;
    for (int i = 0; i < 3; i++) {
        unsigned char *out = NULL;
        size_t len = 0;
        char err[256];
        pym_render_opts o = {i % 2 ? "neato" : "dot", i % 2 ? "png" : "svg", i == 2, 0, 1, 0};
        if (pym_render_dot(SMALL, strlen(SMALL), &o, &out, &len, err, sizeof err) == 0 && len > 0)
            (*ok)++;
        free(out);
    }
    return NULL;
}

static void test_concurrent_calls_are_serialised(void)
{
    pthread_t th[3];
    int ok[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, render_thread, &ok[i]), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    CU_ASSERT_TRUE(ok[0] == 3 && ok[1] == 3 && ok[2] == 3);
}

/* ================================================================ components on a grid */

static void test_grid_columns_follow_the_aspect(void)
{
    /* four unit squares, no gap: 1 column 1/4, 2 columns 1, 3 columns 3/2, 4 columns 4 */
    const double sq[4] = {1, 1, 1, 1};
    const double w[3] = {10, 1, 1}, h[3] = {1, 1, 1};
    CU_ASSERT_EQUAL(pym__render_grid_columns(sq, sq, 4, 0, 1.0), 2);
    CU_ASSERT_EQUAL(pym__render_grid_columns(sq, sq, 4, 0, 1.5), 3);
    CU_ASSERT_EQUAL(pym__render_grid_columns(sq, sq, 4, 0, 4.0), 4);
    CU_ASSERT_EQUAL(pym__render_grid_columns(sq, sq, 4, 0, 0.25), 1);
    CU_ASSERT_EQUAL(pym__render_grid_columns(sq, sq, 1, 0, 1.5), 1);
    CU_ASSERT_EQUAL(pym__render_grid_columns(sq, sq, 4, 0, 0), 1);
    /* a wide first cell: its column is wide whatever the rest */
    CU_ASSERT_EQUAL(pym__render_grid_columns(w, h, 3, 0, 4.0), 1); /* 10 x 3 = 3.3 beats 11 x 2 = 5.5 */
}

/* "width" and "height" of an SVG made by Graphviz (points), 0 when absent. */
static double svg_aspect(const char *svg)
{
    const char *p = strstr(svg, "<svg width=\"");
    double w = 0, h = 0;
    if (!p || sscanf(p, "<svg width=\"%lfpt\" height=\"%lfpt\"", &w, &h) != 2 || h <= 0)
        return 0;
    return w / h;
}

static void test_grid_puts_components_near_the_aspect_and_keeps_edge_labels(void)
{
    buf b = {0};
    pym_render_opts row = {"dot", "svg", 0, 0, 1, 0}, grid = {"dot", "svg", 0, 0, 1, 1.5};
    pym_render_info info;
    unsigned char *out = NULL;
    size_t len = 0;
    char err[512] = "", want[32];

    buf_add(&b, "digraph G { label=\"the title\";\n");
    for (int i = 0; i < 9; i++)
        buf_add(&b, "a%d -> b%d [label=\"fwd%d\"]; b%d -> c%d; c%d -> a%d [label=\"back%d\"];\n", i, i, i, i, i, i,
                i, i);
    buf_add(&b, "}\n");
    CU_ASSERT_EQUAL_FATAL(pym_render_dot_ex(b.p, b.len, &row, &out, &len, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.columns, 0);
    CU_ASSERT_TRUE(svg_aspect((char *)out) > 3.0); /* dot: one row */
    free(out);
    out = NULL;
    CU_ASSERT_EQUAL_FATAL(pym_render_dot_ex(b.p, b.len, &grid, &out, &len, &info, err, sizeof err), 0);
    CU_ASSERT_TRUE(info.columns >= 2 && info.columns <= 6);
    double a = svg_aspect((char *)out);
    CU_ASSERT_TRUE(a >= 0.9 && a <= 2.2);
    for (int i = 0; i < 9; i++) { /* Graphviz's own packing would lose the forward labels */
        snprintf(want, sizeof want, ">fwd%d</text>", i);
        CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, want));
        snprintf(want, sizeof want, ">back%d</text>", i);
        CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, want));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr((char *)out, ">the title</text>"));
    CU_ASSERT_PTR_NULL(xml_problem((char *)out, len));
    free(out);
    free(b.p);
}

static void test_grid_leaves_one_component_and_packed_graphs_alone(void)
{
    pym_render_opts plain = {"dot", "svg", 0, 0, 1, 0}, grid = {"dot", "svg", 0, 0, 1, 1.5};
    pym_render_info info;
    unsigned char *one = NULL, *two = NULL;
    size_t n1 = 0, n2 = 0;
    char err[512] = "";
    static const char packed[] = "digraph { packmode=\"array_1\"; a -> b; c -> d; e -> f; }";

    CU_ASSERT_EQUAL_FATAL(pym_render_dot_ex(SMALL, strlen(SMALL), &plain, &one, &n1, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(pym_render_dot_ex(SMALL, strlen(SMALL), &grid, &two, &n2, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.columns, 0);
    CU_ASSERT_TRUE(n1 == n2 && !memcmp(one, two, n1));
    free(one);
    free(two);
    two = NULL;
    CU_ASSERT_EQUAL_FATAL(pym_render_dot_ex(packed, strlen(packed), &grid, &two, &n2, &info, err, sizeof err), 0);
    CU_ASSERT_EQUAL(info.columns, 0); /* the graph's own packmode wins: one column */
    CU_ASSERT_TRUE(svg_aspect((char *)two) < 1.0);
    free(two);
}

/* ================================================================ table */

CU_TestInfo pym_render_tests[] = {
    {"engine and format lists are the documented ones", test_engine_and_format_lists_are_the_documented_ones},
    {"every code has its message", test_every_code_has_its_message},
    {"PNG has the signature and decodes", test_png_has_the_signature_and_decodes},
    {"SVG is well-formed and has the labels", test_svg_is_well_formed_and_has_the_labels},
    {"grid columns follow the aspect", test_grid_columns_follow_the_aspect},
    {"grid puts components near the aspect and keeps edge labels",
     test_grid_puts_components_near_the_aspect_and_keeps_edge_labels},
    {"grid leaves one component and packed graphs alone", test_grid_leaves_one_component_and_packed_graphs_alone},
    {"other formats start as expected", test_other_formats_start_as_expected},
    {"every engine lays out a small graph", test_every_engine_lays_out_a_small_graph},
    {"NULL options mean dot to SVG", test_null_options_mean_dot_to_svg},
    {"unflatten staggers a fan-out and still renders", test_unflatten_staggers_a_fan_out_and_still_renders},
    {"unflatten keeps minlen set by the graph and leaves inner edges",
     test_unflatten_keeps_minlen_set_by_the_graph_and_leaves_inner_edges},
    {"Pympler style fills nodes but keeps their own attributes",
     test_pympler_style_fills_nodes_but_keeps_their_own_attributes},
    {"unknown engine and format give the codes and the choices",
     test_unknown_engine_and_format_give_the_codes_and_the_choices},
    {"syntax error gives Graphviz's message and the parser recovers",
     test_syntax_error_gives_graphviz_message_and_the_parser_recovers},
    {"NUL byte and empty text are syntax errors", test_nul_byte_and_empty_text_are_syntax_errors},
    {"a broken HTML label fails layout with Graphviz's message",
     test_a_broken_html_label_fails_layout_with_graphviz_message},
    {"to_file writes the same bytes and no temporary", test_to_file_writes_the_same_bytes_and_no_temporary},
    {"unwritable path fails with a message and leaves nothing",
     test_unwritable_path_fails_with_a_message_and_leaves_nothing},
    {"escape doubles backslashes and escapes quotes", test_escape_doubles_backslashes_and_escapes_quotes},
    {"escape removes control characters and maybe keeps newlines",
     test_escape_removes_control_characters_and_maybe_keeps_newlines},
    {"escape replaces invalid UTF-8", test_escape_replaces_invalid_utf8},
    {"escape truncates characters, not bytes", test_escape_truncates_characters_not_bytes},
    {"escaped hostile labels render to valid SVG with their text",
     test_escaped_hostile_labels_render_to_valid_svg_with_their_text},
    {"the SVG checker rejects what Graphviz gets wrong", test_the_svg_checker_rejects_what_graphviz_gets_wrong},
    {"a 10,000-character label renders whole or cut", test_a_ten_thousand_character_label_renders_whole_or_cut},
    {"measure counts components, cycles and blocks", test_measure_counts_components_cycles_and_blocks},
    {"dot switches to sfdp just above its budget", test_dot_switches_to_sfdp_just_above_its_budget},
    {"a dense graph is laid out by sfdp with a note", test_a_dense_graph_is_laid_out_by_sfdp_with_a_note},
    {"many components are packed as an array", test_many_components_are_packed_as_an_array},
    {"the estimate follows the packing", test_the_estimate_follows_the_packing},
    {"edge labels are dropped when placing them would take too long",
     test_edge_labels_are_dropped_when_placing_them_would_take_too_long},
    {"a huge garbage graph is refused quickly", test_a_huge_garbage_graph_is_refused_quickly},
    {"concurrent calls are serialised", test_concurrent_calls_are_serialised},
    CU_TEST_INFO_NULL,
};
