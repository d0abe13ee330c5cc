/* pympler.web: Pympler 1.1's web frontend, served in C by libmicrohttpd.
 *
 * Pympler runs a bottle application on wsgiref's one-threaded server.  Here
 * the server is libmicrohttpd with its own pool of threads (HTTP/1.1,
 * keep-alive); a request takes the GIL (PyGILState_Ensure) only while its
 * page reads Python objects, and static files are served without it.  The
 * pages (web_pages.inc) are HTML5 written in C, every name and repr escaped.
 * Routes, safety rules and the differences from Pympler: docs/web.md.
 *
 * Lifetime.  start_profiler() starts a daemon (a web_server) and waits, the
 * GIL released in short slices, until KeyboardInterrupt (in the main thread)
 * or ProfilerThread.stop() asks it to return; then it stops the daemon.  At
 * interpreter exit an atexit callback (registered from C at import) stops
 * every daemon still running before the interpreter finalises: a request
 * that arrives meanwhile, or once Py_IsFinalizing(), is answered 503 without
 * taking the GIL.
 *
 * Object ids.  /traceback and /objects pages link objects by get_ref(obj),
 * which records the object in the module's ServerState (id2ref: weak values;
 * id2obj: strong, for objects that cannot be weakly referenced, capped at
 * WEB_MAX_STRONG_REFS).  A request's id is only ever looked up there: an
 * address from a request is never dereferenced.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "module.h"
#include "pyrt.h"
#include "refgraph.h"  /* pym_safe_repr */
#include "render.h"    /* pym_xml_escape */
#include "strbuf.h"
#include "summarize.h" /* pym_pp_size, pym_pp_timestamp */

PyMODINIT_FUNC PyInit_web(void);

/* ======================================================================
 * limits
 * ====================================================================== */

/* Threads of libmicrohttpd's pool: pages hold the GIL, so more threads than
 * this only wait for it; static files are served without it. */
#define WEB_THREADS 4
/* Connections at once, and seconds an idle keep-alive connection stays. */
#define WEB_MAX_CONNECTIONS 256
#define WEB_CONNECTION_TIMEOUT 30
/* How long start_profiler's wait sleeps between looks at signals and stop
 * requests (milliseconds). */
#define WEB_WAIT_SLICE_MS 50
/* Objects get_ref() holds strongly (those without weak references: dicts,
 * frames' locals); past it the oldest handed-out id is forgotten (404). */
#define WEB_MAX_STRONG_REFS 10000
/* Rows of an /objects page's referents and referrers. */
#define WEB_MAX_REFERENTS 500
#define WEB_MAX_REFERRERS 200
/* Frames of a /traceback page, and lines of source shown around each line. */
#define WEB_MAX_FRAMES 200
#define WEB_CONTEXT_LINES 5
/* Characters of a repr: in tables, on an object's own page. */
#define WEB_REPR_CLIP 48
#define WEB_REPR_CLIP_LONG 2000
/* The nested sizes of a tracked class page (Asized.refs): depth and rows. */
#define WEB_MAX_ASIZED_DEPTH 8
#define WEB_MAX_ASIZED_ROWS 2000
/* The longest path segment read as a number, and a static file's name and size. */
#define WEB_MAX_DIGITS 20
#define WEB_MAX_STATIC_NAME 64
#define WEB_MAX_STATIC_SIZE (8 << 20)
/* Seconds start_in_background() waits for the server to listen. */
#define WEB_START_TIMEOUT 10.0

#if PY_VERSION_HEX >= 0x030D0000
#define web_is_finalizing() Py_IsFinalizing()
#else
#define web_is_finalizing() _Py_IsFinalizing()
#endif

/* ======================================================================
 * state
 * ====================================================================== */

/* One running daemon of start_profiler().  Linked in its module's list while
 * it runs; `daemon` and the Python fields are read and written under the GIL
 * only; `closing` is read without it. */
typedef struct web_server {
    struct MHD_Daemon *daemon; /* NULL once stopped */
    PyObject *module;          /* the module (its state), strong */
    PyObject *stats;           /* a classtracker_stats.Stats-like object, or None */
    PyObject *graphs;          /* GarbageGraph().split_and_sort(), NULL until asked */
    PyObject *pngs;            /* {(index, reduce): PNG bytes} */
    char *static_dir;          /* <package>/static, malloc'd */
    unsigned long thread_id;   /* the thread waiting in start_profiler */
    int port;
    atomic_int stop;           /* start_profiler's wait returns */
    atomic_int closing;        /* answer 503: the server is stopping */
    int stopping;              /* in MHD_stop_daemon, called by another thread: wait to free */
    struct web_server *next;
} web_server;

typedef struct {
    PyTypeObject *state_type;  /* ServerState */
    PyTypeObject *thread_type; /* ProfilerThread, a subclass of threading.Thread */
    PyObject *server;          /* the module's ServerState: `server` */
    PyObject *id2ref, *id2obj; /* its registry (also its attributes) */
    char *static_dir;          /* malloc'd */
    web_server *servers;       /* running daemons */
} web_state;

