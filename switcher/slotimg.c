/* SPDX-License-Identifier: MIT */
/*
 * Slot images: writer, parser and verifier (see slotimg.h for the format).
 * The parser treats the file as hostile: the tree is checked whole by
 * libfdt first, every property's length is checked exactly before it is
 * read, and every blob range is checked against the file with 64-bit,
 * overflow-free arithmetic before a pointer into it is formed.
 */
#include "slotimg.h"

#include <libfdt.h>
#include <string.h>

#include "fmt.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
        return (v + a - 1) & ~(a - 1);
}

static void put_be32(uint8_t b[4], uint32_t v)
{
        b[0] = (uint8_t)(v >> 24);
        b[1] = (uint8_t)(v >> 16);
        b[2] = (uint8_t)(v >> 8);
        b[3] = (uint8_t)v;
}

static void hash_field(struct sw_sha256 *c, const char *s)
{
        uint8_t len[4];
        size_t n = strlen(s);

        put_be32(len, (uint32_t)n);
        sw_sha256_update(c, len, 4);
        sw_sha256_update(c, s, n);
}

static void hash_image(struct sw_sha256 *c, const struct sw_slotimg_blob *b, const char *type,
                       const char *arch)
{
        uint8_t size[4];

        sw_sha256_update(c, b->name, strlen(b->name) + 1);
        sw_sha256_update(c, type, strlen(type) + 1);
        sw_sha256_update(c, arch, strlen(arch) + 1);
        put_be32(size, b->size);
        sw_sha256_update(c, size, 4);
        sw_sha256_update(c, b->hash, SW_SHA256_LEN);
}

/* The canonical configuration digest described in slotimg.h. */
static void config_digest(const struct sw_slotimg *img, uint8_t out[SW_SHA256_LEN])
{
        const char *arch = sw_arch_name(img->arch);
        struct sw_sha256 c;
        uint8_t n[4];

        sw_sha256_init(&c);
        sw_sha256_update(&c, SW_SLOTIMG_FORMAT, sizeof(SW_SLOTIMG_FORMAT));
        hash_field(&c, img->title);
        hash_field(&c, img->cmdline);
        hash_field(&c, arch);
        hash_field(&c, sw_mode_name(img->mode));
        put_be32(n, 1 + img->ninitrd);
        sw_sha256_update(&c, n, 4);
        hash_image(&c, &img->kernel, "kernel", arch);
        for (unsigned i = 0; i < img->ninitrd && i < SW_MAX_INITRD; i++)
                hash_image(&c, &img->initrd[i], "ramdisk", arch);
        sw_sha256_final(&c, out);
}

/* ------------------------------------------------------------------------ */
/* Writer. */

static int put_image(void *fdt, const struct sw_slotimg_blob *b, const char *type, const char *arch)
{
        int e = 0;

        e = e ?: fdt_begin_node(fdt, b->name);
        e = e ?: fdt_property_string(fdt, "type", type);
        e = e ?: fdt_property_string(fdt, "arch", arch);
        e = e ?: fdt_property_u32(fdt, "data-offset", b->offset);
        e = e ?: fdt_property_u32(fdt, "data-size", b->size);
        e = e ?: fdt_property_string(fdt, "hash-algo", "sha256");
        e = e ?: fdt_property(fdt, "hash", b->hash, SW_SHA256_LEN);
        e = e ?: fdt_end_node(fdt);
        return e;
}

int sw_slotimg_build(struct sw_slotimg *img, void *fdt, size_t cap, const char *what,
                     struct sw_diag *d)
{
        const char *arch = sw_arch_name(img->arch);
        char names[SW_MAX_INITRD * SW_SLOTIMG_NAME_MAX];
        size_t nlen = 0;
        uint64_t off;
        int e = 0;

        if (!what)
                what = "slot image";
        if (img->arch != SW_ARCH_X86_64 && img->arch != SW_ARCH_I386) {
                sw_diagf(d, SW_ERROR, "%s: arch must be x86_64 or i386, not %s", what, arch);
                return -1;
        }
        if (img->ninitrd > SW_MAX_INITRD) {
                sw_diagf(d, SW_ERROR, "%s: %u initrds, at most %d", what, img->ninitrd, SW_MAX_INITRD);
                return -1;
        }
        if (strnlen(img->title, SW_TITLE_MAX) >= SW_TITLE_MAX ||
            strnlen(img->cmdline, SW_OPTIONS_MAX) >= SW_OPTIONS_MAX) {
                sw_diagf(d, SW_ERROR, "%s: title or command line too long", what);
                return -1;
        }

