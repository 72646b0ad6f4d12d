/* SPDX-License-Identifier: MIT */
/*
 * mkslot image and mkslot inspect: writing and reading slot images (the
 * format is in switcher/slotimg.h).  The writer never holds a kernel or an
 * initrd in memory: it hashes each file in one pass and copies it in a
 * second, hashing again so a file that changed in between is caught.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <argp.h>
#include <error.h>
#include <full-write.h>
#include <progname.h>
#include <safe-read.h>
#include <xalloc.h>
#include <xvasprintf.h>

#include "bzimage.h"
#include "mkslot.h"

struct image_args {
        const char *kernel, *output, *title, *cmdline, *mode;
        const char *initrd[SW_MAX_INITRD + 1];
        unsigned ninitrd;
        bool force, json;
        const char *file;       /* inspect */
};

enum { OPT_KERNEL = 'k', OPT_INITRD = 'i', OPT_OUTPUT = 'o', OPT_FORCE = 'f',
       OPT_TITLE = 0x100, OPT_CMDLINE, OPT_MODE, OPT_JSON };

static const struct argp_option image_options[] = {
        { "kernel", OPT_KERNEL, "FILE", 0, "the kernel (an x86 bzImage); its architecture is read from its header", 0 },
        { "initrd", OPT_INITRD, "FILE", 0, "an initrd; repeat for more (at most 8, loaded back to back)", 0 },
        { "cmdline", OPT_CMDLINE, "TEXT", 0, "the kernel command line (partitions.conf 'options' are appended)", 0 },
        { "title", OPT_TITLE, "TEXT", 0, "the title the menu shows (default: the kernel release)", 0 },
        { "mode", OPT_MODE, "MODE", 0, "swap (default) or in-place", 0 },
        { "output", OPT_OUTPUT, "FILE", 0, "where to write the slot image (required)", 0 },
        { "force", OPT_FORCE, NULL, 0, "replace FILE if it exists", 0 },
        { "json", OPT_JSON, NULL, 0, "describe the written image as JSON on stdout", 0 },
        { 0 },
};