static struct PyModuleDef module_def;

static web_state *state_of(PyObject *m)
{
    return (web_state *)PyModule_GetState(m);
}

/* ======================================================================
 * the registry: get_ref / get_obj
 * ====================================================================== */

/* Record obj and return its id as str (new reference), or NULL. */
static PyObject *registry_put(web_state *st, PyObject *obj)
{
    PyObject *oid = PyLong_FromVoidPtr(obj), *res = NULL;
    if (!oid)
        return NULL;
    if (PyType_SUPPORTS_WEAKREFS(Py_TYPE(obj))) {
        if (PyObject_SetItem(st->id2ref, oid, obj) == 0)
            goto done;
        if (!PyErr_ExceptionMatches(PyExc_TypeError))
            goto fail;
        PyErr_Clear(); /* cannot be weakly referenced after all */
    }
    if (!PyDict_Check(st->id2obj)) {
        PyErr_SetString(PyExc_TypeError, "pympler.web: server.id2obj is not a dict");
        goto fail;
    }
    while (PyDict_GET_SIZE(st->id2obj) >= WEB_MAX_STRONG_REFS) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        if (!PyDict_Next(st->id2obj, &pos, &k, &v))
            break;
        Py_INCREF(k);
        int e = PyDict_DelItem(st->id2obj, k); /* the oldest */
        Py_DECREF(k);
        if (e < 0)
            goto fail;
    }
    if (PyDict_SetItem(st->id2obj, oid, obj) < 0)
        goto fail;
done:
    res = PyObject_Str(oid);
fail:
    Py_DECREF(oid);
    return res;
}

/* The object recorded under the int oid: a new reference; NULL with no
 * error when there is none; NULL with an error on failure. */
static PyObject *registry_get(web_state *st, PyObject *oid)
{
    PyObject *o = PyObject_CallMethod(st->id2ref, "get", "O", oid);
    if (!o)
        return NULL;
    if (o != Py_None)
        return o;
    Py_DECREF(o);
    if (!PyDict_Check(st->id2obj))
        return NULL;
    o = PyDict_GetItemWithError(st->id2obj, oid);
    return o ? Py_NewRef(o) : NULL;
}

static PyObject *web_get_ref(PyObject *m, PyObject *obj)
{
    return registry_put(state_of(m), obj);
}

static PyObject *web_get_obj(PyObject *m, PyObject *ref)
{
    PyObject *oid = PyNumber_Long(ref);
    if (!oid)
        return NULL;
    PyObject *o = registry_get(state_of(m), oid);
    if (!o && !PyErr_Occurred())
        PyErr_SetObject(PyExc_KeyError, oid);
    Py_DECREF(oid);
    return o;
}

/* ======================================================================
 * ServerState
 * ====================================================================== */

typedef struct {
    PyObject_HEAD
    PyObject *dict;
    PyObject *weaklist;
} ServerStateObject;

static int SS_traverse(ServerStateObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->dict);
    return 0;
}

static int SS_clear(ServerStateObject *self)
{
    Py_CLEAR(self->dict);
    return 0;
}

static void SS_dealloc(ServerStateObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    if (self->weaklist)
        PyObject_ClearWeakRefs((PyObject *)self);
    SS_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

/* ServerState(): server, stats, garbage_graphs None; an empty registry. */
static int SS_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    if (!PyArg_ParseTuple(args, ":ServerState") || (kwds && PyDict_GET_SIZE(kwds))) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "ServerState() takes no arguments");
        return -1;
    }
    PyObject *wvd = pym_module_attr("weakref", "WeakValueDictionary");
    PyObject *id2ref = wvd ? PyObject_CallNoArgs(wvd) : NULL, *id2obj = id2ref ? PyDict_New() : NULL;
    Py_XDECREF(wvd);
    int rc = -1;
    if (id2obj && PyObject_SetAttrString(self, "server", Py_None) == 0 &&
        PyObject_SetAttrString(self, "stats", Py_None) == 0 &&
        PyObject_SetAttrString(self, "garbage_graphs", Py_None) == 0 &&
        PyObject_SetAttrString(self, "id2ref", id2ref) == 0 && PyObject_SetAttrString(self, "id2obj", id2obj) == 0)
        rc = 0;
    Py_XDECREF(id2ref);
    Py_XDECREF(id2obj);
    return rc;
}

