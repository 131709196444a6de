/*
 * outfile.c - writing outputs without destroying what the user did not ask to replace.
 *
 * A regular file is replaced atomically: the output goes to a temporary file made with
 * mkstemp beside it (a name nobody has, so no file is overwritten on the way), which is
 * renamed over the target when the output is complete, keeping the target's permissions. A
 * symbolic link is followed to the file it names, so the link stays a link. Anything that is
 * not a regular file (/dev/stdout, /dev/null, /dev/full, a FIFO) is opened and written
 * through: renaming over it would replace a device node with a file, which is what
 * running as root used to do.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

static int fail(char *why, size_t len, const char *path, int err)
{
    snprintf(why, len, "cannot write %s: %s", path, strerror(err));
    return -1;
}

int outfile_open(struct outfile *o, const char *path, char *why, size_t len)
{
    struct stat st;
    char resolved[PATH_MAX];
    const char *target = path;
    mode_t mask;
    int fd;

    memset(o, 0, sizeof(*o));
    if (strlen(path) >= sizeof(o->path))
        return fail(why, len, path, ENAMETOOLONG);
    snprintf(o->path, sizeof(o->path), "%s", path);
    if (strcmp(path, "-") == 0) {
        o->f = stdout;
        o->is_stdout = true;
        return 0;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            return fail(why, len, path, EISDIR);
        o->f = fopen(path, "w"); /* a device or a FIFO: write through, never replace it */
        return o->f != NULL ? 0 : fail(why, len, path, errno);
    }
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && realpath(path, resolved) != NULL)
        target = resolved; /* the file the link names is what gets replaced */
    if (strlen(target) + 8 >= sizeof(o->final))
        return fail(why, len, path, ENAMETOOLONG);
    snprintf(o->final, sizeof(o->final), "%s", target);
    snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", target);
    fd = mkstemp(o->tmp);
    if (fd < 0) {
        int err = errno;
        o->tmp[0] = '\0';
        return fail(why, len, path, err);
    }
    /* the permissions the file has, or a new file's (mkstemp makes it 0600) */
    if (stat(o->final, &st) == 0) {
        fchmod(fd, st.st_mode & 07777);
    } else {
        mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
    o->f = fdopen(fd, "w");
    if (o->f == NULL) {
        int err = errno;
        close(fd);
        unlink(o->tmp);
        o->tmp[0] = '\0';
        return fail(why, len, path, err);
    }
    return 0;
}

int outfile_flush(struct outfile *o, char *why, size_t len)
{
    if (o->f == NULL)
        return 0;
    errno = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        return fail(why, len, o->path, errno ? errno : EIO);
    return 0;
}

int outfile_close(struct outfile *o, bool ok, char *why, size_t len)
{
    int err = 0;

    if (o->f != NULL) {
        if (o->is_stdout) {
            if (fflush(stdout) != 0 || ferror(stdout))
                err = errno ? errno : EIO;
        } else if ((ferror(o->f) | (fclose(o->f) != 0)) != 0) {
            err = errno ? errno : EIO;
        }
        o->f = NULL;
    }
    if (o->tmp[0] != '\0') {
        if (ok && err == 0 && rename(o->tmp, o->final) != 0)
            err = errno;
        if (!ok || err != 0)
            unlink(o->tmp);
        o->tmp[0] = '\0';
    }
    if (err != 0)
        return fail(why, len, o->path, err);
    return 0;
}
