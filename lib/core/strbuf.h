/* strbuf: a growable byte buffer for building text (DOT, HTML, reports).
 * Errors are sticky: after a failed allocation every call is a no-op and
 * pym_strbuf_failed() says so, so callers check once at the end. */
#ifndef PYM_STRBUF_H
#define PYM_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
    char *data; /* NUL-terminated while not failed */
    size_t len, cap;
    int failed;
} pym_strbuf;

void pym_strbuf_init(pym_strbuf *b);
/* Free the data and reset to empty. */
void pym_strbuf_free(pym_strbuf *b);
void pym_strbuf_append(pym_strbuf *b, const char *s, size_t n);
void pym_strbuf_puts(pym_strbuf *b, const char *s);
void pym_strbuf_printf(pym_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1 when an allocation failed (the content is then incomplete). */
int pym_strbuf_failed(const pym_strbuf *b);

#endif