static PyObject *SS_clear_cache(PyObject *self, PyObject *Py_UNUSED(unused))
{
    if (PyObject_SetAttrString(self, "garbage_graphs", Py_None) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef SS_methods[] = {
    {"clear_cache", SS_clear_cache, METH_NOARGS, "clear_cache()\n--\n\nForget the cached garbage graphs."},
    {NULL, NULL, 0, NULL}};

static PyMemberDef SS_members[] = {
    {"__dictoffset__", T_PYSSIZET, offsetof(ServerStateObject, dict), READONLY, NULL},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(ServerStateObject, weaklist), READONLY, NULL},
    {NULL, 0, 0, 0, NULL}};

static PyType_Slot SS_slots[] = {
    {Py_tp_doc, "ServerState()\n--\n\nThe state of the web frontend: server, stats, garbage_graphs, and the\n"
                "objects handed out by get_ref() (id2ref: weakly held; id2obj: held)."},
    {Py_tp_init, SS_init},
    {Py_tp_traverse, SS_traverse},
    {Py_tp_clear, SS_clear},
    {Py_tp_dealloc, SS_dealloc},
    {Py_tp_methods, SS_methods},
    {Py_tp_members, SS_members},
    {0, NULL}};

static PyType_Spec SS_spec = {
    .name = "pympler.web.ServerState",
    .basicsize = sizeof(ServerStateObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = SS_slots,
};

/* ======================================================================
 * pages
 * ====================================================================== */

#include "web_pages.inc"

/* ======================================================================
 * the HTTP side (libmicrohttpd threads)
 * ====================================================================== */

static const char MSG_503[] = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Pympler - "
                              "unavailable</title></head><body><h1>503 Service Unavailable</h1><p>The profiled "
                              "program is exiting.</p></body></html>\n";

static enum MHD_Result send_reply(struct MHD_Connection *c, web_reply *r)
{
    struct MHD_Response *resp;
    if (r->raw) {
        resp = MHD_create_response_from_buffer(r->rawlen, r->raw, MHD_RESPMEM_MUST_FREE);
        if (resp)
            r->raw = NULL;
    }
    else if (!pym_strbuf_failed(&r->body) && r->body.data) {
        resp = MHD_create_response_from_buffer(r->body.len, r->body.data, MHD_RESPMEM_MUST_FREE);
        if (resp)
            pym_strbuf_init(&r->body); /* MHD frees it */
    }
    else {
        r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        r->ctype = "text/plain; charset=utf-8";
        resp = MHD_create_response_from_buffer(14, (void *)"out of memory\n", MHD_RESPMEM_PERSISTENT);
    }
    reply_free(r);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype ? r->ctype : "text/html; charset=utf-8");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, r->cacheable ? "max-age=300" : "no-store");
    if (r->location[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
    if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result send_static_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* libmicrohttpd's access handler, in one of its threads. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    web_server *srv = cls;
    web_reply r;
    (void)upload_data;
    if (!*req_cls) { /* headers only: come back for the (ignored) body */
        *req_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* a body is read and dropped */
        return MHD_YES;
    }
    if (atomic_load(&srv->closing) || web_is_finalizing())
        return send_static_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, MSG_503);
    reply_init(&r);
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        reply_error(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed", "Only GET and HEAD are served.");
        return send_reply(c, &r);
    }
    if (!strncmp(url, "/static/", 8)) { /* files: no Python, no GIL */
        serve_static(srv->static_dir, url + 8, &r);
        return send_reply(c, &r);
    }
    if (!strcmp(url, "/") && page_index_nogil(&r) == 0) /* /proc/self/stat, no GIL */
        return send_reply(c, &r);
    reply_free(&r);
    reply_init(&r);
    const char *reduce = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "reduce");
    int http11 = version && !strcmp(version, MHD_HTTP_VERSION_1_1);
    PyGILState_STATE g = PyGILState_Ensure();
    if (atomic_load(&srv->closing)) {
        PyGILState_Release(g);
        return send_static_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, MSG_503);
    }
    /* the page may raise or leave anything: the caller's exception state is
     * saved around it, and whatever the page left is cleared */
    PyObject *et, *ev, *etb;
    PyErr_Fetch(&et, &ev, &etb);
    if (route(srv, url, reduce && *reduce ? reduce : NULL, http11, &r) < 0)
        reply_exception(&r);
    PyErr_Clear();
    PyErr_Restore(et, ev, etb);
    PyGILState_Release(g);
    return send_reply(c, &r);
}

/* ======================================================================
 * starting and stopping
 * ====================================================================== */

/* Stop srv's daemon if it still runs (the GIL held; released meanwhile so
 * that requests waiting for it finish). */
static void server_stop_daemon(web_server *srv)
{
    struct MHD_Daemon *d = srv->daemon;
    srv->daemon = NULL;
    atomic_store(&srv->closing, 1);
    if (d) {
        /* the pool's threads still use srv until MHD_stop_daemon returns:
         * whoever would free it meanwhile waits for `stopping` to fall */
        srv->stopping = 1;
        Py_BEGIN_ALLOW_THREADS
        MHD_stop_daemon(d);
        Py_END_ALLOW_THREADS
        srv->stopping = 0;
    }
}

static void server_unlink(web_state *st, web_server *srv)
{
    for (web_server **p = &st->servers; *p; p = &(*p)->next)
        if (*p == srv) {
            *p = srv->next;
            break;
        }
}