        /* Blobs back to back in the store, each at a multiple of 8. */
        sw_snprintf(img->kernel.name, sizeof(img->kernel.name), "kernel");
        img->kernel.offset = 0;
        off = img->kernel.size;
        for (unsigned i = 0; i < img->ninitrd; i++) {
                struct sw_slotimg_blob *b = &img->initrd[i];

                sw_snprintf(b->name, sizeof(b->name), "initrd-%u", i + 1);
                memcpy(names + nlen, b->name, strlen(b->name) + 1);
                nlen += strlen(b->name) + 1;
                off = align_up(off, SW_SLOTIMG_ALIGN);
                if (off > UINT32_MAX)
                        break;
                b->offset = (uint32_t)off;
                off += b->size;
        }
        if (off > UINT32_MAX) {
                sw_diagf(d, SW_ERROR, "%s: kernel and initrds take 4 GiB or more; a slot image holds less", what);
                return -1;
        }
        config_digest(img, img->config_hash);

        e = e ?: fdt_create(fdt, (int)(cap > SW_SLOTIMG_FDT_MAX ? SW_SLOTIMG_FDT_MAX : cap));
        e = e ?: fdt_finish_reservemap(fdt);
        e = e ?: fdt_begin_node(fdt, "");
        e = e ?: fdt_property_string(fdt, "format", SW_SLOTIMG_FORMAT);
        e = e ?: fdt_begin_node(fdt, "images");
        e = e ?: put_image(fdt, &img->kernel, "kernel", arch);
        for (unsigned i = 0; i < img->ninitrd && !e; i++)
                e = put_image(fdt, &img->initrd[i], "ramdisk", arch);
        e = e ?: fdt_end_node(fdt);
        e = e ?: fdt_begin_node(fdt, "configuration");
        e = e ?: fdt_property_string(fdt, "title", img->title);
        e = e ?: fdt_property_string(fdt, "cmdline", img->cmdline);
        e = e ?: fdt_property_string(fdt, "arch", arch);
        e = e ?: fdt_property_string(fdt, "mode", sw_mode_name(img->mode));
        e = e ?: fdt_property_string(fdt, "kernel", "kernel");
        e = e ?: fdt_property(fdt, "initrds", names, (int)nlen);
        e = e ?: fdt_property_string(fdt, "hash-algo", "sha256");
        e = e ?: fdt_property(fdt, "hash", img->config_hash, SW_SHA256_LEN);
        e = e ?: fdt_end_node(fdt);
        e = e ?: fdt_end_node(fdt);
        e = e ?: fdt_finish(fdt);
        if (e) {
                sw_diagf(d, SW_ERROR, "%s: cannot build the image header: %s", what, fdt_strerror(e));
                return -1;
        }
        img->fdt_size = fdt_totalsize(fdt);
        img->store_offset = align_up(img->fdt_size, SW_SLOTIMG_ALIGN);
        img->file_size = img->store_offset + off;
        return 0;
}

/* ------------------------------------------------------------------------ */
/* Parser. */

struct reader {
        const void *fdt;
        const char *what;
        struct sw_diag *d;
};

/* A property that is a NUL-terminated string shorter than max, copied to
 * out (max bytes); "" and -1 when absent or malformed (not reported). */
/*
 * A string property of at most max bytes with its NUL, and no control
 * characters: every one of them ends up in a message, on the menu or on a
 * kernel command line, and a stray escape byte would garble the console.
 * The fuzzer found messages quoting raw bytes.
 */
static int get_str(const struct reader *r, int node, const char *name, char *out, size_t max)
{
        int len;
        const char *v = fdt_getprop(r->fdt, node, name, &len);

        out[0] = '\0';
        if (!v || len < 1 || (size_t)len > max || v[len - 1] != '\0' || strnlen(v, (size_t)len) != (size_t)len - 1)
                return -1;
        for (int i = 0; i < len - 1; i++)
                if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
                        return -1;
        memcpy(out, v, (size_t)len);
        return 0;
}

static int get_u32(const struct reader *r, int node, const char *name, uint32_t *out)
{
        int len;
        const uint8_t *v = fdt_getprop(r->fdt, node, name, &len);

        if (!v || len != 4)
                return -1;
        *out = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
        return 0;
}

