/* loadgen: HTTP GET load from N threads for bench_web.py, so that the
 * clients (not Python's http.client) are never what is measured.
 *
 *   loadgen PORT PATH SECONDS THREADS KEEPALIVE(0|1)
 *
 * Each thread sends one request after another to 127.0.0.1:PORT, over one
 * connection while the server keeps it open (KEEPALIVE=1 and HTTP/1.1
 * without "Connection: close"), else a new connection per request.  Prints
 * one JSON line: {"n": responses, "ok": 200 responses, "errors": failures,
 * "seconds": wall time}. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port, keepalive;
static const char *path;
static double seconds;
static atomic_long n_resp, n_ok, n_err;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One request on fd; 0 and *reuse set, or -1. */
static int one_request(int fd, const char *req, size_t reqlen, int *reuse)
{
    static __thread char buf[1 << 20];
    if (send(fd, req, reqlen, MSG_NOSIGNAL) != (ssize_t)reqlen)
        return -1;
    size_t len = 0;
    char *hend = NULL;
    while (!hend) {
        ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (k <= 0)
            return -1;
        len += (size_t)k;
        buf[len] = '\0';
        hend = strstr(buf, "\r\n\r\n");
        if (!hend && len >= sizeof buf - 1)
            return -1;
    }
    int status = atoi(buf + 9), close_after = !strncmp(buf, "HTTP/1.0", 8);
    long clen = -1;
    for (char *line = strstr(buf, "\r\n"); line && line < hend; line = strstr(line + 2, "\r\n")) {
        char *l = line + 2;
        if (!strncasecmp(l, "Content-Length:", 15))
            clen = atol(l + 15);
        else if (!strncasecmp(l, "Connection:", 11) && strcasestr(l, "close") && strcasestr(l, "close") < strstr(l, "\r\n"))
            close_after = 1;
    }
    size_t have = len - (size_t)(hend + 4 - buf);
    if (clen < 0) { /* until EOF */
        ssize_t k;
        while ((k = recv(fd, buf, sizeof buf, 0)) > 0)
            ;
        close_after = 1;
    }
    else {
        long left = clen - (long)have;
        while (left > 0) {
            ssize_t k = recv(fd, buf, left < (long)sizeof buf ? (size_t)left : sizeof buf, 0);
            if (k <= 0)
                return -1;
            left -= k;
        }
    }
    atomic_fetch_add(&n_resp, 1);
    if (status == 200)
        atomic_fetch_add(&n_ok, 1);
    *reuse = keepalive && !close_after;
    return 0;
}

static void *worker(void *arg)
{
    (void)arg;
    char req[1024];
    int reqlen = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n", path, port,
                          keepalive ? "" : "Connection: close\r\n");
    double end = now() + seconds;
    int fd = -1;
    while (now() < end) {
        if (fd < 0 && (fd = dial()) < 0) {
            atomic_fetch_add(&n_err, 1);
            continue;
        }
        int reuse = 0;
        if (one_request(fd, req, (size_t)reqlen, &reuse) < 0) {
            atomic_fetch_add(&n_err, 1);
            reuse = 0;
        }
        if (!reuse) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: loadgen PORT PATH SECONDS THREADS KEEPALIVE\n");
        return 2;
    }
    port = atoi(argv[1]);
    path = argv[2];
    seconds = atof(argv[3]);
    int threads = atoi(argv[4]);
    keepalive = atoi(argv[5]);
    if (threads < 1 || threads > 256)
        return 2;
    pthread_t t[256];
    double t0 = now();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("{\"n\": %ld, \"ok\": %ld, \"errors\": %ld, \"seconds\": %.3f}\n", atomic_load(&n_resp),
           atomic_load(&n_ok), atomic_load(&n_err), now() - t0);
    return 0;
}