static void server_free(web_server *srv)
{
    Py_XDECREF(srv->stats);
    Py_XDECREF(srv->graphs);
    Py_XDECREF(srv->pngs);
    Py_XDECREF(srv->module);
    free(srv->static_dir);
    free(srv);
}

/* 1 for an address of this machine only (127/8, ::1). */
static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return 0;
}

/* The address to listen on: 'localhost' is 127.0.0.1; '' is every address.
 * 0, or -1 with an exception (GIL held). */
static int resolve(const char *host, int port, struct sockaddr_storage *out, socklen_t *outlen)
{
    memset(out, 0, sizeof *out);
    if (!strcmp(host, "localhost") || !*host) {
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        in->sin_addr.s_addr = htonl(*host ? INADDR_LOOPBACK : INADDR_ANY);
        *outlen = sizeof *in;
        return 0;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int e;
    Py_BEGIN_ALLOW_THREADS
    e = getaddrinfo(host, NULL, &hints, &res);
    Py_END_ALLOW_THREADS
    if (e || !res || res->ai_addrlen > sizeof *out) {
        if (res)
            freeaddrinfo(res);
        PyErr_Format(PyExc_OSError, "pympler.web: cannot resolve host %s: %s", host,
                     e ? gai_strerror(e) : "no address");
        return -1;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *outlen = res->ai_addrlen;
    freeaddrinfo(res);
    if (out->ss_family == AF_INET)
        ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
    else if (out->ss_family == AF_INET6)
        ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
    else {
        PyErr_Format(PyExc_OSError, "pympler.web: host %s is neither IPv4 nor IPv6", host);
        return -1;
    }
    return 0;
}

static PyObject *warn_public(const char *host, int port)
{
    PySys_WriteStderr("pympler.web: WARNING: serving on %.200s:%d, which is not a loopback address: anyone who "
                      "can reach this machine can browse the objects of this program\n",
                      *host ? host : "(every address)", port);
    return Py_None;
}

/* Start a daemon for module m; on success it is linked in the module's list
 * and returned.  NULL with an exception. */
static web_server *server_start(PyObject *m, const char *host, int port, PyObject *stats)
{
    web_state *st = state_of(m);
    struct sockaddr_storage addr;
    socklen_t addrlen;
    if (resolve(host, port, &addr, &addrlen) < 0)
        return NULL;
    (void)addrlen;
    if (!is_loopback((struct sockaddr *)&addr))
        warn_public(host, port);
    web_server *srv = calloc(1, sizeof *srv);
    if (!srv || !(srv->static_dir = strdup(st->static_dir ? st->static_dir : ""))) {
        free(srv);
        PyErr_NoMemory();
        return NULL;
    }
    srv->module = Py_NewRef(m);
    srv->stats = Py_NewRef(stats);
    srv->thread_id = PyThread_get_thread_ident();
    if (!(srv->pngs = PyDict_New())) {
        server_free(srv);
        return NULL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d;
    int err;
    Py_BEGIN_ALLOW_THREADS
    errno = 0;
    d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)WEB_THREADS,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)WEB_CONNECTION_TIMEOUT, MHD_OPTION_END);
    err = errno;
    Py_END_ALLOW_THREADS
    if (!d) {
        server_free(srv);
        errno = err ? err : EADDRINUSE;
        PyErr_Format(PyExc_OSError, "pympler.web: cannot listen on %s:%d: %s", *host ? host : "*", port,
                     strerror(errno));
        return NULL;
    }
    srv->daemon = d;
    srv->port = port;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (info && info->port)
        srv->port = info->port;
    srv->next = st->servers;
    st->servers = srv;
    return srv;
}

/* Sleep a slice with the GIL released. */
static void wait_slice(void)
{
    struct timespec ts = {0, WEB_WAIT_SLICE_MS * 1000000L};
    Py_BEGIN_ALLOW_THREADS
    nanosleep(&ts, NULL);
    Py_END_ALLOW_THREADS
}

/* The body of start_profiler(): serve until asked to stop.  `thread`, when
 * not NULL, is the ProfilerThread: its `port` is set and its `_ready` event
 * set once the daemon listens (or failed to).  None, or NULL. */
