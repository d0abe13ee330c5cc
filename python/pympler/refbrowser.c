/* pympler.refbrowser: trees of referrers, as Pympler 1.1's refbrowser, in C.
 *
 * RefBrowser(rootobject, maxdepth=3, str_func=summary._repr, repeat=True,
 * stream=None).get_tree() returns a tree of _Node objects: the root, its
 * referrers, their referrers... to maxdepth levels.  The referrers are found
 * by lib/py/referrers.c with one scan of the gc-tracked objects per level
 * (not one gc.get_referrers() heap scan per node); the tree itself is then
 * built depth-first from those lists, in the order and with the
 * repeat/already-included semantics of Pympler's recursive _get_tree().
 * StreamBrowser prints a tree in Pympler's text format (API.md B.6) without
 * recursion.  Design, behaviour and the deliberate differences from Pympler:
 * docs/refbrowser.md.
 *
 * The classes are heap types so that, as in Pympler, their class attributes
 * (StreamBrowser.hline ...) can be changed and they can be subclassed.
 */
#include "ptrmap.h"
#include "module.h"
#include "pyrt.h"
#include "referrers.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <structmember.h>

PyMODINIT_FUNC PyInit_refbrowser(void);

/* What one import of the module keeps (its module state): its types and
 * the default str_func of InteractiveBrowser.  Methods find it from the
 * type of their browser (pym_type_state). */
typedef struct {
    PyTypeObject *node_type, *refbrowser_type, *streambrowser_type, *consolebrowser_type, *filebrowser_type,
        *interactivebrowser_type;
    PyObject *gui_default_func;
} refbrowser_state;

static struct PyModuleDef module_def;

static refbrowser_state *state_of(PyObject *m)
{
    return (refbrowser_state *)PyModule_GetState(m);
}

/* Interned names: constants of the process, the same for every import. */
static PyObject *S_children, *S_write, *S_hline, *S_vline, *S_cross, *S_space;

/* ======================================================================
 * Argument checks
 * ====================================================================== */

/* maxdepth: an int >= 0; values beyond Py_ssize_t mean "no limit". */
static int parse_maxdepth(PyObject *v, Py_ssize_t *out)
{
    if (pym_int_clipped(v, "maxdepth", out) < 0)
        return -1;
    if (*out < 0) {
        PyErr_Format(PyExc_ValueError, "maxdepth must be >= 0, got %R", v);
        return -1;
    }
    return 0;
}

static int check_str_func(PyObject *f)
{
    if (f != Py_None && !PyCallable_Check(f)) {
        PyErr_Format(PyExc_TypeError, "str_func must be callable or None, not %.100s", Py_TYPE(f)->tp_name);
        return -1;
    }
    return 0;
}

/* pympler.summary._repr, looked up at call time (so a user's changes to
 * summary.representations apply).  New reference, or NULL with an
 * exception (ImportError while pympler.summary is missing). */
static PyObject *default_str_func(void)
{
    return pym_module_attr("pympler.summary", "_repr");
}

/* str_func(o), or str(o) when str_func is None (pym_str_of: a set subclass
 * whose __iter__ never ends is shown from its entries).  New reference. */
static PyObject *call_str_func(PyObject *str_func, PyObject *o)
{
    return str_func == Py_None ? pym_str_of(o) : PyObject_CallOneArg(str_func, o);
}

/* ======================================================================
 * _Node
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    PyObject *o, *children, *str_func, *dict;
} Node;

static int Node_traverse(Node *n, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(n));
    Py_VISIT(n->o);
    Py_VISIT(n->children);
    Py_VISIT(n->str_func);
    Py_VISIT(n->dict);
    return 0;
}

static int Node_clear(Node *n)
{
    Py_CLEAR(n->o);
    Py_CLEAR(n->children);
    Py_CLEAR(n->str_func);
    Py_CLEAR(n->dict);
    return 0;
}

/* Trees can be a million levels deep: the trashcan keeps their destruction
 * off the C stack. */
static void Node_dealloc(Node *n)
{
    PyTypeObject *tp = Py_TYPE(n);
    PyObject_GC_UnTrack(n);
    Py_TRASHCAN_BEGIN(n, Node_dealloc)
    Node_clear(n);
    tp->tp_free((PyObject *)n);
    Py_DECREF(tp);
    Py_TRASHCAN_END
}

/* A new _Node(o, str_func) with an empty children list; NULL on error. */
static Node *node_new(PyTypeObject *node_type, PyObject *o, PyObject *str_func)
{
    Node *n = (Node *)node_type->tp_alloc(node_type, 0);
    if (!n)
        return NULL;
    n->o = Py_NewRef(o);
    n->str_func = Py_NewRef(str_func);
    if (!(n->children = PyList_New(0))) {
        Py_DECREF(n);
        return NULL;
    }
    return n;
}

static int Node_init(Node *n, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"o", "str_func", NULL};
    PyObject *o, *str_func = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:_Node", kwlist, &o, &str_func) || check_str_func(str_func) < 0)
        return -1;
    PyObject *children = PyList_New(0);
    if (!children)
        return -1;
    Py_XSETREF(n->o, Py_NewRef(o));
    Py_XSETREF(n->str_func, Py_NewRef(str_func));
    Py_XSETREF(n->children, children);
    return 0;
}

/* str(node): str_func(o) when a str_func is set, else str(o). */
static PyObject *Node_str(Node *n)
{
    if (!n->o) {
        PyErr_SetString(PyExc_AttributeError, "_Node has no attribute 'o'");
        return NULL;
    }
    return call_str_func(n->str_func ? n->str_func : Py_None, n->o);
}

/* __getstate__(): what a _Node of Pympler's (a plain Python object) has in
 * its __dict__: o, children, str_func (those set), then any other
 * attribute.  A new dict. */
static PyObject *Node_getstate(Node *n, PyObject *unused)
{
    (void)unused;
    PyObject *state = PyDict_New();
    if (!state)
        return NULL;
    if ((n->o && PyDict_SetItemString(state, "o", n->o) < 0) ||
        (n->children && PyDict_SetItemString(state, "children", n->children) < 0) ||
        (n->str_func && PyDict_SetItemString(state, "str_func", n->str_func) < 0) ||
        (n->dict && PyDict_Update(state, n->dict) < 0)) {
        Py_DECREF(state);
        return NULL;
    }
    return state;
}

/* __setstate__(state): setattr(self, k, v) for each item of the dict. */
static PyObject *Node_setstate(Node *n, PyObject *state)
{
    if (!PyDict_Check(state)) {
        PyErr_Format(PyExc_TypeError, "_Node.__setstate__() needs a dict, not %.100s", Py_TYPE(state)->tp_name);
        return NULL;
    }
    PyObject *items = PyDict_Items(state); /* a snapshot: setattr may run code */
    if (!items)
        return NULL;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *kv = PyList_GET_ITEM(items, i);
        if (PyObject_SetAttr((PyObject *)n, PyTuple_GET_ITEM(kv, 0), PyTuple_GET_ITEM(kv, 1)) < 0) {
            Py_DECREF(items);
            return NULL;
        }
    }
    Py_DECREF(items);
    Py_RETURN_NONE;
}