/* hash-algo "sha256" and a 32-byte hash; path names the node in messages. */
static int get_hash(const struct reader *r, int node, const char *path, uint8_t out[SW_SHA256_LEN])
{
        char algo[16];
        int len;
        const void *v;

        if (get_str(r, node, "hash-algo", algo, sizeof(algo)) < 0 || strcmp(algo, "sha256") != 0) {
                sw_diagf(r->d, SW_ERROR, "%s: %s: hash-algo is not \"sha256\"", r->what, path);
                return -1;
        }
        v = fdt_getprop(r->fdt, node, "hash", &len);
        if (!v || len != SW_SHA256_LEN) {
                sw_diagf(r->d, SW_ERROR, "%s: %s: no 32-byte 'hash'", r->what, path);
                return -1;
        }
        memcpy(out, v, SW_SHA256_LEN);
        return 0;
}

static int arch_from_name(const char *s, enum sw_arch *out)
{
        if (strcmp(s, "x86_64") == 0)
                *out = SW_ARCH_X86_64;
        else if (strcmp(s, "i386") == 0)
                *out = SW_ARCH_I386;
        else
                return -1;
        return 0;
}

/* One /images node: what the configuration names it (name), the type it
 * must have, within the file. */
static int read_image(const struct reader *r, const char *name, const char *type, const char *arch,
                      const uint8_t *file, size_t len, uint64_t store, struct sw_slotimg_blob *b)
{
        char path[64], got[16];
        int node, images = fdt_subnode_offset(r->fdt, 0, "images");
        uint64_t end;

        /* The names come from the configuration's string lists, not through
         * get_str(): they must be printable before a message quotes one. */
        for (const char *c = name; *c; c++) {
                if (*c <= 0x20 || *c >= 0x7f) {
                        sw_diagf(r->d, SW_ERROR, "%s: /configuration names an image whose name is not printable text",
                                 r->what);
                        return -1;
                }
        }
        sw_snprintf(path, sizeof(path), "/images/%s", name);
        if (strnlen(name, SW_SLOTIMG_NAME_MAX) >= SW_SLOTIMG_NAME_MAX ||
            (node = images < 0 ? images : fdt_subnode_offset(r->fdt, images, name)) < 0) {
                sw_diagf(r->d, SW_ERROR, "%s: no %s node", r->what, path);
                return -1;
        }
        memcpy(b->name, name, strlen(name) + 1);
        if (get_str(r, node, "type", got, sizeof(got)) < 0 || strcmp(got, type) != 0) {
                sw_diagf(r->d, SW_ERROR, "%s: %s: type '%s', expected '%s'", r->what, path, got, type);
                return -1;
        }
        if (get_str(r, node, "arch", got, sizeof(got)) < 0 || strcmp(got, arch) != 0) {
                sw_diagf(r->d, SW_ERROR, "%s: %s: arch '%s', the configuration says '%s'", r->what, path, got, arch);
                return -1;
        }
        if (get_u32(r, node, "data-offset", &b->offset) < 0) {
                sw_diagf(r->d, SW_ERROR, "%s: %s: no 32-bit 'data-offset'", r->what, path);
                return -1;
        }
        if (get_u32(r, node, "data-size", &b->size) < 0) {
                sw_diagf(r->d, SW_ERROR, "%s: %s: no 32-bit 'data-size'", r->what, path);
                return -1;
        }
        if (get_hash(r, node, path, b->hash) < 0)
                return -1;
        /* store <= 64 KiB + 8 and both values < 2^32: no 64-bit overflow. */
        end = store + b->offset + b->size;
        if (end > len) {
                sw_diagf(r->d, SW_ERROR, "%s: truncated: %s ends at byte %llu, the file has %zu",
                         r->what, name, (unsigned long long)end, len);
                return -1;
        }
        b->data = file + store + b->offset;
        b->hash_ok = false;
        return 0;
}

int sw_slotimg_parse(const void *buf, size_t len, const char *what, struct sw_slotimg *out,
                     struct sw_diag *d)
{
        struct reader r = { .fdt = buf, .what = what ? what : "slot image", .d = d };
        char format[32], arch[16], mode[16], kname[SW_SLOTIMG_NAME_MAX];
        const char *names;
        int conf, nlen, e;
        uint32_t total;
        uint64_t end = 0;