static PyObject *serve(PyObject *m, const char *host, int port, PyObject *tracker, PyObject *stats,
                       PyObject *thread)
{
    web_state *st = state_of(m);
    PyObject *use_stats = NULL, *res = NULL;
    web_server *srv = NULL;
    int t = tracker == Py_None ? 0 : PyObject_IsTrue(tracker);
    if (t < 0)
        goto done;
    if (t && stats == Py_None) { /* Pympler: tracker.stats unless stats is given */
        if (!(use_stats = PyObject_GetAttrString(tracker, "stats")))
            goto done;
    }
    else
        use_stats = Py_NewRef(stats);
    if (PyObject_SetAttrString(st->server, "stats", use_stats) < 0)
        goto done;
    if (!(srv = server_start(m, host, port, use_stats)))
        goto done;
    PyObject *desc = PyUnicode_FromFormat("http://%s:%d/", *host ? host : "0.0.0.0", srv->port);
    int e = desc ? PyObject_SetAttrString(st->server, "server", desc) : -1;
    Py_XDECREF(desc);
    if (e < 0)
        goto done;
    if (thread) {
        PyObject *p = PyLong_FromLong(srv->port);
        e = p ? PyObject_SetAttrString(thread, "port", p) : -1;
        Py_XDECREF(p);
        if (e < 0)
            goto done;
    }
    while (!atomic_load(&srv->stop) && srv->daemon) {
        if (thread) { /* tell start_in_background (once) */
            PyObject *ev = PyObject_GetAttrString(thread, "_ready"), *r = ev ? PyObject_CallMethod(ev, "set", NULL) : NULL;
            Py_XDECREF(ev);
            Py_XDECREF(r);
            if (!r)
                goto done;
            thread = NULL;
        }
        wait_slice();
        if (PyErr_CheckSignals() < 0) {
            if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt))
                PyErr_Clear(); /* as bottle.run: Ctrl+C ends the server, quietly */
            else
                goto done;
            break;
        }
    }
    res = Py_NewRef(Py_None);
done:
    if (srv) {
        server_unlink(st, srv);
        server_stop_daemon(srv);
        while (srv->stopping) /* the atexit callback is stopping it */
            wait_slice();
        server_free(srv);
    }
    if (thread) { /* failed before listening: let start_in_background go on */
        PyObject *exc_t, *exc_v, *exc_tb;
        PyErr_Fetch(&exc_t, &exc_v, &exc_tb);
        PyObject *ev = PyObject_GetAttrString(thread, "_ready"), *r = ev ? PyObject_CallMethod(ev, "set", NULL) : NULL;
        Py_XDECREF(ev);
        Py_XDECREF(r);
        PyErr_Clear();
        PyErr_Restore(exc_t, exc_v, exc_tb);
    }
    Py_XDECREF(use_stats);
    return res;
}

/* host, port, tracker, stats of start_profiler's arguments; kwargs beyond
 * them (Pympler hands them to bottle: quiet=..., and the like) are accepted
 * and ignored. */
static int parse_profiler_args(PyObject *args, PyObject *kwds, const char **host, int *port, PyObject **tracker,
                               PyObject **stats)
{
    PyObject *h = NULL, *p = NULL, *dbg = Py_False;
    *tracker = *stats = Py_None;
    PyObject *known = PyDict_New(), *k, *v;
    if (!known)
        return -1;
    Py_ssize_t pos = 0;
    static const char *const names[] = {"host", "port", "tracker", "stats", "debug", NULL};
    while (kwds && PyDict_Next(kwds, &pos, &k, &v)) {
        for (int i = 0; names[i]; i++)
            if (PyUnicode_Check(k) && PyUnicode_CompareWithASCIIString(k, names[i]) == 0 &&
                PyDict_SetItem(known, k, v) < 0) {
                Py_DECREF(known);
                return -1;
            }
    }
    static char *kwlist[] = {"host", "port", "tracker", "stats", "debug", NULL};
    int ok = PyArg_ParseTupleAndKeywords(args, known, "|OOOOO:start_profiler", kwlist, &h, &p, tracker, stats, &dbg);
    Py_DECREF(known);
    if (!ok)
        return -1;
    (void)dbg;
    *host = "localhost";
    if (h) {
        if (!PyUnicode_Check(h)) {
            PyErr_Format(PyExc_TypeError, "start_profiler: host must be a str, not %.100s", Py_TYPE(h)->tp_name);
            return -1;
        }
        if (!(*host = PyUnicode_AsUTF8(h)))
            return -1;
        if (strlen(*host) > 255) {
            PyErr_SetString(PyExc_ValueError, "start_profiler: host name longer than 255 characters");
            return -1;
        }
    }
    *port = 8090;
    if (p) {
        if (!PyLong_Check(p) || PyBool_Check(p)) {
            PyErr_Format(PyExc_TypeError, "start_profiler: port must be an int, not %.100s", Py_TYPE(p)->tp_name);
            return -1;
        }
        long n = PyLong_AsLong(p);
        if (n == -1 && PyErr_Occurred())
            PyErr_Clear();
        if (n < 0 || n > 65535) {
            PyErr_Format(PyExc_ValueError, "start_profiler: port must be 0 to 65535, got %R", p);
            return -1;
        }
        *port = (int)n;
    }
    return 0;
}

static PyObject *web_start_profiler(PyObject *m, PyObject *args, PyObject *kwds)
{
    const char *host;
    int port;
    PyObject *tracker, *stats;
    if (parse_profiler_args(args, kwds, &host, &port, &tracker, &stats) < 0)
        return NULL;
    return serve(m, host, port, tracker, stats, NULL);
}

/* ======================================================================
 * ProfilerThread and start_in_background
 * ====================================================================== */

static PyObject *thread_base(PyTypeObject *tp)
{
    /* threading.Thread: the base of ProfilerThread, found in tp's MRO */
    web_state *st = pym_type_state(tp, &module_def);
    return st ? (PyObject *)st->thread_type->tp_base : NULL;
}

