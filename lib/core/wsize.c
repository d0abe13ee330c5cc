/* wsize.c: decimal text of 128-bit sizes. */
#include "wsize.h"

const char *pym_wsize_str(char *buf, size_t len, int width, pym_wsize v)
{
    char digits[48];
    size_t n = 0;
    int neg = v < 0;
    __extension__ unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (neg)
        digits[n++] = '-';
    size_t pad = width > 0 && (size_t)width > n ? (size_t)width - n : 0;
    size_t k = 0;
    while (pad-- && k + 1 < len)
        buf[k++] = ' ';
    while (n && k + 1 < len)
        buf[k++] = digits[--n];
    if (len)
        buf[k < len ? k : len - 1] = '\0';
    return buf;
}
