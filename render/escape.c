/* escape.c: text -> the inside of a double-quoted DOT string, or XML/HTML
 * text and attribute values (render.h).
 *
 * Two passes over the input: the first decodes UTF-8 and counts the
 * characters that survive cleaning (to know whether and where to cut), the
 * second writes them.  The output is at most 6 bytes per input byte (an
 * invalid byte becomes the 3 bytes of U+FFFD; "&" becomes "&amp;", 5 bytes)
 * plus the "..." tail, so one allocation of 6 * len + 4 bytes suffices.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "strbuf.h"

#define REPLACEMENT 0xFFFDu

/* Decode one code point at s[0..n) (n >= 1).  Returns the number of bytes
 * consumed (>= 1) and stores the code point, or REPLACEMENT for an invalid
 * sequence: a maximal invalid subpart (a lead byte and the continuation bytes
 * that were valid so far) is consumed as one, as Python's "replace" does. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t need;
    uint32_t v;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC2 || c > 0xF4) { /* continuation, overlong lead, or beyond U+10FFFF */
        *cp = REPLACEMENT;
        return 1;
    }
    if (c < 0xE0) {
        need = 1;
        v = c & 0x1Fu;
    } else if (c < 0xF0) {
        need = 2;
        v = c & 0x0Fu;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else {
        need = 3;
        v = c & 0x07u;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* beyond U+10FFFF */
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF)) {
            *cp = REPLACEMENT;
            return i;
        }
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    /* XML 1.0 excludes the two noncharacters U+FFFE and U+FFFF. */
    *cp = (v == 0xFFFEu || v == 0xFFFFu) ? REPLACEMENT : v;
    return need + 1;
}

static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

static char *put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Whether code point cp appears in the output (one character) or is dropped. */
static int kept(uint32_t cp, int flags)
{
    return !is_control(cp) || (cp == '\n' && (flags & PYM_DOT_KEEP_NEWLINES));
}

char *pym_dot_escape(const char *s, size_t len, size_t max_chars, int flags)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t total = 0, keep, i, k;
    uint32_t cp;
    char *out, *o;

    if (len > (SIZE_MAX - 4) / 6)
        return NULL;
    if (!s)
        len = 0;
    for (i = 0; i < len; i += k) {
        k = utf8_decode(u + i, len - i, &cp);
        total += kept(cp, flags);
    }
    keep = total;
    if (max_chars > 0 && total > max_chars)
        keep = max_chars >= 3 ? max_chars - 3 : 0;

    out = malloc(6 * len + 4);
    if (!out)
        return NULL;
    o = out;
    for (i = 0; i < len && keep > 0; i += k) {
        k = utf8_decode(u + i, len - i, &cp);
        if (!kept(cp, flags))
            continue;
        keep--;
        if (cp == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else if (cp == '\\' || cp == '"') {
            *o++ = '\\';
            *o++ = (char)cp;
        } else if (cp == '&' && (flags & PYM_DOT_ESCAPE_AMP)) {
            memcpy(o, "&amp;", 5);
            o += 5;
        } else {
            o = put_utf8(o, cp);
        }
    }
    if (max_chars > 0 && total > max_chars)
        for (size_t d = 0; d < (max_chars < 3 ? max_chars : 3); d++)
            *o++ = '.';
    *o = '\0';
    return out;
}

char *pym_xml_escape(const char *s, size_t len, size_t max_chars, int flags)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t total = 0, keep, i, k;
    uint32_t cp;
    char *out, *o;

    if (len > (SIZE_MAX - 4) / 6)
        return NULL;
    if (!s)
        len = 0;
    for (i = 0; i < len; i += k) {
        k = utf8_decode(u + i, len - i, &cp);
        total += kept(cp, flags);
    }
    keep = total;
    if (max_chars > 0 && total > max_chars)
        keep = max_chars >= 3 ? max_chars - 3 : 0;

    out = malloc(6 * len + 4); /* "&quot;" is the longest, 6 bytes for 1 */
    if (!out)
        return NULL;
    o = out;
    for (i = 0; i < len && keep > 0; i += k) {
        const char *ent = NULL;
        k = utf8_decode(u + i, len - i, &cp);
        if (!kept(cp, flags))
            continue;
        keep--;
        switch (cp) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: break;
        }
        if (ent) {
            size_t n = strlen(ent);
            memcpy(o, ent, n);
            o += n;
        } else {
            o = put_utf8(o, cp);
        }
    }
    if (max_chars > 0 && total > max_chars)
        for (size_t d = 0; d < (max_chars < 3 ? max_chars : 3); d++)
            *o++ = '.';
    *o = '\0';
    return out;
}

void pym_xml_escape_into(pym_strbuf *b, const char *s, size_t len, size_t max_chars)
{
    /* the common case, printable ASCII with nothing to escape or cut, as it is */
    size_t i = 0;
    while (i < len && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f && s[i] != '&' && s[i] != '<' &&
           s[i] != '>' && s[i] != '"' && s[i] != '\'')
        i++;
    if (i == len && (max_chars == 0 || len <= max_chars)) {
        pym_strbuf_append(b, s, len);
        return;
    }
    char *e = pym_xml_escape(s, len, max_chars, 0);
    if (!e) {
        b->failed = 1;
        return;
    }
    pym_strbuf_puts(b, e);
    free(e);
}