static int PT_init(PyObject *self, PyObject *args, PyObject *kwds)
{
    PyObject *group = Py_None, *target = Py_None, *name = NULL;
    PyObject *kw = kwds ? PyDict_Copy(kwds) : PyDict_New(), *base = NULL, *r = NULL, *ev = NULL;
    int rc = -1;
    if (!kw)
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(args);
    if (n > 3) {
        PyErr_Format(PyExc_TypeError, "ProfilerThread() takes at most 3 positional arguments (%zd given)", n);
        goto done;
    }
    static const char *const pos[] = {"group", "target", "name"};
    PyObject **slots[] = {&group, &target, &name};
    for (Py_ssize_t i = 0; i < 3; i++) {
        PyObject *v = i < n ? PyTuple_GET_ITEM(args, i) : NULL, *kv = PyDict_GetItemString(kw, pos[i]);
        if (v && kv) {
            PyErr_Format(PyExc_TypeError, "ProfilerThread() got multiple values for argument '%s'", pos[i]);
            goto done;
        }
        if (kv) {
            *slots[i] = kv;
            Py_INCREF(kv);
            if (PyDict_DelItemString(kw, pos[i]) < 0) {
                Py_DECREF(kv);
                goto done;
            }
            Py_DECREF(kv); /* still owned by the caller's dict */
        }
        else if (v)
            *slots[i] = v;
    }
    if (!(base = thread_base(Py_TYPE(self))))
        goto done;
    PyObject *name_obj = name ? Py_NewRef(name) : PyUnicode_FromString("Pympler web frontend");
    if (!name_obj)
        goto done;
    PyObject *init = PyObject_GetAttrString(base, "__init__");
    PyObject *a = init ? PyTuple_Pack(1, self) : NULL;
    PyObject *k = a ? Py_BuildValue("{sOsOsO}", "group", group, "target", target, "name", name_obj) : NULL;
    r = k ? PyObject_Call(init, a, k) : NULL;
    Py_XDECREF(init);
    Py_XDECREF(a);
    Py_XDECREF(k);
    Py_DECREF(name_obj);
    if (!r)
        goto done;
    PyObject *evt = pym_module_attr("threading", "Event");
    ev = evt ? PyObject_CallNoArgs(evt) : NULL;
    Py_XDECREF(evt);
    if (!ev || PyObject_SetAttrString(self, "kwargs", kw) < 0 || PyObject_SetAttrString(self, "_ready", ev) < 0 ||
        PyObject_SetAttrString(self, "port", Py_None) < 0 || PyObject_SetAttrString(self, "daemon", Py_True) < 0)
        goto done;
    rc = 0;
done:
    Py_XDECREF(kw);
    Py_XDECREF(r);
    Py_XDECREF(ev);
    return rc;
}

/* run(): start_profiler(**self.kwargs), telling start_in_background when it listens. */
static PyObject *PT_run(PyObject *self, PyObject *Py_UNUSED(unused))
{
    web_state *st = pym_type_state(Py_TYPE(self), &module_def);
    if (!st)
        return NULL;
    PyObject *m = PyType_GetModuleByDef(Py_TYPE(self), &module_def);
    PyObject *kw = PyObject_GetAttrString(self, "kwargs"), *empty = PyTuple_New(0), *res = NULL;
    const char *host;
    int port;
    PyObject *tracker, *stats;
    if (m && kw && empty && PyDict_Check(kw) && parse_profiler_args(empty, kw, &host, &port, &tracker, &stats) == 0) {
        Py_INCREF(tracker);
        Py_INCREF(stats);
        Py_INCREF(m);
        res = serve(m, host, port, tracker, stats, self);
        Py_DECREF(m);
        Py_DECREF(tracker);
        Py_DECREF(stats);
    }
    else if (kw && !PyDict_Check(kw) && !PyErr_Occurred())
        PyErr_SetString(PyExc_TypeError, "ProfilerThread.kwargs must be a dict");
    if (!res) { /* wake start_in_background whatever failed */
        PyObject *et, *ev, *etb;
        PyErr_Fetch(&et, &ev, &etb);
        PyObject *e = PyObject_GetAttrString(self, "_ready"), *r = e ? PyObject_CallMethod(e, "set", NULL) : NULL;
        Py_XDECREF(e);
        Py_XDECREF(r);
        PyErr_Clear();
        PyErr_Restore(et, ev, etb);
    }
    Py_XDECREF(kw);
    Py_XDECREF(empty);
    return res;
}

