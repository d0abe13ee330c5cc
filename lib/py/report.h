/* report.h: Pympler's printed asizeof statistics (print_summary,
 * print_largest, print_profiles, print_typedefs), byte for byte. */
#ifndef PYM_REPORT_H
#define PYM_REPORT_H

#include "sizer.h"

typedef struct {
    pym_sizer *z;
    PyObject *stream;  /* borrowed: the Asizer's stream or NULL */
    PyObject *p3opts;  /* borrowed: print3options dict or NULL */
    const char *incl;  /* "" or " (incl. code)" */
} pym_report;

/* Write one line as Asizer._printf does (print(), or stream.write(line +
 * end) with print3options).  0, or -1 with an exception. */
int pym_report_line(const pym_report *r, PyObject *line);
/* print(line) for each line of an iterable, as Pympler's print_ functions
 * do.  0, or -1 with an exception. */
int pym_print_lines(PyObject *lines);
/* printf-style convenience: formats with PyUnicode_FromFormatV. */
int pym_report_printf(const pym_report *r, const char *fmt, ...);

int pym_report_summary(const pym_report *r, Py_ssize_t w, Py_ssize_t nobjs);
int pym_report_largest(const pym_report *r, Py_ssize_t w, Py_ssize_t cutoff);
int pym_report_profiles(const pym_report *r, Py_ssize_t w, Py_ssize_t cutoff);
int pym_report_typedefs(const pym_report *r, Py_ssize_t w);

/* Helpers shared with the binding. */
PyObject *pym_si(pym_wsize size);        /* _SI(size): ' or 1.2 KiB' or '' */
PyObject *pym_prepr_key(uintptr_t key, Py_ssize_t clip); /* _prepr(typedef key) */
PyObject *pym_prepr(PyObject *obj, Py_ssize_t clip);      /* _prepr(obj) */
PyObject *pym_lengstr(PyObject *obj);    /* _lengstr(obj) */
PyObject *pym_claskey_str(PyObject *cls); /* str(_Claskey(cls)) */

#endif