        memset(out, 0, sizeof(*out));
        if (len < sizeof(struct fdt_header)) {
                sw_diagf(d, SW_ERROR, "%s: truncated: %zu bytes, less than a slot image header", r.what, len);
                return -1;
        }
        if (fdt_magic(buf) != FDT_MAGIC) {
                sw_diagf(d, SW_ERROR, "%s: not a slot image (no device-tree header)", r.what);
                return -1;
        }
        total = fdt_totalsize(buf);
        if (total > SW_SLOTIMG_FDT_MAX) {
                sw_diagf(d, SW_ERROR, "%s: header of %u bytes, more than a slot image has (%d)", r.what, total,
                         SW_SLOTIMG_FDT_MAX);
                return -1;
        }
        if (total > len) {
                sw_diagf(d, SW_ERROR, "%s: truncated: %zu bytes, its header says %u", r.what, len, total);
                return -1;
        }
        e = fdt_check_full(buf, total);
        if (e) {
                sw_diagf(d, SW_ERROR, "%s: damaged header: %s", r.what, fdt_strerror(e));
                return -1;
        }
        if (get_str(&r, 0, "format", format, sizeof(format)) < 0 || strcmp(format, SW_SLOTIMG_FORMAT) != 0) {
                sw_diagf(d, SW_ERROR, "%s: not a slot image (format '%s', expected '%s')", r.what, format,
                         SW_SLOTIMG_FORMAT);
                return -1;
        }
        out->fdt_size = total;
        out->store_offset = align_up(total, SW_SLOTIMG_ALIGN);

        conf = fdt_subnode_offset(buf, 0, "configuration");
        if (conf < 0) {
                sw_diagf(d, SW_ERROR, "%s: no /configuration node", r.what);
                return -1;
        }
        if (get_str(&r, conf, "title", out->title, sizeof(out->title)) < 0) {
                sw_diagf(d, SW_ERROR, "%s: /configuration: no 'title' string of printable text (at most %d bytes)", r.what,
                         SW_TITLE_MAX - 1);
                return -1;
        }
        if (get_str(&r, conf, "cmdline", out->cmdline, sizeof(out->cmdline)) < 0) {
                sw_diagf(d, SW_ERROR, "%s: /configuration: no 'cmdline' string of printable text (at most %d bytes)", r.what,
                         SW_OPTIONS_MAX - 1);
                return -1;
        }
        if (get_str(&r, conf, "arch", arch, sizeof(arch)) < 0 || arch_from_name(arch, &out->arch) < 0) {
                sw_diagf(d, SW_ERROR, "%s: /configuration: arch '%s' is not x86_64 or i386", r.what, arch);
                return -1;
        }
        get_str(&r, conf, "mode", mode, sizeof(mode));
        if (strcmp(mode, "swap") == 0)
                out->mode = SW_MODE_SWAP;
        else if (strcmp(mode, "in-place") == 0)
                out->mode = SW_MODE_IN_PLACE;
        else {
                sw_diagf(d, SW_ERROR, "%s: /configuration: mode '%s' is not swap or in-place", r.what, mode);
                return -1;
        }
        if (get_hash(&r, conf, "/configuration", out->config_hash) < 0)
                return -1;
        if (get_str(&r, conf, "kernel", kname, sizeof(kname)) < 0) {
                sw_diagf(d, SW_ERROR, "%s: /configuration: no 'kernel' naming an image", r.what);
                return -1;
        }
        if (read_image(&r, kname, "kernel", arch, buf, len, out->store_offset, &out->kernel) < 0)
                return -1;
        end = out->kernel.offset + (uint64_t)out->kernel.size;

        /* initrds: a string list, possibly empty or absent. */
        names = fdt_getprop(buf, conf, "initrds", &nlen);
        if (names && nlen > 0 && names[nlen - 1] != '\0') {
                sw_diagf(d, SW_ERROR, "%s: /configuration: 'initrds' is not a list of names", r.what);
                return -1;
        }
        for (int pos = 0; names && pos < nlen;) {
                size_t n = strnlen(names + pos, (size_t)(nlen - pos));
                struct sw_slotimg_blob *b;

                if (out->ninitrd >= SW_MAX_INITRD) {
                        sw_diagf(d, SW_ERROR, "%s: /configuration: more than %d initrds", r.what, SW_MAX_INITRD);
                        return -1;
                }
                b = &out->initrd[out->ninitrd];
                if (read_image(&r, names + pos, "ramdisk", arch, buf, len, out->store_offset, b) < 0)
                        return -1;
                out->ninitrd++;
                if (b->offset + (uint64_t)b->size > end)
                        end = b->offset + (uint64_t)b->size;
                pos += (int)n + 1;
        }
        out->file_size = out->store_offset + end;
        return 0;
}