/* __reduce_ex__(protocol): (copyreg.__newobj__, (type(self),), state) at
 * every protocol, so copy.copy (the children list shared), copy.deepcopy and
 * pickle treat a _Node as they treat Pympler's. */
static PyObject *Node_reduce_ex(Node *n, PyObject *protocol)
{
    (void)protocol;
    PyObject *newobj = pym_module_attr("copyreg", "__newobj__"), *state = NULL, *r = NULL;
    if (newobj && (state = PyObject_CallMethod((PyObject *)n, "__getstate__", NULL)))
        r = Py_BuildValue("(O(O)O)", newobj, (PyObject *)Py_TYPE(n), state);
    Py_XDECREF(newobj);
    Py_XDECREF(state);
    return r;
}

static PyMethodDef Node_methods[] = {
    {"__getstate__", (PyCFunction)Node_getstate, METH_NOARGS, "The node's attributes, as a dict."},
    {"__setstate__", (PyCFunction)Node_setstate, METH_O, "Set the attributes of a dict from __getstate__."},
    {"__reduce_ex__", (PyCFunction)Node_reduce_ex, METH_O, "Helper for pickle and copy."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Node_members[] = {
    {"o", T_OBJECT_EX, offsetof(Node, o), 0, "the object this node represents"},
    {"children", T_OBJECT_EX, offsetof(Node, children), 0, "child nodes (_Node) and leaves (any object)"},
    {"str_func", T_OBJECT, offsetof(Node, str_func), 0, "function used by str(node); None: str(o)"},
    {"__dictoffset__", T_PYSSIZET, offsetof(Node, dict), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef Node_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot Node_slots[] = {
    {Py_tp_doc, "_Node(o, str_func=None): a node of a referrers tree.\n\n"
                "o is the object, children a list of child _Node objects and leaves\n"
                "(any other object); str(node) is str_func(o), or str(o) without one."},
    {Py_tp_traverse, Node_traverse},
    {Py_tp_clear, Node_clear},
    {Py_tp_dealloc, Node_dealloc},
    {Py_tp_init, Node_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_str, Node_str},
    {Py_tp_members, Node_members},
    {Py_tp_getset, Node_getset},
    {Py_tp_methods, Node_methods},
    {0, NULL},
};

static PyType_Spec Node_spec = {
    .name = "pympler.refbrowser._Node",
    .basicsize = sizeof(Node),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = Node_slots,
};

/* ======================================================================
 * RefBrowser: state and tree building
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    PyObject *root;     /* the root object (None before __init__) */
    PyObject *str_func; /* NULL: pympler.summary._repr, resolved at call time */
    PyObject *repeat;   /* tested for truth at each get_tree() */
    PyObject *stream;   /* NULL or None: none (ConsoleBrowser: sys.stdout) */
    PyObject *dict;
    Py_ssize_t maxdepth;
    pym_ptrmap *included; /* Pympler's already_included: addresses of tree objects */
} Browser;

static int Browser_traverse(Browser *b, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(b));
    Py_VISIT(b->root);
    Py_VISIT(b->str_func);
    Py_VISIT(b->repeat);
    Py_VISIT(b->stream);
    Py_VISIT(b->dict);
    return 0;
}

static int Browser_clear(Browser *b)
{
    Py_CLEAR(b->root);
    Py_CLEAR(b->str_func);
    Py_CLEAR(b->repeat);
    Py_CLEAR(b->stream);
    Py_CLEAR(b->dict);
    return 0;
}

static void Browser_dealloc(Browser *b)
{
    PyTypeObject *tp = Py_TYPE(b);
    PyObject_GC_UnTrack(b);
    Browser_clear(b);
    pym_ptrmap_free(&b->included);
    tp->tp_free((PyObject *)b);
    Py_DECREF(tp);
}

static PyObject *Browser_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)args;
    (void)kwds;
    Browser *b = (Browser *)type->tp_alloc(type, 0);
    if (!b)
        return NULL;
    b->root = Py_NewRef(Py_None);
    b->repeat = Py_NewRef(Py_True);
    b->maxdepth = 3;
    return (PyObject *)b;
}

/* Shared by RefBrowser and InteractiveBrowser (no stream argument there). */
static int browser_setup(Browser *b, PyObject *root, PyObject *maxdepth, PyObject *str_func, PyObject *repeat,
                         PyObject *stream)
{
    Py_ssize_t depth = 3;
    if ((maxdepth && parse_maxdepth(maxdepth, &depth) < 0) || (str_func && check_str_func(str_func) < 0))
        return -1;
    b->maxdepth = depth;
    Py_XSETREF(b->root, Py_NewRef(root));
    Py_XSETREF(b->str_func, Py_XNewRef(str_func));
    Py_XSETREF(b->repeat, Py_NewRef(repeat ? repeat : Py_True));
    Py_XSETREF(b->stream, Py_XNewRef(stream));
    return 0;
}

static int Browser_init(Browser *b, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"rootobject", "maxdepth", "str_func", "repeat", "stream", NULL};
    PyObject *root, *maxdepth = NULL, *str_func = NULL, *repeat = NULL, *stream = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OOOO:RefBrowser", kwlist, &root, &maxdepth, &str_func, &repeat,
                                     &stream))
        return -1;
    return browser_setup(b, root, maxdepth, str_func, repeat, stream);
}

static int Interactive_init(Browser *b, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"rootobject", "maxdepth", "str_func", "repeat", NULL};
    refbrowser_state *st = pym_type_state(Py_TYPE(b), &module_def);
    if (!st)
        return -1;
    PyObject *root, *maxdepth = NULL, *str_func = st->gui_default_func, *repeat = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OOO:InteractiveBrowser", kwlist, &root, &maxdepth, &str_func,
                                     &repeat))
        return -1;
    return browser_setup(b, root, maxdepth, str_func, repeat, NULL);
}

/* The str_func in effect: new reference (None allowed), NULL on error. */
static PyObject *browser_str_func(Browser *b)
{
    return b->str_func ? Py_NewRef(b->str_func) : default_str_func();
}

/* One level of the depth-first replay: a node whose referrers are being
 * turned into children. */
typedef struct {
    Node *node;              /* owned */
    PyObject *const *refs;   /* borrowed from the referrers table */
    Py_ssize_t n, i;
    Py_ssize_t remaining;    /* maxdepth left below this node, > 0 */
} build_frame;

