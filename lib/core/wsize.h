/* wsize.h: sizes that may pass 64 bits.
 *
 * One object's size can be huge (a __sizeof__ may say sys.maxsize), and sums
 * of such sizes pass 64 bits; Pympler returns them exactly, as Python ints.
 * 128 bits hold any sum of sizes this process can meet (2**64 objects of
 * 2**63 bytes each would still fit).  Pure C: the engine (lib/py) and the
 * command (cli) share it.
 */
#ifndef PYM_WSIZE_H
#define PYM_WSIZE_H

#include <stddef.h>

#ifndef __SIZEOF_INT128__
#error "the engine needs a compiler with __int128 (GCC or Clang, 64-bit target)"
#endif
__extension__ typedef __int128 pym_wsize;

/* Python's '%*d' % (width, v) into buf, cut to len - 1 characters (len >= 48
 * always suffices for width <= 8); returns buf. */
const char *pym_wsize_str(char *buf, size_t len, int width, pym_wsize v);

#endif