static const struct argp_option inspect_options[] = {
        { "json", OPT_JSON, NULL, 0, "print the contents as JSON on stdout", 0 },
        { 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
        struct image_args *a = state->input;

        switch (key) {
        case OPT_KERNEL:
                a->kernel = arg;
                break;
        case OPT_INITRD:
                if (a->ninitrd >= SW_MAX_INITRD)
                        argp_error(state, "at most %d --initrd", SW_MAX_INITRD);
                a->initrd[a->ninitrd++] = arg;
                break;
        case OPT_OUTPUT:
                a->output = arg;
                break;
        case OPT_FORCE:
                a->force = true;
                break;
        case OPT_TITLE:
                a->title = arg;
                break;
        case OPT_CMDLINE:
                a->cmdline = arg;
                break;
        case OPT_MODE:
                if (strcmp(arg, "swap") && strcmp(arg, "in-place"))
                        argp_error(state, "--mode is swap or in-place, not '%s'", arg);
                a->mode = arg;
                break;
        case OPT_JSON:
                a->json = true;
                break;
        case ARGP_KEY_ARG:
                if (a->file)
                        argp_error(state, "expected exactly one FILE");
                a->file = arg;
                break;
        default:
                return ARGP_ERR_UNKNOWN;
        }
        return 0;
}

/*
 * Reads a whole file, hashing it, and (out >= 0) appends it to out as it
 * goes; its size in *n.  One pass for both uses, so the hash of the first
 * pass and the bytes written in the second come from the same reader.
 * 0 or -1 (said).
 */
static int read_hash(const char *path, int out, uint64_t *n, uint8_t hash[SW_SHA256_LEN])
{
        static char buf[1 << 20];
        struct sw_sha256 c;
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        *n = 0;
        if (fd < 0) {
                error(0, errno, "cannot read %s", path);
                return -1;
        }
        sw_sha256_init(&c);
        for (;;) {
                size_t r = safe_read(fd, buf, sizeof(buf));

                if (r == SAFE_READ_ERROR) {
                        error(0, errno, "cannot read %s", path);
                        close(fd);
                        return -1;
                }
                if (r == 0)
                        break;
                sw_sha256_update(&c, buf, r);
                if (out >= 0 && full_write(out, buf, r) != r) {
                        error(0, errno, "cannot write the slot image");
                        close(fd);
                        return -1;
                }
                *n += r;
        }
        close(fd);
        sw_sha256_final(&c, hash);
        return 0;
}

/* Hashes a whole file; its size in *size.  0 or -1 (said). */
static int hash_file(const char *path, uint32_t *size, uint8_t hash[SW_SHA256_LEN])
{
        uint64_t n;

        if (read_hash(path, -1, &n, hash) < 0)
                return -1;
        if (n >= UINT32_MAX) {
                error(0, 0, "%s: %llu bytes; a slot image holds less than 4 GiB", path, (unsigned long long)n);
                return -1;
        }
        *size = (uint32_t)n;
        return 0;
}

/* Appends a file at the end of out, zero padded to a multiple of 8, and
 * checks it still has the hash of the first pass. */
static int append_file(int out, const char *path, const struct sw_slotimg_blob *b)
{
        static const char zeros[SW_SLOTIMG_ALIGN];
        uint8_t h[SW_SHA256_LEN];
        uint64_t n;

        if (read_hash(path, out, &n, h) < 0)
                return -1;
        if (n != b->size || memcmp(h, b->hash, SW_SHA256_LEN) != 0) {
                error(0, 0, "%s changed while it was being packed; try again", path);
                return -1;
        }
        if (n % SW_SLOTIMG_ALIGN && full_write(out, zeros, SW_SLOTIMG_ALIGN - n % SW_SLOTIMG_ALIGN) !=
                                            SW_SLOTIMG_ALIGN - n % SW_SLOTIMG_ALIGN) {
                error(0, errno, "cannot write the slot image");
                return -1;
        }
        return 0;
}

static void print_blob_json(const struct sw_slotimg_blob *b, bool verified)
{
        char hex[SW_SHA256_HEX_LEN];

        printf("{\"name\":\"%s\",\"size\":%u,\"sha256\":\"%s\"", b->name, b->size, sw_sha256_hex(b->hash, hex));
        if (verified)
                printf(",\"ok\":%s", b->hash_ok ? "true" : "false");
        printf("}");
}

/* The image as JSON; verified says whether hash_ok/config_ok mean anything. */
static void print_image_json(const char *file, const struct sw_slotimg *img, const struct sw_bzimage_info *info,
                             bool verified)
{
        char hex[SW_SHA256_HEX_LEN];

        printf("{\"file\":");
        json_str(stdout, file);
        printf(",\"format\":\"%s\",\"size\":%llu,\"title\":", SW_SLOTIMG_FORMAT, (unsigned long long)img->file_size);
        json_str(stdout, img->title);
        printf(",\"cmdline\":");
        json_str(stdout, img->cmdline);
        printf(",\"arch\":\"%s\",\"mode\":\"%s\",\"kernel_release\":", sw_arch_name(img->arch),
               sw_mode_name(img->mode));
        json_str(stdout, info ? info->kernel_version : "");
        printf(",\"kernel\":");
        print_blob_json(&img->kernel, verified);
        printf(",\"initrds\":[");
        for (unsigned i = 0; i < img->ninitrd; i++) {
                printf("%s", i ? "," : "");
                print_blob_json(&img->initrd[i], verified);
        }
        printf("],\"config_sha256\":\"%s\"", sw_sha256_hex(img->config_hash, hex));
        if (verified)
                printf(",\"verified\":%s", img->config_ok && img->kernel.hash_ok ? "true" : "false");
        printf("}\n");
}

int cmd_image(int argc, char **argv)
{
        static const struct argp argp = {
                image_options, parse_opt, NULL,
                "Packs a kernel, its initrds, command line and title into one slot image, with a SHA-256 over "
                "each and one binding them; the switcher verifies them before it boots the slot.  Name it in "
                "partitions.conf with 'image /path/on/the/esp.slot'.\v"
                "Example: mkslot image -k vmlinuz -i initrd.img --cmdline 'console=ttyS0' -o debian.slot",
                NULL, NULL, NULL,
        };
        static struct sw_slotimg img;
        static char fdt[SW_SLOTIMG_FDT_MAX];
        static char head[65536];
        static const char zeros[SW_SLOTIMG_ALIGN];
        struct image_args a = { 0 };
        struct sw_bzimage_info info;
        struct stat st;
        char *tmp = NULL;
        size_t hn;
        int fd = -1, in, rc = 1;

        argp_parse(&argp, argc, argv, 0, NULL, &a);
        if (a.file) {
                error(0, 0, "image: unexpected argument '%s' (the output is -o FILE)", a.file);
                return EXIT_USAGE;
        }
        if (!a.kernel || !a.output) {
                error(0, 0, "image: --kernel FILE and --output FILE are required");
                return EXIT_USAGE;
        }
        if (!a.force && lstat(a.output, &st) == 0) {
                error(0, 0, "%s exists; not replaced (use --force)", a.output);
                return 1;
        }

        /* The kernel's header decides the architecture; a file that is no
         * bzImage is refused here, not at boot. */
        in = open(a.kernel, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0) {
                error(0, errno, "cannot read kernel %s", a.kernel);
                if (in >= 0)
                        close(in);
                return 1;
        }
        hn = safe_read(in, head, sizeof(head));
        close(in);
        if (hn == SAFE_READ_ERROR) {
                error(0, errno, "cannot read kernel %s", a.kernel);
                return 1;
        }
        {
                char *what = xasprintf("kernel %s", a.kernel);
                int e = sw_bzimage_parse_head(head, hn, (uint64_t)st.st_size, what, &info, &stderr_diag);

                free(what);
                if (e < 0) {
                        error(0, 0, "image: %s is not a usable x86 bzImage; nothing written", a.kernel);
                        return 1;
                }
        }

        memset(&img, 0, sizeof(img));
        snprintf(img.title, sizeof(img.title), "%s", a.title ? a.title : info.kernel_version);
        if (a.title && strlen(a.title) >= sizeof(img.title)) {
                error(0, 0, "image: --title is longer than %d bytes", SW_TITLE_MAX - 1);
                return EXIT_USAGE;
        }
        if (a.cmdline && strlen(a.cmdline) >= sizeof(img.cmdline)) {
                error(0, 0, "image: --cmdline is longer than %d bytes", SW_OPTIONS_MAX - 1);
                return EXIT_USAGE;
        }
        if (a.cmdline && info.cmdline_size && strlen(a.cmdline) > info.cmdline_size) {
                error(0, 0, "image: --cmdline is %zu bytes, the kernel takes at most %u", strlen(a.cmdline),
                      info.cmdline_size);
                return 1;
        }
        snprintf(img.cmdline, sizeof(img.cmdline), "%s", a.cmdline ? a.cmdline : "");
        img.arch = info.is_64bit_kernel ? SW_ARCH_X86_64 : SW_ARCH_I386;
        img.mode = a.mode && !strcmp(a.mode, "in-place") ? SW_MODE_IN_PLACE : SW_MODE_SWAP;
        img.ninitrd = a.ninitrd;
        if (hash_file(a.kernel, &img.kernel.size, img.kernel.hash) < 0)
                return 1;
        for (unsigned i = 0; i < a.ninitrd; i++)
                if (hash_file(a.initrd[i], &img.initrd[i].size, img.initrd[i].hash) < 0)
                        return 1;
        if (sw_slotimg_build(&img, fdt, sizeof(fdt), a.output, &stderr_diag) < 0)
                return 1;

        /* Written next to the output and renamed when complete: a failure
         * or a crash never leaves a half image under the real name. */
        tmp = xasprintf("%s.XXXXXX", a.output);
        fd = mkstemp(tmp);
        if (fd < 0) {
                error(0, errno, "cannot create a file next to %s", a.output);
                free(tmp);
                return 1;
        }
        if (full_write(fd, fdt, img.fdt_size) != img.fdt_size ||
            full_write(fd, zeros, img.store_offset - img.fdt_size) != img.store_offset - img.fdt_size) {
                error(0, errno, "cannot write %s", tmp);
                goto out;
        }
        if (append_file(fd, a.kernel, &img.kernel) < 0)
                goto out;
        for (unsigned i = 0; i < a.ninitrd; i++)
                if (append_file(fd, a.initrd[i], &img.initrd[i]) < 0)
                        goto out;
        /* The padding after the last blob is not part of the image. */
        if (ftruncate(fd, (off_t)img.file_size) < 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
                error(0, errno, "cannot write %s", tmp);
                goto out;
        }
        close(fd);
        fd = -1;
        if (commit_output(tmp, a.output, a.force) < 0)
                goto out_kept;
        if (a.json) {
                print_image_json(a.output, &img, &info, false);
        } else {
                printf("%s: slot image, %llu bytes: kernel %s (%s), %u initrd(s), mode %s\n", a.output,
                       (unsigned long long)img.file_size, info.kernel_version[0] ? info.kernel_version : "?",
                       sw_arch_name(img.arch), img.ninitrd, sw_mode_name(img.mode));
        }
        rc = 0;
        goto out_kept;
out:
        if (fd >= 0)
                close(fd);
        unlink(tmp);
        error(0, 0, "image: nothing written to %s", a.output);
out_kept:
        free(tmp);
        return rc;
}

int cmd_inspect(int argc, char **argv)
{
        static const struct argp argp = {
                inspect_options, parse_opt, "FILE",
                "Shows what a slot image holds and checks every hash, as the switcher will.  Exit status 0 "
                "when the image is whole and every hash verifies.", NULL, NULL, NULL,
        };
        static struct sw_slotimg img;
        struct image_args a = { 0 };
        struct sw_bzimage_info info;
        char hex[SW_SHA256_HEX_LEN];
        bool have_info;
        size_t len;
        char *buf;
        int ok;

        argp_parse(&argp, argc, argv, 0, NULL, &a);
        if (!a.file) {
                error(0, 0, "inspect: expected exactly one FILE");
                return EXIT_USAGE;
        }
        buf = slurp_or_say(a.file, (size_t)4 << 30, &len);
        if (!buf)
                return 1;
        if (sw_slotimg_parse(buf, len, a.file, &img, &stderr_diag) < 0) {
                free(buf);
                return 1;
        }
        ok = sw_slotimg_verify(&img, a.file, &stderr_diag);
        have_info = sw_bzimage_parse(img.kernel.data, img.kernel.size, a.file, &info, NULL) == 0;
        if (a.json) {
                print_image_json(a.file, &img, have_info ? &info : NULL, true);
        } else {
                printf("%s: slot image (%s), %llu bytes\n", a.file, SW_SLOTIMG_FORMAT,
                       (unsigned long long)img.file_size);
                printf("  title     %s\n  cmdline   %s\n  arch      %s\n  mode      %s\n", img.title, img.cmdline,
                       sw_arch_name(img.arch), sw_mode_name(img.mode));
                printf("  %-9s %10u bytes  sha256 %s  %s", img.kernel.name, img.kernel.size,
                       sw_sha256_hex(img.kernel.hash, hex), img.kernel.hash_ok ? "ok" : "MISMATCH");
                if (have_info)
                        printf("  (Linux %s, boot protocol %u.%02u)", info.kernel_version[0] ? info.kernel_version : "?",
                               info.version >> 8, info.version & 0xff);
                printf("\n");
                for (unsigned i = 0; i < img.ninitrd; i++)
                        printf("  %-9s %10u bytes  sha256 %s  %s\n", img.initrd[i].name, img.initrd[i].size,
                               sw_sha256_hex(img.initrd[i].hash, hex), img.initrd[i].hash_ok ? "ok" : "MISMATCH");
                printf("  config                     sha256 %s  %s\n", sw_sha256_hex(img.config_hash, hex),
                       img.config_ok ? "ok" : "MISMATCH");
        }
        free(buf);
        if (ok < 0) {
                error(0, 0, "%s: damaged: the switcher would refuse it", a.file);
                return 1;
        }
        return 0;
}