/* Append item to node.children (the list the node was created with). */
static int node_add(Node *parent, PyObject *item)
{
    return PyList_Append(parent->children, item);
}

/* "%s (already included, id %s)" % (str_func(o), id(o)). */
static PyObject *already_included_leaf(PyObject *str_func, PyObject *o)
{
    PyObject *s = call_str_func(str_func, o);
    PyObject *id = s ? PyLong_FromVoidPtr(o) : NULL;
    PyObject *fmt = id ? PyUnicode_FromString("%s (already included, id %s)") : NULL;
    PyObject *args = fmt ? PyTuple_Pack(2, s, id) : NULL;
    PyObject *res = args ? PyUnicode_Format(fmt, args) : NULL;
    Py_XDECREF(args);
    Py_XDECREF(fmt);
    Py_XDECREF(id);
    Py_XDECREF(s);
    return res;
}

/* Pympler's _get_tree(root, maxdepth), without recursion.  Referrers come
 * from one breadth-first collection; the depth-first walk below then visits
 * them in exactly the order Pympler's recursion does, so already_included
 * fills in the same order.  _Node objects are never children (Pympler skips
 * them too); nothing else of the browser is on the Python heap.
 * Returns the root _Node (new reference) or NULL with an exception. */
static PyObject *build_tree(Browser *b, PyObject *root, Py_ssize_t maxdepth)
{
    refbrowser_state *st = pym_type_state(Py_TYPE(b), &module_def);
    if (!st)
        return NULL;
    PyTypeObject *node_type = st->node_type;
    PyObject *str_func = browser_str_func(b), *result = NULL;
    pym_referrers *rr = NULL;
    build_frame *stack = NULL;
    size_t depth = 0, cap = 0;
    Node *top = NULL;
    int repeat;
    if (!str_func)
        return NULL;
    if ((repeat = PyObject_IsTrue(b->repeat)) < 0)
        goto done;
    if (!b->included && !(b->included = pym_ptrmap_new())) {
        PyErr_NoMemory();
        goto done;
    }
    if (!(rr = pym_referrers_new()) || pym_referrers_collect(rr, root, maxdepth, node_type) < 0)
        goto done;
    if (!(top = node_new(node_type, root, str_func)) || pym_ptrmap_setdefault(b->included, (uintptr_t)root, 0) < 0)
        goto nomem_or_error;
    if (maxdepth > 0) {
        PyObject *const *refs = NULL;
        Py_ssize_t n = pym_referrers_of(rr, root, &refs);
        if (!(stack = malloc(64 * sizeof(*stack))))
            goto nomem_or_error;
        cap = 64;
        stack[depth++] = (build_frame){(Node *)Py_NewRef(top), refs, n < 0 ? 0 : n, 0, maxdepth};
    }
    while (depth) {
        build_frame *f = &stack[depth - 1];
        if (f->i >= f->n) {
            Py_DECREF(f->node);
            depth--;
            continue;
        }
        PyObject *o = f->refs[f->i++];
        int64_t seen;
        if (!repeat && pym_ptrmap_get(b->included, (uintptr_t)o, &seen)) {
            Node *parent = f->node; /* f may move if str_func re-enters */
            PyObject *leaf = already_included_leaf(str_func, o);
            if (!leaf || node_add(parent, leaf) < 0) {
                Py_XDECREF(leaf);
                goto done;
            }
            Py_DECREF(leaf);
            continue;
        }
        if (PyObject_TypeCheck(o, node_type))
            continue;
        Node *child = node_new(node_type, o, str_func);
        if (!child || node_add(f->node, (PyObject *)child) < 0) {
            Py_XDECREF(child);
            goto done;
        }
        if (pym_ptrmap_setdefault(b->included, (uintptr_t)o, 0) < 0) {
            Py_DECREF(child);
            goto nomem_or_error;
        }
        if (f->remaining > 1) {
            PyObject *const *refs = NULL;
            Py_ssize_t n = pym_referrers_of(rr, o, &refs);
            Py_ssize_t remaining = f->remaining - 1;
            if (depth == cap) {
                build_frame *grown = realloc(stack, 2 * cap * sizeof(*grown));
                if (!grown) {
                    Py_DECREF(child);
                    goto nomem_or_error;
                }
                stack = grown;
                cap *= 2;
            }
            stack[depth++] = (build_frame){child, refs, n < 0 ? 0 : n, 0, remaining};
        } else {
            Py_DECREF(child);
        }
    }
    result = Py_NewRef((PyObject *)top);
    goto done;
nomem_or_error:
    if (!PyErr_Occurred())
        PyErr_NoMemory();
done:
    while (depth)
        Py_DECREF(stack[--depth].node);
    free(stack);
    Py_XDECREF(top);
    pym_referrers_free(&rr);
    Py_DECREF(str_func);
    return result;
}

static PyObject *Browser_get_tree(Browser *b, PyObject *Py_UNUSED(ignored))
{
    return build_tree(b, b->root, b->maxdepth);
}

/* _get_tree(root, maxdepth).  Vectorcall, so that no argument tuple (a
 * tracked object referring to root) exists while the heap is scanned. */
static PyObject *Browser__get_tree(Browser *b, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *vals[2] = {NULL, NULL};
    const char *names[2] = {"root", "maxdepth"};
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0, depth;
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError, "_get_tree() takes 2 arguments (%zd given)", nargs + nkw);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        vals[i] = args[i];
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int slot = -1;
        for (int i = 0; i < 2; i++)
            if (PyUnicode_CompareWithASCIIString(key, names[i]) == 0)
                slot = i;
        if (slot < 0 || vals[slot]) {
            PyErr_Format(PyExc_TypeError, "_get_tree() got %s keyword argument '%U'",
                         slot < 0 ? "an unexpected" : "a duplicate", key);
            return NULL;
        }
        vals[slot] = args[nargs + k];
    }
    if (!vals[0] || !vals[1]) {
        PyErr_Format(PyExc_TypeError, "_get_tree() missing required argument '%s'", names[vals[0] ? 1 : 0]);
        return NULL;
    }
    if (parse_maxdepth(vals[1], &depth) < 0)
        return NULL;
    return build_tree(b, vals[0], depth);
}

/* ---- attributes ---- */

static PyObject *Browser_get_maxdepth(Browser *b, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t(b->maxdepth);
}

static int Browser_set_maxdepth(Browser *b, PyObject *v, void *closure)
{
    (void)closure;
    if (!v) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete maxdepth");
        return -1;
    }
    return parse_maxdepth(v, &b->maxdepth);
}

static PyObject *Browser_get_str_func(Browser *b, void *closure)
{
    (void)closure;
    return browser_str_func(b);
}

