/* SPDX-License-Identifier: MIT */
/* What mkslot's verbs share: files, the config with its ESP, child tools. */

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <error.h>
#include <full-write.h>
#include <progname.h>
#include <safe-read.h>
#include <xalloc.h>
#include <xvasprintf.h>

#include "mkslot.h"

extern char **environ;

static void diag_stderr(void *ctx, enum sw_severity sev, const char *msg)
{
        static const char *const prefix[] = {
                [SW_INFO] = "",
                [SW_WARN] = "warning: ",
                [SW_ERROR] = "error: ",
        };

        fprintf(stderr, "%s%s\n", prefix[sev], msg);
}

struct sw_diag stderr_diag = { .emit = diag_stderr };

char *slurp(const char *path, size_t max, size_t *len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        char *buf = NULL;
        size_t cap, n = 0;

        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0)
                goto fail;
        if (S_ISDIR(st.st_mode)) {
                errno = EISDIR;
                goto fail;
        }
        /* The size is a hint (pipes and /proc say 0); the loop decides. */
        cap = S_ISREG(st.st_mode) && (uint64_t)st.st_size < max ? (size_t)st.st_size + 1 : 65536;
        buf = xmalloc(cap + 1);
        for (;;) {
                size_t r;

                if (n == cap) {
                        if (cap >= max) {
                                errno = EFBIG;
                                goto fail;
                        }
                        cap = cap * 2 > max ? max : cap * 2;
                        buf = xrealloc(buf, cap + 1);
                }
                r = safe_read(fd, buf + n, cap - n);
                if (r == SAFE_READ_ERROR)
                        goto fail;
                if (r == 0)
                        break;
                n += r;
        }
        close(fd);
        buf[n] = '\0';
        *len = n;
        return buf;
fail:
        {
                int e = errno;

                free(buf);
                close(fd);
                errno = e;
        }
        return NULL;
}

char *slurp_or_say(const char *path, size_t max, size_t *len)
{
        char *buf = slurp(path, max, len);

        if (!buf)
                error(0, errno, "cannot read %s", path);
        return buf;
}

void json_str(FILE *f, const char *s)
{
        putc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c < 0x20)
                        fprintf(f, "\\u%04x", c);
                else
                        putc(c, f);
        }
        putc('"', f);
}

void conf_arg(int key, char *arg, struct argp_state *state, const char **conf)
{
        if (key == ARGP_KEY_ARG) {
                if (*conf)
                        argp_error(state, "expected exactly one CONF argument");
                *conf = arg;
        } else if (key == ARGP_KEY_END && !*conf) {
                argp_error(state, "expected exactly one CONF argument");
        }
}

char *esp_file(const char *esp_root, const char *path)
{
        return xasprintf("%s%s", esp_root, path);
}

static bool esp_exists(void *ctx, const char *path)
{
        const char *const *root = ctx;
        char *full = esp_file(*root, path);
        struct stat st;
        bool ok = stat(full, &st) == 0 && S_ISREG(st.st_mode);

        free(full);
        return ok;
}

/* The slot images, as the switcher reads them at boot. */
#define IMAGE_MAX ((size_t)4 << 30)

/* Bytes of a file, or -1 (errno set). */
static int64_t file_size(const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return -1;
        return st.st_size;
}

/*
 * A plain 'linux' slot's kernel against the slot, as the switcher checks it
 * at start-up (sw_slot_kernel_check(), the same messages): the kernel's
 * head and length, and the initrds' total, each padded to 4 bytes.  Drops
 * the slot when it fails; also resolves 'arch auto' for the planner.
 */
static void check_kernel(struct sw_config *c, struct sw_slot_config *s, const char *esp_root, struct sw_diag *d)
{
        static uint8_t head[64 * 1024];
        struct sw_bzimage_info info;
        uint64_t initrds = 0;
        char *full = esp_file(esp_root, s->linux_path);
        int64_t klen = file_size(full);
        size_t got = SAFE_READ_ERROR;
        int fd;

        fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                got = safe_read(fd, head, sizeof(head));
                close(fd);
        }
        if (klen < 0 || got == SAFE_READ_ERROR) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': kernel '%s': cannot read: %s; slot dropped",
                         c->filename, s->linux_line, s->id, s->linux_path, strerror(errno));
                s->valid = false;
                free(full);
                return;
        }
        free(full);
        for (unsigned k = 0; k < s->ninitrd; k++) {
                char *ipath = esp_file(esp_root, s->initrd[k]);
                int64_t n = file_size(ipath);

                free(ipath);
                if (n > 0)
                        initrds += ((uint64_t)n + 3) & ~3ULL;
        }
        if (sw_slot_kernel_check(s, c->filename, head, got, (uint64_t)klen, sw_slot_memory(c, s), initrds,
                                 &info, d) < 0)
                s->valid = false;
}

/* A slot image's kernel against the slot, as the switcher checks it. */
static void check_image_kernel(struct sw_config *c, struct sw_slot_config *s, const struct sw_slotimg *img,
                               const struct sw_bzimage_info *info, struct sw_diag *d)
{
        char *what = xasprintf("%s:%u: slot '%s': image '%s'", c->filename, s->image_line, s->id, s->image_path);
        uint64_t initrds = 0;

        if (img->ninitrd == 1)
                initrds = img->initrd[0].size;
        else
                for (unsigned k = 0; k < img->ninitrd; k++)
                        initrds += (img->initrd[k].size + 3) & ~3ULL;
        if (sw_bzimage_check_slot(info, s, sw_slot_memory(c, s), initrds, what, d) < 0) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': kernel cannot run in this slot; slot dropped", c->filename,
                         s->image_line, s->id);
                s->valid = false;
        }
        free(what);
}

