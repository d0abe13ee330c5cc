/* file.c: pym_render_dot_to_file, the atomic write (render.h).
 *
 * Kept apart from render.c: it needs no Graphviz header (whose types.h
 * declares a global `path` type that -Wshadow flags in any parameter of that
 * name).  The bytes go to "path.tmp.PID" in the target's directory (created
 * exclusively; ".N" is added when that name is taken), are fsync'd and
 * renamed over path; on any failure the temporary file is
 * removed, so path is either untouched or complete.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "render.h"

/* Write a formatted one-line message into err (may be NULL).  Returns code. */
static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static atomic_uint tmp_seq; /* suffixes for temporary names already taken */

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsync the directory holding path so that the rename is durable; errors are
 * ignored (some filesystems refuse to fsync directories). */
static void sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    int fd;

    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir)
        return;
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int pym_render_dot_to_file(const char *dot, size_t dotlen, const pym_render_opts *opts, const char *path,
                           char *err, size_t errlen)
{
    return pym_render_dot_to_file_ex(dot, dotlen, opts, path, NULL, err, errlen);
}

int pym_render_dot_to_file_ex(const char *dot, size_t dotlen, const pym_render_opts *opts, const char *path,
                              pym_render_info *info, char *err, size_t errlen)
{
    unsigned char *data = NULL;
    size_t len = 0;
    char *tmp;
    int fd, rc, saved;
    size_t tmplen;

    if (err && errlen)
        err[0] = '\0';
    if (!path || !path[0])
        return fail(PYM_RENDER_E_ARG, err, errlen, "invalid argument: no output path");
    rc = pym_render_dot_ex(dot, dotlen, opts, &data, &len, info, err, errlen);
    if (rc < 0)
        return rc;

    tmplen = strlen(path) + 32;
    tmp = malloc(tmplen);
    if (!tmp) {
        free(data);
        return fail(PYM_RENDER_E_NOMEM, err, errlen, "out of memory");
    }
    /* "path.tmp.PID"; taken (another thread of this process writing the same
     * path, or a leftover of a crashed process that had our PID): add a number */
    snprintf(tmp, tmplen, "%s.tmp.%ld", path, (long)getpid());
    for (int tries = 0;; tries++) {
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd >= 0 || errno != EEXIST || tries == 100)
            break;
        snprintf(tmp, tmplen, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&tmp_seq, 1) + 1);
    }
    if (fd < 0) {
        saved = errno;
        rc = fail(PYM_RENDER_E_IO, err, errlen, "cannot write '%s': %s", path, strerror(saved));
        goto out;
    }
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        saved = errno;
        close(fd);
        unlink(tmp);
        rc = fail(PYM_RENDER_E_IO, err, errlen, "cannot write '%s': %s", path, strerror(saved));
        goto out;
    }
    if (close(fd) < 0) {
        saved = errno;
        unlink(tmp);
        rc = fail(PYM_RENDER_E_IO, err, errlen, "cannot write '%s': %s", path, strerror(saved));
        goto out;
    }
    if (rename(tmp, path) < 0) {
        saved = errno;
        unlink(tmp);
        rc = fail(PYM_RENDER_E_IO, err, errlen, "cannot write '%s': %s", path, strerror(saved));
        goto out;
    }
    sync_parent(path);
    rc = 0;
out:
    free(tmp);
    free(data);
    return rc;
}