static int Browser_set_str_func(Browser *b, PyObject *v, void *closure)
{
    (void)closure;
    if (v && check_str_func(v) < 0)
        return -1;
    Py_XSETREF(b->str_func, Py_XNewRef(v)); /* del: back to the default */
    return 0;
}

/* 1, 0, or -1 with an exception. */
static int is_console(Browser *b)
{
    refbrowser_state *st = pym_type_state(Py_TYPE(b), &module_def);
    return st ? PyObject_TypeCheck(b, st->consolebrowser_type) : -1;
}

/* The output stream: new reference; None when there is none. */
static PyObject *browser_stream(Browser *b)
{
    PyObject *s = b->stream ? b->stream : Py_None;
    int console = is_console(b);
    if (console < 0)
        return NULL;
    if (console) {
        int truth = PyObject_IsTrue(s);
        if (truth < 0)
            return NULL;
        if (!truth) {
            PyObject *out = PySys_GetObject("stdout"); /* borrowed */
            if (!out) {
                PyErr_SetString(PyExc_RuntimeError, "ConsoleBrowser: lost sys.stdout");
                return NULL;
            }
            return Py_NewRef(out);
        }
    }
    return Py_NewRef(s);
}

static PyObject *Browser_get_stream(Browser *b, void *closure)
{
    (void)closure;
    return browser_stream(b);
}

static int Browser_set_stream(Browser *b, PyObject *v, void *closure)
{
    (void)closure;
    Py_XSETREF(b->stream, Py_XNewRef(v));
    return 0;
}

static PyMemberDef Browser_members[] = {
    {"root", T_OBJECT, offsetof(Browser, root), 0, "the root object"},
    {"repeat", T_OBJECT, offsetof(Browser, repeat), 0, "repeat objects in the tree (else 'already included' leaves)"},
    {"__dictoffset__", T_PYSSIZET, offsetof(Browser, dict), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef Browser_getset[] = {
    {"maxdepth", (getter)Browser_get_maxdepth, (setter)Browser_set_maxdepth, "maximum depth of the tree", NULL},
    {"str_func", (getter)Browser_get_str_func, (setter)Browser_set_str_func,
     "function giving a node's text (default: pympler.summary._repr, looked up when used)", NULL},
    {"stream", (getter)Browser_get_stream, (setter)Browser_set_stream, "output stream of print_tree()", NULL},
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef Browser_methods[] = {
    {"get_tree", (PyCFunction)Browser_get_tree, METH_NOARGS, "get_tree() -> _Node: the tree of referrers of the root."},
    {"_get_tree", (PyCFunction)(void (*)(void))Browser__get_tree, METH_FASTCALL | METH_KEYWORDS,
     "_get_tree(root, maxdepth) -> _Node: the tree of referrers of root, maxdepth levels deep."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot RefBrowser_slots[] = {
    {Py_tp_doc, "RefBrowser(rootobject, maxdepth=3, str_func=summary._repr, repeat=True, stream=None)\n\n"
                "Base class of the referrer browsers: get_tree() returns a tree of _Node objects,\n"
                "the root object and its referrers to maxdepth levels.  With repeat=False an\n"
                "object met before becomes the leaf '<str_func(o)> (already included, id <id>)'."},
    {Py_tp_traverse, Browser_traverse},
    {Py_tp_clear, Browser_clear},
    {Py_tp_dealloc, Browser_dealloc},
    {Py_tp_new, Browser_new},
    {Py_tp_init, Browser_init},
    {Py_tp_members, Browser_members},
    {Py_tp_getset, Browser_getset},
    {Py_tp_methods, Browser_methods},
    {0, NULL},
};

static PyType_Spec RefBrowser_spec = {
    .name = "pympler.refbrowser.RefBrowser",
    .basicsize = sizeof(Browser),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = RefBrowser_slots,
};

/* ======================================================================
 * Tree text (API.md B.6), without recursion
 * ====================================================================== */

/* A growable array of code points. */
typedef struct {
    Py_UCS4 *d;
    size_t len, cap;
} ubuf;

static int ubuf_reserve(ubuf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra)
        cap *= 2;
    Py_UCS4 *d = realloc(b->d, cap * sizeof(*d));
    if (!d) {
        PyErr_NoMemory();
        return -1;
    }
    b->d = d;
    b->cap = cap;
    return 0;
}

static int ubuf_append(ubuf *b, const Py_UCS4 *s, size_t n)
{
    if (ubuf_reserve(b, n) < 0)
        return -1;
    if (n)
        memmove(b->d + b->len, s, n * sizeof(*s));
    b->len += n;
    return 0;
}

/* str.count(pattern) of a growing string, fed one code point at a time:
 * Knuth-Morris-Pratt restarted after each match (= non-overlapping,
 * leftmost-first, as str.count counts).  The empty pattern counts len + 1. */
typedef struct {
    ubuf pat;
    size_t *fail;
    size_t state, count;
} counter;

static int counter_init(counter *c)
{
    size_t m = c->pat.len;
    if (!(c->fail = calloc(m ? m : 1, sizeof(*c->fail)))) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 1, k = 0; i < m; i++) {
        while (k && c->pat.d[i] != c->pat.d[k])
            k = c->fail[k - 1];
        if (c->pat.d[i] == c->pat.d[k])
            k++;
        c->fail[i] = k;
    }
    return 0;
}

static void counter_reset(counter *c)
{
    c->state = 0;
    c->count = c->pat.len ? 0 : 1;
}

static void counter_feed(counter *c, const Py_UCS4 *s, size_t n)
{
    size_t m = c->pat.len;
    if (!m) {
        c->count += n;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        while (c->state && c->pat.d[c->state] != s[i])
            c->state = c->fail[c->state - 1];
        if (c->pat.d[c->state] == s[i] && ++c->state == m) {
            c->count++;
            c->state = 0;
        }
    }
}

/* One node being printed: the state of one Pympler _print() call after its
 * first child was entered. */
typedef struct {
    PyObject *tree;     /* owned */
    Py_ssize_t n;       /* len(tree.children) on entry */
    Py_ssize_t b;       /* next child */
    size_t base;        /* carryon length of the caller */
    size_t car_len;     /* this call's carryon length */
    int last_entered;   /* the last child has been entered */
    size_t saved_at;    /* carryon[:-2] cut into the caller's carryon: */
    int nsaved;         /* its overwritten code points, restored on return */
    Py_UCS4 saved[2];
} pframe;

typedef struct {
    ubuf pre, car;           /* prefix and carryon */
    ubuf hline, vline, cross, space;
    counter ccross, cvline;  /* prefix.count(cross), prefix.count(vline) */
    PyTypeObject *node_type; /* the browser's module's _Node */
    PyObject *write;         /* stream.write */
    PyObject *self_print;    /* an overriding self._print, called for each child; or NULL */
    Py_ssize_t maxdepth;
    pframe *stack;
    size_t depth, cap;
} printer;

static int ubuf_set_str(ubuf *b, PyObject *s, const char *what)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", what, Py_TYPE(s)->tp_name);
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    b->len = 0;
    if (ubuf_reserve(b, (size_t)n + 1) < 0 || !PyUnicode_AsUCS4(s, b->d, n + 1, 1))
        return -1;
    b->len = (size_t)n;
    return 0;
}

static int ubuf_append_str(ubuf *b, PyObject *s)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (ubuf_reserve(b, (size_t)n + 1) < 0 || !PyUnicode_AsUCS4(s, b->d + b->len, n + 1, 1))
        return -1;
    b->len += (size_t)n;
    return 0;
}

/* prefix += s, keeping the counts. */
static int pre_add(printer *p, const Py_UCS4 *s, size_t n)
{
    if (ubuf_append(&p->pre, s, n) < 0)
        return -1;
    counter_feed(&p->ccross, s, n);
    counter_feed(&p->cvline, s, n);
    return 0;
}

/* prefix += s (a str), keeping the counts. */
static int pre_add_str(printer *p, PyObject *s)
{
    size_t at = p->pre.len;
    if (ubuf_append_str(&p->pre, s) < 0)
        return -1;
    counter_feed(&p->ccross, p->pre.d + at, p->pre.len - at);
    counter_feed(&p->cvline, p->pre.d + at, p->pre.len - at);
    return 0;
}

static int emit(printer *p, const Py_UCS4 *s, size_t n)
{
    static const Py_UCS4 nl = '\n';
    ubuf line = {0};
    if (ubuf_append(&line, s, n) < 0 || ubuf_append(&line, &nl, 1) < 0) {
        free(line.d);
        return -1;
    }
    PyObject *text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, line.d, (Py_ssize_t)line.len);
    free(line.d);
    PyObject *r = text ? PyObject_CallOneArg(p->write, text) : NULL;
    Py_XDECREF(text);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* tree.children[index], as Pympler reads it each time.  New reference. */
static PyObject *child_at(PyObject *tree, Py_ssize_t index)
{
    PyObject *children = PyObject_GetAttr(tree, S_children);
    PyObject *c = children ? PySequence_GetItem(children, index) : NULL;
    Py_XDECREF(children);
    return c;
}

static Py_ssize_t children_len(PyObject *tree)
{
    PyObject *children = PyObject_GetAttr(tree, S_children);
    Py_ssize_t n = children ? PyObject_Size(children) : -1;
    Py_XDECREF(children);
    return n;
}

/* The start of Pympler's _print(tree, prefix, carryon), with prefix and
 * carryon in p->pre / p->car.  A leaf line is written at once; otherwise a
 * frame is pushed and *next is set to the first child (new reference), to be
 * entered by the caller's loop (no recursion).  Returns 0, or -1 on error;
 * the tree reference is consumed either way. */
static int print_enter(printer *p, PyObject *tree, size_t base, PyObject **next)
{
    *next = NULL;
    size_t level = p->ccross.count + p->cvline.count;
    int is_node = PyObject_TypeCheck(tree, p->node_type);
    Py_ssize_t n = 0;
    PyObject *s = NULL;
    if (is_node && (n = children_len(tree)) < 0)
        goto error;
    /* prefix += str(tree); carryon += space * len(str(tree)): two calls */
    if (!(s = PyObject_Str(tree)) || pre_add_str(p, s) < 0)
        goto error;
    Py_SETREF(s, PyObject_Str(tree));
    if (!s)
        goto error;
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(s); i++)
        if (ubuf_append(&p->car, p->space.d, p->space.len) < 0)
            goto error;
    Py_CLEAR(s);
    if ((Py_ssize_t)level == p->maxdepth || !is_node || n == 0) {
        Py_DECREF(tree);
        return emit(p, p->pre.d, p->pre.len);
    }
    if (pre_add(p, p->hline.d, p->hline.len) < 0 || ubuf_append(&p->car, p->space.d, p->space.len) < 0)
        goto error;
    Py_ssize_t now = children_len(tree);
    if (now < 0)
        goto error;
    if (now > 1 && (pre_add(p, p->cross.d, p->cross.len) < 0 || ubuf_append(&p->car, p->vline.d, p->vline.len) < 0))
        goto error;
    if (pre_add(p, p->hline.d, p->hline.len) < 0 || ubuf_append(&p->car, p->space.d, p->space.len) < 0)
        goto error;
    if (p->depth == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        pframe *grown = realloc(p->stack, cap * sizeof(*grown));
        if (!grown) {
            PyErr_NoMemory();
            goto error;
        }
        p->stack = grown;
        p->cap = cap;
    }
    p->stack[p->depth++] = (pframe){.tree = tree, .n = n, .b = 1, .base = base, .car_len = p->car.len};
    return (*next = child_at(tree, 0)) ? 0 : -1;
error:
    Py_XDECREF(s);
    Py_DECREF(tree);
    return -1;
}