/* stop(timeout=None): ask the thread's server to stop, then join the thread. */
static PyObject *PT_stop(PyObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"timeout", NULL};
    PyObject *timeout = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:stop", kwlist, &timeout))
        return NULL;
    web_state *st = pym_type_state(Py_TYPE(self), &module_def);
    if (!st)
        return NULL;
    PyObject *alive = PyObject_CallMethod(self, "is_alive", NULL);
    if (!alive)
        return NULL;
    int a = PyObject_IsTrue(alive);
    Py_DECREF(alive);
    if (a <= 0) /* not started, or over */
        return a < 0 ? NULL : Py_NewRef(Py_None);
    /* a thread just started may not listen yet: its server is found once it does */
    PyObject *ev = pym_getattr_optional(self, "_ready");
    PyObject *w = ev ? PyObject_CallMethod(ev, "wait", "d", WEB_START_TIMEOUT) : NULL;
    Py_XDECREF(ev);
    Py_XDECREF(w);
    if (!w && PyErr_Occurred())
        return NULL;
    PyObject *ident = PyObject_GetAttrString(self, "ident");
    if (!ident)
        return NULL;
    unsigned long id = ident == Py_None ? 0 : PyLong_AsUnsignedLong(ident);
    Py_DECREF(ident);
    if (id == (unsigned long)-1 && PyErr_Occurred())
        return NULL;
    for (web_server *s = st->servers; s; s = s->next)
        if (s->thread_id == id)
            atomic_store(&s->stop, 1);
    return PyObject_CallMethod(self, "join", "O", timeout);
}

static PyMethodDef PT_methods[] = {
    {"run", PT_run, METH_NOARGS, "run()\n--\n\nServe: start_profiler(**self.kwargs)."},
    {"stop", (PyCFunction)(void (*)(void))PT_stop, METH_VARARGS | METH_KEYWORDS,
     "stop(timeout=None)\n--\n\nStop the thread's server and join the thread (an addition to Pympler)."},
    {NULL, NULL, 0, NULL}};

static PyType_Slot PT_slots[] = {
    {Py_tp_doc, "ProfilerThread(group=None, target=None, name='Pympler web frontend', **kwargs)\n--\n\n"
                "A daemon thread that runs start_profiler(**kwargs); stop() ends it."},
    {Py_tp_init, PT_init},
    {Py_tp_methods, PT_methods},
    {0, NULL}};

static PyType_Spec PT_spec = {
    .name = "pympler.web.ProfilerThread",
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .slots = PT_slots,
};

static PyObject *web_start_in_background(PyObject *m, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args)) {
        PyErr_SetString(PyExc_TypeError, "start_in_background() takes keyword arguments only");
        return NULL;
    }
    web_state *st = state_of(m);
    PyObject *empty = PyTuple_New(0);
    PyObject *t = empty ? PyObject_Call((PyObject *)st->thread_type, empty, kwds) : NULL;
    Py_XDECREF(empty);
    if (!t)
        return NULL;
    PyObject *r = PyObject_CallMethod(t, "start", NULL);
    if (!r)
        goto fail;
    Py_DECREF(r);
    /* wait until it listens (or failed), so that a caller may connect at once */
    PyObject *ev = PyObject_GetAttrString(t, "_ready");
    r = ev ? PyObject_CallMethod(ev, "wait", "d", WEB_START_TIMEOUT) : NULL;
    Py_XDECREF(ev);
    if (!r)
        goto fail;
    Py_DECREF(r);
    return t;
fail:
    Py_DECREF(t);
    return NULL;
}

/* ======================================================================
 * interpreter exit
 * ====================================================================== */

/* atexit: stop every daemon before the interpreter finalises. */
static PyObject *web_atexit(PyObject *m, PyObject *Py_UNUSED(unused))
{
    web_state *st = state_of(m);
    for (web_server *s = st->servers; s; s = s->next)
        atomic_store(&s->closing, 1);
    while (st->servers) {
        web_server *s = st->servers;
        st->servers = s->next;
        s->next = NULL;
        atomic_store(&s->stop, 1);
        /* the waiting thread frees s when it wakes, once `stopping` is 0 */
        server_stop_daemon(s);
    }
    Py_RETURN_NONE;
}

/* ======================================================================
 * the module
 * ====================================================================== */

static const pym_reexport reexports[] = {
    {"sys", "sys", NULL},
    {"os", "os", NULL},
    {"threading", "threading", NULL},
    {"asizeof", "pympler.asizeof", NULL},
    {"GarbageGraph", "pympler.garbagegraph", "GarbageGraph"},
    {"get_current_threads", "pympler.process", "get_current_threads"},
    {"ProcessMemoryInfo", "pympler.process", "ProcessMemoryInfo"},
    {"safe_repr", "pympler.util.stringutils", "safe_repr"},
    {"Thread", "threading", "Thread"},
    {"WeakValueDictionary", "weakref", "WeakValueDictionary"},
    {"getouterframes", "inspect", "getouterframes"},
    {"dumps", "json", "dumps"},
    {NULL, NULL, NULL}};
PYM_REEXPORTS(reexports)