static bool blob_ok(struct sw_slotimg_blob *b, const char *what, struct sw_diag *d)
{
        uint8_t h[SW_SHA256_LEN];

        sw_sha256(b->data, b->size, h);
        b->hash_ok = memcmp(h, b->hash, SW_SHA256_LEN) == 0;
        if (!b->hash_ok)
                sw_diagf(d, SW_ERROR, "%s: %s hash mismatch", what, b->name);
        return b->hash_ok;
}

int sw_slotimg_verify(struct sw_slotimg *img, const char *what, struct sw_diag *d)
{
        uint8_t h[SW_SHA256_LEN];
        bool ok;

        if (!what)
                what = "slot image";
        ok = blob_ok(&img->kernel, what, d);
        for (unsigned i = 0; i < img->ninitrd && i < SW_MAX_INITRD; i++)
                ok = blob_ok(&img->initrd[i], what, d) && ok;
        config_digest(img, h);
        img->config_ok = memcmp(h, img->config_hash, SW_SHA256_LEN) == 0;
        if (!img->config_ok)
                sw_diagf(d, SW_ERROR, "%s: configuration hash mismatch", what);
        return ok && img->config_ok ? 0 : -1;
}

int sw_slotimg_load(const void *buf, size_t len, const char *what, struct sw_slotimg *out,
                    struct sw_diag *d)
{
        if (sw_slotimg_parse(buf, len, what, out, d) < 0)
                return -1;
        return sw_slotimg_verify(out, what, d);
}

/* ------------------------------------------------------------------------ */
/* The image meets partitions.conf. */

int sw_slotimg_apply(const struct sw_slotimg *img, struct sw_slot_config *s, const char *conf_file,
                     struct sw_diag *d)
{
        char cmdline[SW_OPTIONS_MAX];
        int n;

        if (!conf_file)
                conf_file = "partitions.conf";
        if (s->arch_line && s->arch != SW_ARCH_AUTO && s->arch != img->arch) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': arch %s in partitions.conf, the image says %s; slot dropped",
                         conf_file, s->arch_line, s->id, sw_arch_name(s->arch), sw_arch_name(img->arch));
                s->valid = false;
                return -1;
        }
        if (s->mode_line && s->mode != img->mode) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': mode %s in partitions.conf, the image says %s; slot dropped",
                         conf_file, s->mode_line, s->id, sw_mode_name(s->mode), sw_mode_name(img->mode));
                s->valid = false;
                return -1;
        }
        /* The slot's own options come last: the machine knows its root=. */
        n = sw_snprintf(cmdline, sizeof(cmdline), "%s%s%s", img->cmdline, img->cmdline[0] && s->options[0] ? " " : "",
                        s->options);
        if (n < 0 || (size_t)n >= sizeof(cmdline)) {
                sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': the image's command line and 'options' together are %d bytes, "
                         "more than %d; slot dropped", conf_file, s->image_line, s->id, n, SW_OPTIONS_MAX - 1);
                s->valid = false;
                return -1;
        }
        memcpy(s->options, cmdline, sizeof(cmdline));
        s->arch = img->arch;
        s->mode = img->mode;
        if (!s->title_line && img->title[0])
                memcpy(s->title, img->title, sizeof(s->title));
        return 0;
}

int sw_slotimg_for_slot(const void *buf, size_t len, struct sw_slot_config *s, const char *conf_file,
                        struct sw_slotimg *img, struct sw_bzimage_info *info, struct sw_diag *d)
{
        char what[SW_PATH_MAX + SW_ID_MAX + 16];
        char kwhat[sizeof(what) + 16];

        if (!conf_file)
                conf_file = "partitions.conf";
        sw_snprintf(what, sizeof(what), "slot '%s': %s", s->id, s->image_path);
        sw_snprintf(kwhat, sizeof(kwhat), "%s: kernel", what);
        if (sw_slotimg_load(buf, len, what, img, d) < 0 ||
            sw_bzimage_parse(img->kernel.data, img->kernel.size, kwhat, info, d) < 0)
                goto refused;
        if (info->is_64bit_kernel != (img->arch == SW_ARCH_X86_64)) {
                sw_diagf(d, SW_ERROR, "%s: the kernel is %s, the image says %s", what,
                         info->is_64bit_kernel ? "x86_64" : "i386", sw_arch_name(img->arch));
                goto refused;
        }
        if (sw_slotimg_apply(img, s, conf_file, d) < 0)
                return -1;
        return 0;
refused:
        sw_diagf(d, SW_ERROR, "%s:%u: slot '%s': image '%s' refused; slot dropped", conf_file, s->image_line,
                 s->id, s->image_path);
        s->valid = false;
        return -1;
}