static void print_pop(printer *p)
{
    pframe *f = &p->stack[--p->depth];
    p->car.len = f->base;
    if (f->nsaved)
        memcpy(p->car.d + f->saved_at, f->saved, (size_t)f->nsaved * sizeof(Py_UCS4));
    Py_DECREF(f->tree);
}

/* The rest of _print: the next later child of the frame on top (set in
 * *next, a new reference), or its spacer line and the return to its caller
 * (*next NULL).  0, or -1 on error. */
static int print_resume(printer *p, PyObject **next)
{
    *next = NULL;
    pframe *f = &p->stack[p->depth - 1];
    p->car.len = f->car_len; /* what the child appended is gone */
    if (f->last_entered) {
        size_t i = 0;
        while (i < f->car_len && p->car.d[i] == ' ')
            i++;
        if (i < f->car_len) { /* carryon.strip(' ') is not empty */
            size_t end = f->car_len >= 2 ? f->car_len - 2 : 0;
            while (end && Py_UNICODE_ISSPACE(p->car.d[end - 1]))
                end--;
            if (emit(p, p->car.d, end) < 0)
                return -1;
        }
        print_pop(p);
        return 0;
    }
    if (f->b >= f->n) {
        print_pop(p);
        return 0;
    }
    Py_ssize_t b = f->b++;
    size_t cut = f->car_len >= 2 ? f->car_len - 2 : 0;
    /* prefix = carryon[:-2] + cross + hline */
    p->pre.len = 0;
    counter_reset(&p->ccross);
    counter_reset(&p->cvline);
    if (pre_add(p, p->car.d, cut) < 0 || pre_add(p, p->cross.d, p->cross.len) < 0 ||
        pre_add(p, p->hline.d, p->hline.len) < 0)
        return -1;
    if (b == f->n - 1) {
        /* carryon = carryon[:-2] + 2 * space */
        if (cut < f->base) {
            f->saved_at = cut;
            f->nsaved = (int)(f->base - cut);
            memcpy(f->saved, p->car.d + cut, (size_t)f->nsaved * sizeof(Py_UCS4));
        }
        p->car.len = cut;
        if (ubuf_append(&p->car, p->space.d, p->space.len) < 0 || ubuf_append(&p->car, p->space.d, p->space.len) < 0)
            return -1;
        f = &p->stack[p->depth - 1];
        f->car_len = p->car.len;
        f->last_entered = 1;
    }
    return (*next = child_at(f->tree, b)) ? 0 : -1;
}