static PyMethodDef module_methods[] = {
    {"start_profiler", (PyCFunction)(void (*)(void))web_start_profiler, METH_VARARGS | METH_KEYWORDS,
     "start_profiler(host='localhost', port=8090, tracker=None, stats=None, debug=False, **kwargs)\n--\n\n"
     "Serve the web frontend on host:port until KeyboardInterrupt (Ctrl+C); the program's other threads\n"
     "keep running.  tracker (a ClassTracker) or stats (a Stats) enable the tracker pages."},
    {"start_in_background", (PyCFunction)(void (*)(void))web_start_in_background, METH_VARARGS | METH_KEYWORDS,
     "start_in_background(**kwargs)\n--\n\nServe in a daemon ProfilerThread (start_profiler's arguments); "
     "returns the thread once the server listens."},
    {"get_ref", web_get_ref, METH_O, "get_ref(obj)\n--\n\nRecord obj for the pages; its id as str."},
    {"get_obj", web_get_obj, METH_O, "get_obj(ref)\n--\n\nThe object get_ref() recorded under ref (KeyError)."},
    {"_atexit", web_atexit, METH_NOARGS, "_atexit()\n--\n\nStop every server (registered with atexit)."},
    PYM_REEXPORT_METHODS,
    {NULL, NULL, 0, NULL}};

static int module_exec(PyObject *m)
{
    web_state *st = state_of(m);
    if (pym_module_attach(m) < 0)
        return -1;
    /* <package>/static, beside this module's file */
    PyObject *file = PyModule_GetFilenameObject(m);
    if (!file)
        return -1;
    PyObject *b = NULL;
    int ok = PyUnicode_FSConverter(file, &b);
    Py_DECREF(file);
    if (!ok)
        return -1;
    const char *f = PyBytes_AS_STRING(b), *slash = strrchr(f, '/');
    size_t dirlen = slash ? (size_t)(slash - f) : 1;
    st->static_dir = malloc(dirlen + 8);
    if (!st->static_dir) {
        Py_DECREF(b);
        PyErr_NoMemory();
        return -1;
    }
    snprintf(st->static_dir, dirlen + 8, "%.*s/static", (int)dirlen, slash ? f : ".");
    Py_DECREF(b);
    if (!(st->state_type = pym_module_add_type(m, &SS_spec, NULL)))
        return -1;
    PyObject *thread = pym_module_attr("threading", "Thread");
    if (!thread)
        return -1;
    if (!PyType_Check(thread)) {
        Py_DECREF(thread);
        PyErr_SetString(PyExc_ImportError, "threading.Thread is not a class");
        return -1;
    }
    st->thread_type = pym_module_add_type(m, &PT_spec, (PyTypeObject *)thread);
    Py_DECREF(thread);
    if (!st->thread_type)
        return -1;
    if (!(st->server = PyObject_CallNoArgs((PyObject *)st->state_type)) ||
        !(st->id2ref = PyObject_GetAttrString(st->server, "id2ref")) ||
        !(st->id2obj = PyObject_GetAttrString(st->server, "id2obj")))
        return -1;
    if (PyModule_AddObjectRef(m, "server", st->server) < 0)
        return -1;
    PyObject *sd = PyUnicode_DecodeFSDefault(st->static_dir);
    if (!sd || PyModule_AddObject(m, "static_files", sd) < 0) {
        Py_XDECREF(sd);
        return -1;
    }
    PyObject *fn = PyObject_GetAttrString(m, "_atexit"), *reg = fn ? pym_module_attr("atexit", "register") : NULL;
    PyObject *r = reg ? PyObject_CallOneArg(reg, fn) : NULL;
    Py_XDECREF(fn);
    Py_XDECREF(reg);
    if (!r)
        return -1;
    Py_DECREF(r);
    PyObject *all = Py_BuildValue("[ssssss]", "start_profiler", "start_in_background", "get_ref", "get_obj",
                                  "ServerState", "ProfilerThread");
    if (!all || PyModule_AddObject(m, "__all__", all) < 0) {
        Py_XDECREF(all);
        return -1;
    }
    return 0;
}

static int module_traverse(PyObject *m, visitproc visit, void *arg)
{
    web_state *st = state_of(m);
    Py_VISIT(st->state_type);
    Py_VISIT(st->thread_type);
    Py_VISIT(st->server);
    Py_VISIT(st->id2ref);
    Py_VISIT(st->id2obj);
    return 0;
}

static int module_clear(PyObject *m)
{
    web_state *st = state_of(m);
    Py_CLEAR(st->state_type);
    Py_CLEAR(st->thread_type);
    Py_CLEAR(st->server);
    Py_CLEAR(st->id2ref);
    Py_CLEAR(st->id2obj);
    return 0;
}

static void module_free(void *m)
{
    web_state *st = state_of((PyObject *)m);
    module_clear((PyObject *)m);
    free(st->static_dir);
    st->static_dir = NULL;
}

static PyModuleDef_Slot module_slots[] = PYM_MODULE_SLOTS(module_exec);

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pympler.web",
    .m_doc = "Pympler's web frontend, served in C by libmicrohttpd: start_profiler(), start_in_background().",
    .m_size = sizeof(web_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC PyInit_web(void)
{
    return PyModuleDef_Init(&module_def);
}
