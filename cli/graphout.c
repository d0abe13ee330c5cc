/* graphout.c: a ReferenceGraph as bytes in one of the graph formats of the
 * command -- DOT text as Pympler writes it, or a picture rendered
 * in-process through Graphviz by the package (render_bytes). */
#include "cli.h"

#include <string.h>
#include <strings.h>

const char *const pym_graph_formats[] = {"svg", "png", "pdf", "dot", NULL};

int pym_graph_format_ok(const char *fmt)
{
    for (int i = 0; fmt && pym_graph_formats[i]; i++)
        if (!strcmp(fmt, pym_graph_formats[i]))
            return 1;
    return 0;
}

const char *pym_graph_format_of_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;

    if (dot == NULL || strchr(dot, '/'))
        return NULL;
    for (int i = 0; pym_graph_formats[i]; i++)
        if (!strcasecmp(dot + 1, pym_graph_formats[i]))
            return pym_graph_formats[i];
    if (!strcasecmp(dot + 1, "gv"))
        return "dot";
    return NULL;
}

PyObject *pym_graph_bytes(PyObject *graph, const char *fmt)
{
    return pym_graph_bytes_ex(graph, fmt, 0);
}

/* The command's pictures: render_bytes(fmt, aspect=PYM_GRAPH_ASPECT,
 * annotate=True[, where=True]) (docs/refgraph.md, "Pictures"). */
PyObject *pym_graph_bytes_ex(PyObject *graph, const char *fmt, int flags)
{
    PyObject *text, *bytes;

    if (strcmp(fmt, "dot") != 0) {
        PyObject *meth = PyObject_GetAttrString(graph, "render_bytes"), *args = NULL, *kw = NULL, *r = NULL;
        if (meth && (args = Py_BuildValue("(s)", fmt)) &&
            (kw = Py_BuildValue("{sdsOsO}", "aspect", PYM_GRAPH_ASPECT, "annotate", Py_True, "where",
                                (flags & PYM_GRAPH_WHERE) ? Py_True : Py_False)))
            r = PyObject_Call(meth, args, kw);
        Py_XDECREF(meth);
        Py_XDECREF(args);
        Py_XDECREF(kw);
        return r;
    }
    text = PyObject_CallMethod(graph, "_get_graphviz_data", NULL);
    if (text == NULL)
        return NULL;
    bytes = PyUnicode_Check(text) ? PyUnicode_AsUTF8String(text) : Py_NewRef(text);
    Py_DECREF(text);
    return bytes;
}