/* Print tree with Pympler's StreamBrowser._print(tree, prefix, carryon) (NULL:
 * ''), calling write(line) once per line.  glyphs: hline, vline, cross,
 * space (str).  0, or -1 with an exception (what str_func or write raised...). */
static int print_tree_text(PyTypeObject *node_type, PyObject *tree, PyObject *write, Py_ssize_t maxdepth,
                           PyObject *const glyphs[4], PyObject *prefix, PyObject *carryon, PyObject *self_print)
{
    printer p = {.node_type = node_type, .write = write, .maxdepth = maxdepth, .self_print = self_print};
    int rc = -1;
    if (ubuf_set_str(&p.hline, glyphs[0], "hline") < 0 || ubuf_set_str(&p.vline, glyphs[1], "vline") < 0 ||
        ubuf_set_str(&p.cross, glyphs[2], "cross") < 0 || ubuf_set_str(&p.space, glyphs[3], "space") < 0 ||
        ubuf_append(&p.ccross.pat, p.cross.d, p.cross.len) < 0 || ubuf_append(&p.cvline.pat, p.vline.d, p.vline.len) < 0 ||
        counter_init(&p.ccross) < 0 || counter_init(&p.cvline) < 0)
        goto done;
    counter_reset(&p.ccross);
    counter_reset(&p.cvline);
    /* _print(tree, prefix, carryon) starts from what its caller built. */
    if ((prefix && pre_add_str(&p, prefix) < 0) || (carryon && ubuf_append_str(&p.car, carryon) < 0))
        goto done;
    PyObject *next = Py_NewRef(tree);
    for (;;) {
        while (next) {
            if (p.self_print && p.depth) {
                /* Pympler's recursion: self._print(child, prefix, carryon) */
                PyObject *pre = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, p.pre.d, (Py_ssize_t)p.pre.len);
                PyObject *car = pre ? PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, p.car.d, (Py_ssize_t)p.car.len)
                                    : NULL;
                PyObject *r = car ? PyObject_CallFunctionObjArgs(p.self_print, next, pre, car, NULL) : NULL;
                Py_XDECREF(car);
                Py_XDECREF(pre);
                Py_CLEAR(next);
                if (!r)
                    goto done;
                Py_DECREF(r);
                break;
            }
            size_t base = p.depth ? p.stack[p.depth - 1].car_len : 0;
            if (print_enter(&p, next, base, &next) < 0)
                goto done;
        }
        if (!p.depth)
            break;
        if (print_resume(&p, &next) < 0)
            goto done;
    }
    rc = 0;
done:
    while (p.depth)
        print_pop(&p);
    free(p.stack);
    free(p.pre.d);
    free(p.car.d);
    free(p.hline.d);
    free(p.vline.d);
    free(p.cross.d);
    free(p.space.d);
    free(p.ccross.pat.d);
    free(p.cvline.pat.d);
    free(p.ccross.fail);
    free(p.cvline.fail);
    return rc;
}

/* 1 when type(b) overrides StreamBrowser._print, 0 when not, -1 on error. */
static int print_overridden(Browser *b)
{
    refbrowser_state *st = pym_type_state(Py_TYPE(b), &module_def);
    PyObject *mine = st ? PyObject_GetAttrString((PyObject *)Py_TYPE(b), "_print") : NULL;
    PyObject *base = mine ? PyObject_GetAttrString((PyObject *)st->streambrowser_type, "_print") : NULL;
    int r = base ? mine != base : -1;
    Py_XDECREF(base);
    Py_XDECREF(mine);
    return r;
}

/* Print tree (or, when it is NULL, b.get_tree()) to write() with the
 * glyphs of b's class, after prefix and carryon (NULL: ''). */
static int browser_print(Browser *b, PyObject *tree, PyObject *write, PyObject *prefix, PyObject *carryon)
{
    PyObject *glyphs[4] = {NULL, NULL, NULL, NULL};
    PyObject *names[4] = {S_hline, S_vline, S_cross, S_space};
    int rc = -1;
    for (int i = 0; i < 4; i++)
        if (!(glyphs[i] = PyObject_GetAttr((PyObject *)b, names[i])))
            goto done;
    PyObject *t = tree ? Py_NewRef(tree) : build_tree(b, b->root, b->maxdepth);
    if (!t)
        goto done;
    int over = print_overridden(b);
    PyObject *self_print = over > 0 ? PyObject_GetAttrString((PyObject *)b, "_print") : NULL;
    refbrowser_state *st = pym_type_state(Py_TYPE(b), &module_def);
    if (st && (over == 0 || self_print))
        rc = print_tree_text(st->node_type, t, write, b->maxdepth, glyphs, prefix, carryon, self_print);
    Py_XDECREF(self_print);
    Py_DECREF(t);
done:
    for (int i = 0; i < 4; i++)
        Py_XDECREF(glyphs[i]);
    return rc;
}

/* The stream's write method; NULL with TypeError when there is no stream. */
static PyObject *stream_write(Browser *b, const char *caller)
{
    PyObject *stream = browser_stream(b);
    if (!stream)
        return NULL;
    if (stream == Py_None) {
        Py_DECREF(stream);
        PyErr_Format(PyExc_TypeError, "%s: this browser has no stream (pass stream=...)", caller);
        return NULL;
    }
    PyObject *write = PyObject_GetAttr(stream, S_write);
    Py_DECREF(stream);
    return write;
}

/* print_tree(tree=None): as Pympler, self._print(tree, '', '') -- called as
 * a method only when a subclass overrides _print. */
static PyObject *Stream_print_tree(Browser *b, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"tree", NULL};
    PyObject *tree = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:print_tree", kwlist, &tree))
        return NULL;
    int over = print_overridden(b);
    if (over < 0)
        return NULL;
    if (over) {
        PyObject *t = tree != Py_None ? Py_NewRef(tree) : build_tree(b, b->root, b->maxdepth);
        PyObject *empty = t ? PyUnicode_New(0, 0) : NULL;
        PyObject *r = empty ? PyObject_CallMethod((PyObject *)b, "_print", "OOO", t, empty, empty) : NULL;
        Py_XDECREF(empty);
        Py_XDECREF(t);
        if (!r)
            return NULL;
        Py_DECREF(r);
        Py_RETURN_NONE;
    }
    PyObject *write = stream_write(b, "print_tree");
    if (!write)
        return NULL;
    int rc = browser_print(b, tree == Py_None ? NULL : tree, write, NULL, NULL);
    Py_DECREF(write);
    return rc < 0 ? NULL : Py_NewRef(Py_None);
}

