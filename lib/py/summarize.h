/* summarize.h: Pympler's summary rows, computed in C.
 *
 * A summary is a list of [type key, number of objects, total size] rows, one
 * per distinct key, in the order keys first occur; the size is the sum of
 * sys.getsizeof.  The key is summary._repr(o): str(type(o)) cleaned up
 * ("<class 'X'>" -> "X", " at 0x..." removed), or what the callable in
 * summary.representations gives for that exact type ("function (name)",
 * "module(name)", "frame (codename: ...)").  Keys that depend only on the
 * type are computed once per type per call.
 */
#ifndef PYM_SUMMARIZE_H
#define PYM_SUMMARIZE_H

#include "pyrt.h"

/* A new dict {type: [callables by verbosity]} holding the default
 * representations (frame, dict, function, list, module, set).  The callables
 * are builtin functions the engine recognises, so dict/list/set keys stay
 * per type.  fill: the dict to fill (the existing one), or NULL for a new one.
 * Returns a new reference, or NULL with an exception. */
PyObject *pym_representations_fill(PyObject *fill);

/* summary._repr(obj, verbosity) with representations the dict in use (may be
 * NULL: none).  strict: errors propagate as in Pympler; else a raising type
 * str or representation falls back to the type's own name (what summarize
 * does, so a hostile object never stops a summary).  New reference. */
PyObject *pym_type_key(PyObject *obj, Py_ssize_t verbosity, PyObject *representations, int strict);

/* sys.getsizeof(obj) (exact, up to sys.maxsize plus the pre-header), or
 * when __sizeof__ raises an ordinary exception or lies (not an int,
 * negative), the size object.__sizeof__ would give plus the pre-header.
 * -1 with an exception for fatal errors and for the OverflowError of a
 * __sizeof__ int too large for a Py_ssize_t (as sys.getsizeof). */
pym_wsize pym_sizeof_or_basic(PyObject *obj);

/* summary.summarize(objects): objects is any iterable.  New list, or NULL. */
PyObject *pym_summarize(PyObject *objects, PyObject *representations);

/* pympler.summary.<fn>(a) or (a, b), looked up on the module at each call
 * as Pympler's muppy and tracker do (so a user's replacement applies), with
 * the representations the module holds.  New reference, or NULL. */
PyObject *pym_summary_call(const char *fn, PyObject *a, PyObject *b);

/* Pympler's stringutils.pp(n, base): n divided by float(base) while it is
 * greater than base, formatted '%4d     B' or '%7.2f KB' ... 'EB', through
 * Python's operators and % formatting (so ints, floats and their errors
 * behave as in Pympler).  base NULL: 1024.  Past 'EB' it raises IndexError
 * 'list index out of range' at once, where Pympler would first divide on
 * (forever, for inf or a base <= 1).  New reference, or NULL. */
PyObject *pym_pp_number_base(PyObject *n, PyObject *base);
/* pym_pp_number_base(n, NULL). */
PyObject *pym_pp_number(PyObject *n);
/* The same text for a size in C: past 'EB' it stays in EB, where reports
 * (garbage statistics, process segments) should not fail. */
PyObject *pym_pp_size(double size);

/* Pympler's stringutils.pp_timestamp(t): '' for None, else
 * '%02d:%02d:%05.2f' % (int(t / 3600), int(t / 60 % 60), t % 60) through
 * Python's operators.  New reference, or NULL. */
PyObject *pym_pp_timestamp(PyObject *t);

#endif