int load_config(const char *path, const char *esp_root, struct sw_config *c, struct sw_diag *d)
{
        size_t len;
        char *buf = slurp_or_say(path, 1 << 20, &len);

        if (!buf)
                return -1;
        sw_config_parse(c, buf, len, path, d);
        free(buf);
        if (!esp_root)
                return 0;
        sw_config_check_files(c, esp_exists, &esp_root, d);
        for (unsigned i = 0; i < c->nslots; i++) {
                struct sw_slot_config *s = &c->slots[i];
                static struct sw_slotimg img;
                struct sw_bzimage_info info;
                char *full, *data;

                if (!s->valid)
                        continue;
                if (!s->image_path[0]) {
                        check_kernel(c, s, esp_root, d);
                        continue;
                }
                full = esp_file(esp_root, s->image_path);
                data = slurp(full, IMAGE_MAX, &len);
                if (!data) {
                        sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': image '%s': cannot read: %s; slot dropped",
                                 c->filename, s->image_line, s->id, s->image_path, strerror(errno));
                        s->valid = false;
                } else if (sw_slotimg_for_slot(data, len, s, c->filename, &img, &info, d) == 0) {
                        check_image_kernel(c, s, &img, &info, d);
                }
                free(data);
                free(full);
        }
        return 0;
}

int run_tool(const char *const argv[], const char *log)
{
        char *const *av;
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int st, e;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        if (log) {
                posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
                posix_spawn_file_actions_adddup2(&fa, 1, 2);
        }
        /* posix_spawn's argv is not const for history's sake; it is not written. */
        memcpy(&av, &argv, sizeof(av));
        e = posix_spawnp(&pid, argv[0], &fa, NULL, av, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (e) {
                error(0, e, "cannot run %s", argv[0]);
                return -1;
        }
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR) {
                        error(0, errno, "waiting for %s", argv[0]);
                        return -1;
                }
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        error(0, 0, "%s died of signal %d", argv[0], WTERMSIG(st));
        return -1;
}

void show_log(const char *log)
{
        size_t len;
        char *buf = slurp(log, 1 << 20, &len), *p;
        int lines = 0;

        if (!buf || !len) {
                free(buf);
                return;
        }
        /* The last 15 lines say why; the rest is progress noise. */
        for (p = buf + len; p > buf; p--)
                if (p[-1] == '\n' && p != buf + len && ++lines == 15)
                        break;
        for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n"))
                fprintf(stderr, "    | %s\n", line);
        free(buf);
}

#define CHUNK (1u << 20)

int copy_into(const char *src, int fd, uint64_t offset, bool sparse)
{
        static char buf[CHUNK], zero[CHUNK];
        int in = open(src, O_RDONLY | O_CLOEXEC);

        if (in < 0)
                return -1;
        for (;;) {
                size_t r = safe_read(in, buf, CHUNK);

                if (r == SAFE_READ_ERROR)
                        goto fail;
                if (r == 0)
                        break;
                /* A fresh image file reads as zeros where nothing was written. */
                if (!(sparse && r == CHUNK && memcmp(buf, zero, CHUNK) == 0)) {
                        if (lseek(fd, (off_t)offset, SEEK_SET) < 0 || full_write(fd, buf, r) != r)
                                goto fail;
                }
                offset += r;
        }
        close(in);
        return 0;
fail:
        {
                int e = errno;

                close(in);
                errno = e;
        }
        return -1;
}

int install_file(const char *src, const char *dest)
{
        char *tmp = xasprintf("%s.mkslot-tmp", dest);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0) {
                error(0, errno, "cannot create %s", tmp);
                free(tmp);
                return -1;
        }
        if (copy_into(src, fd, 0, false) < 0 || fsync(fd) < 0) {
                error(0, errno, "cannot copy %s to %s", src, dest);
                close(fd);
                unlink(tmp);
                free(tmp);
                return -1;
        }
        close(fd);
        if (rename(tmp, dest) < 0) {
                error(0, errno, "cannot rename %s to %s", tmp, dest);
                unlink(tmp);
                free(tmp);
                return -1;
        }
        free(tmp);
        return 0;
}

int make_dirs(const char *path)
{
        char *p = xstrdup(path);

        for (char *s = p + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;

                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                        error(0, errno, "cannot create directory %s", p);
                        free(p);
                        return -1;
                }
                *s = c;
                if (!c)
                        break;
        }
        free(p);
        return 0;
}

int commit_output(const char *tmp, const char *out, bool force)
{
        if (force) {
                if (rename(tmp, out) == 0)
                        return 0;
                error(0, errno, "cannot rename %s to %s", tmp, out);
        } else if (link(tmp, out) == 0) {
                unlink(tmp);
                return 0;
        } else if (errno == EEXIST) {
                error(0, 0, "%s exists; not replaced (use --force)", out);
        } else {
                error(0, errno, "cannot create %s", out);
        }
        unlink(tmp);
        return -1;
}