/* _print(tree, prefix, carryon): Pympler's StreamBrowser._print, the lines of
 * tree after prefix, with carryon's vertical lines below, to the stream.  It
 * prints the whole subtree itself, without calling an overriding _print for
 * each child as Pympler's recursion does. */
static PyObject *Stream__print(Browser *b, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"tree", "prefix", "carryon", NULL};
    PyObject *tree, *prefix, *carryon;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OUU:_print", kwlist, &tree, &prefix, &carryon))
        return NULL;
    PyObject *write = stream_write(b, "_print");
    if (!write)
        return NULL;
    int rc = browser_print(b, tree, write, prefix, carryon);
    Py_DECREF(write);
    return rc < 0 ? NULL : Py_NewRef(Py_None);
}

/* self._print(tree or get_tree(), '', '') of an overriding subclass, with
 * self.stream an io.StringIO meanwhile: what it wrote, or NULL. */
static PyObject *print_through_override(Browser *b, PyObject *tree)
{
    PyObject *t = tree != Py_None ? Py_NewRef(tree) : build_tree(b, b->root, b->maxdepth);
    PyObject *buf = t ? pym_module_attr("io", "StringIO") : NULL, *text = NULL;
    Py_XSETREF(buf, buf ? PyObject_CallNoArgs(buf) : NULL);
    if (buf) {
        PyObject *old = b->stream; /* the reference moves to `old` */
        b->stream = Py_NewRef(buf);
        PyObject *empty = PyUnicode_New(0, 0);
        PyObject *r = empty ? PyObject_CallMethod((PyObject *)b, "_print", "OOO", t, empty, empty) : NULL;
        Py_XDECREF(empty);
        Py_XSETREF(b->stream, old);
        text = r ? PyObject_CallMethod(buf, "getvalue", NULL) : NULL;
        Py_XDECREF(r);
    }
    Py_XDECREF(buf);
    Py_XDECREF(t);
    return text;
}

/* FileBrowser: the whole text is made first, so a failing str_func leaves
 * the file untouched; then it is written with open(filename, 'w'). */
static PyObject *File_print_tree(Browser *b, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"filename", "tree", NULL};
    PyObject *filename, *tree = Py_None, *lines = NULL, *append = NULL, *text = NULL, *empty = NULL, *f = NULL,
                        *res = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O:print_tree", kwlist, &filename, &tree))
        return NULL;
    if (!PyUnicode_Check(filename) && !PyBytes_Check(filename) && !PyIndex_Check(filename) &&
        !PyObject_HasAttrString(filename, "__fspath__")) {
        PyErr_Format(PyExc_TypeError, "filename must be a path, not %.100s", Py_TYPE(filename)->tp_name);
        return NULL;
    }
    int over = print_overridden(b);
    if (over < 0)
        goto done;
    if (over) {
        /* As Pympler: self._print(tree, '', '') with self.stream a buffer
         * for the while (the file is written only if it succeeds). */
        if (!(text = print_through_override(b, tree)))
            goto done;
    }
    else if (!(lines = PyList_New(0)) || !(append = PyObject_GetAttrString(lines, "append")) ||
             browser_print(b, tree == Py_None ? NULL : tree, append, NULL, NULL) < 0 ||
             !(empty = PyUnicode_New(0, 0)) || !(text = PyUnicode_Join(empty, lines)))
        goto done;
    PyObject *builtins = PyEval_GetBuiltins(); /* borrowed */
    PyObject *open = builtins ? PyDict_GetItemString(builtins, "open") : NULL;
    if (!open) {
        PyErr_SetString(PyExc_RuntimeError, "FileBrowser: builtins.open is missing");
        goto done;
    }
    if (!(f = PyObject_CallFunction(open, "Os", filename, "w")))
        goto done;
    PyObject *w = PyObject_CallMethod(f, "write", "O", text);
    if (!w)
        goto done; /* closed below, the write's error kept */
    Py_DECREF(w);
    PyObject *c = PyObject_CallMethod(f, "close", NULL);
    if (!c)
        goto done;
    Py_DECREF(c);
    res = Py_NewRef(Py_None);
done:
    if (!res && f) { /* close on error, keeping the first exception */
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        PyObject *closed = PyObject_CallMethod(f, "close", NULL);
        Py_XDECREF(closed);
        PyErr_Clear();
        PyErr_Restore(et, ev, tb);
    }
    Py_XDECREF(f);
    Py_XDECREF(text);
    Py_XDECREF(empty);
    Py_XDECREF(append);
    Py_XDECREF(lines);
    return res;
}

static PyMethodDef Stream_methods[] = {
    {"print_tree", (PyCFunction)(void (*)(void))Stream_print_tree, METH_VARARGS | METH_KEYWORDS,
     "print_tree(tree=None): write the tree (default: get_tree()) to the stream."},
    {"_print", (PyCFunction)(void (*)(void))Stream__print, METH_VARARGS | METH_KEYWORDS,
     "_print(tree, prefix, carryon): write the lines of tree after prefix, carrying carryon."},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef File_methods[] = {
    {"print_tree", (PyCFunction)(void (*)(void))File_print_tree, METH_VARARGS | METH_KEYWORDS,
     "print_tree(filename, tree=None): write the tree (default: get_tree()) to the file."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot StreamBrowser_slots[] = {
    {Py_tp_doc, "StreamBrowser(rootobject, maxdepth=3, str_func=summary._repr, repeat=True, stream=None)\n\n"
                "A RefBrowser that prints the tree to stream; the class attributes hline, vline,\n"
                "cross and space give its look."},
    {Py_tp_methods, Stream_methods},
    {0, NULL},
};
static PyType_Slot ConsoleBrowser_slots[] = {
    {Py_tp_doc, "ConsoleBrowser(rootobject, maxdepth=3, str_func=summary._repr, repeat=True, stream=None)\n\n"
                "A StreamBrowser printing to sys.stdout (the one current at print time) when no\n"
                "stream is given."},
    {0, NULL},
};
static PyType_Slot FileBrowser_slots[] = {
    {Py_tp_doc, "FileBrowser(rootobject, maxdepth=3, str_func=summary._repr, repeat=True, stream=None)\n\n"
                "A StreamBrowser whose print_tree(filename, tree=None) writes the tree to a file."},
    {Py_tp_methods, File_methods},
    {0, NULL},
};

static PyType_Spec StreamBrowser_spec = {.name = "pympler.refbrowser.StreamBrowser",
                                         .basicsize = sizeof(Browser),
                                         .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE /* GC: inherited */,
                                         .slots = StreamBrowser_slots};
static PyType_Spec ConsoleBrowser_spec = {.name = "pympler.refbrowser.ConsoleBrowser",
                                          .basicsize = sizeof(Browser),
                                          .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE /* GC: inherited */,
                                          .slots = ConsoleBrowser_slots};
static PyType_Spec FileBrowser_spec = {.name = "pympler.refbrowser.FileBrowser",
                                       .basicsize = sizeof(Browser),
                                       .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE /* GC: inherited */,
                                       .slots = FileBrowser_slots};

/* ======================================================================
 * InteractiveBrowser and gui_default_str_function
 * ====================================================================== */

/* What Pympler's module imports and so shows (lib/py/pyrt.h). */
static const pym_reexport reexports[] = {
    {"gc", "gc", NULL},
    {"inspect", "inspect", NULL},
    {"muppy", "pympler.muppy", NULL},
    {"summary", "pympler.summary", NULL},
    {"sys", "sys", NULL},
    {NULL, NULL, NULL}};

#include "refbrowser_tk.inc"

static PyMethodDef Interactive_methods[] = {
    {"main", (PyCFunction)(void (*)(void))Interactive_main, METH_VARARGS | METH_KEYWORDS,
     "main(standalone=False): show the tree in a Tk window (mainloop when standalone)."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot InteractiveBrowser_slots[] = {
    {Py_tp_doc, "InteractiveBrowser(rootobject, maxdepth=3, str_func=gui_default_str_function, repeat=True)\n\n"
                "main() shows the tree in IDLE's expandable tree widget; it needs tkinter and idlelib\n"
                "(ImportError otherwise)."},
    {Py_tp_init, Interactive_init},
    {Py_tp_methods, Interactive_methods},
    {0, NULL},
};

static PyType_Spec InteractiveBrowser_spec = {.name = "pympler.refbrowser.InteractiveBrowser",
                                              .basicsize = sizeof(Browser),
                                              .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE /* GC: inherited */,
                                              .slots = InteractiveBrowser_slots};

/* summary._repr(o) + '(id=%s)' % id(o) */
static PyObject *gui_default_str_function(PyObject *module, PyObject *o)
{
    (void)module;
    PyObject *f = default_str_func();
    PyObject *s = f ? PyObject_CallOneArg(f, o) : NULL;
    PyObject *id = s ? PyLong_FromVoidPtr(o) : NULL;
    PyObject *suffix = id ? PyUnicode_FromFormat("(id=%S)", id) : NULL;
    PyObject *res = suffix ? PyNumber_Add(s, suffix) : NULL;
    Py_XDECREF(suffix);
    Py_XDECREF(id);
    Py_XDECREF(s);
    Py_XDECREF(f);
    return res;
}

/* ======================================================================
 * Module
 * ====================================================================== */

static PyMethodDef module_methods[] = {
    {"__dir__", module_dir, METH_NOARGS, "__dir__(): the module's names, with the Tk ones."},
    {"__getattr__", module_getattr, METH_O,
     "__getattr__(name): tkinter, _TreeWidget, _TreeNode and _ReferrerTreeItem, made on first access."},
    {"gui_default_str_function", gui_default_str_function, METH_O,
     "gui_default_str_function(o): summary._repr(o) + '(id=%s)' % id(o)."},
    {NULL, NULL, 0, NULL},
};


static int module_exec(PyObject *m)
{
    if (pym_module_attach(m) < 0)
        return -1;
    if (!S_children &&
        (!(S_children = PyUnicode_InternFromString("children")) || !(S_write = PyUnicode_InternFromString("write")) ||
         !(S_hline = PyUnicode_InternFromString("hline")) || !(S_vline = PyUnicode_InternFromString("vline")) ||
         !(S_cross = PyUnicode_InternFromString("cross")) || !(S_space = PyUnicode_InternFromString("space"))))
        return -1;
    refbrowser_state *st = state_of(m);
    st->gui_default_func = PyObject_GetAttrString(m, "gui_default_str_function");
    if (!st->gui_default_func || !(st->node_type = pym_module_add_type(m, &Node_spec, NULL)) ||
        !(st->refbrowser_type = pym_module_add_type(m, &RefBrowser_spec, NULL)) ||
        !(st->streambrowser_type = pym_module_add_type(m, &StreamBrowser_spec, st->refbrowser_type)) ||
        !(st->consolebrowser_type = pym_module_add_type(m, &ConsoleBrowser_spec, st->streambrowser_type)) ||
        !(st->filebrowser_type = pym_module_add_type(m, &FileBrowser_spec, st->streambrowser_type)) ||
        !(st->interactivebrowser_type = pym_module_add_type(m, &InteractiveBrowser_spec, st->refbrowser_type)))
        goto error;
    const char *glyph_names[4] = {"hline", "vline", "cross", "space"};
    const char *glyphs[4] = {"-", "|", "+", " "};
    for (int i = 0; i < 4; i++) {
        PyObject *g = PyUnicode_FromString(glyphs[i]);
        int rc = g ? PyObject_SetAttrString((PyObject *)st->streambrowser_type, glyph_names[i], g) : -1;
        Py_XDECREF(g);
        if (rc < 0)
            goto error;
    }
    return 0;
error:
    return -1;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    refbrowser_state *st = state_of(m);
    Py_VISIT(st->node_type);
    Py_VISIT(st->refbrowser_type);
    Py_VISIT(st->streambrowser_type);
    Py_VISIT(st->consolebrowser_type);
    Py_VISIT(st->filebrowser_type);
    Py_VISIT(st->interactivebrowser_type);
    Py_VISIT(st->gui_default_func);
    return 0;
}

static int module_clear(PyObject *m)
{
    refbrowser_state *st = state_of(m);
    Py_CLEAR(st->node_type);
    Py_CLEAR(st->refbrowser_type);
    Py_CLEAR(st->streambrowser_type);
    Py_CLEAR(st->consolebrowser_type);
    Py_CLEAR(st->filebrowser_type);
    Py_CLEAR(st->interactivebrowser_type);
    Py_CLEAR(st->gui_default_func);
    return 0;
}

static void module_free(void *m)
{
    module_clear((PyObject *)m);
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.refbrowser",
    .m_doc = "Tree-like exploration of object referrers, as Pympler's refbrowser module, in C.\n\n"
             "RefBrowser, StreamBrowser, ConsoleBrowser, FileBrowser, InteractiveBrowser.\n"
             "See docs/refbrowser.md.",
    .m_size = sizeof(refbrowser_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit_refbrowser(void)
{
    return PyModuleDef_Init(&module_def);
}
