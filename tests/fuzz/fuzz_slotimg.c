/* SPDX-License-Identifier: MIT */
/*
 * A slot image is a file on the ESP that anyone with the ESP mounted can
 * write: the switcher parses it, hashes it and boots from it.  The input is
 * a whole image file.  Checked: the parser and the loader return 0 or -1
 * and say exactly one error when they refuse; an accepted image's blobs lie
 * inside the file; sw_slotimg_for_slot() (what the switcher does) either
 * drops the slot with a message or leaves it valid with a resolved arch.
 *
 * Seeds: (fuzz_seeds builds valid images around the real amd64 header,
 * with and without initrds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sha256.h"
#include "slotimg.h"

#define WHAT "slot 'f': /slots/f.slot"

/* Builds one image file from kernel bytes k (kn) and ninitrd small initrds
 * into a malloc()ed buffer; returns its size, 0 on failure. */
static size_t make_image(const uint8_t *k, size_t kn, unsigned ninitrd, uint8_t **out)
{
        static const char initrd[] = "070701 cpio stand-in";
        static uint8_t fdt[SW_SLOTIMG_FDT_MAX];
        struct sw_slotimg img;
        uint8_t *buf;

        memset(&img, 0, sizeof(img));
        strcpy(img.title, "Fuzz");
        strcpy(img.cmdline, "console=ttyS0");
        img.arch = SW_ARCH_X86_64;
        img.mode = SW_MODE_SWAP;
        img.kernel.size = (uint32_t)kn;
        sw_sha256(k, kn, img.kernel.hash);
        img.ninitrd = ninitrd;
        for (unsigned i = 0; i < ninitrd; i++) {
                img.initrd[i].size = sizeof(initrd);
                sw_sha256(initrd, sizeof(initrd), img.initrd[i].hash);
        }
        if (sw_slotimg_build(&img, fdt, sizeof(fdt), "seed", NULL) < 0)
                return 0;
        buf = calloc(1, img.file_size);
        if (!buf)
                return 0;
        memcpy(buf, fdt, img.fdt_size);
        memcpy(buf + img.store_offset + img.kernel.offset, k, kn);
        for (unsigned i = 0; i < ninitrd; i++)
                memcpy(buf + img.store_offset + img.initrd[i].offset, initrd, sizeof(initrd));
        *out = buf;
        return img.file_size;
}

void fuzz_seeds(const char *dir)
{
        static uint8_t head[32768];
        char path[1024];
        uint8_t *img;
        size_t kn, n;
        FILE *f;

        snprintf(path, sizeof(path), "%s/bzimage-amd64-head.bin", FIXTURES);
        f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "fuzz_slotimg: cannot read %s\n", path);
                exit(1);
        }
        kn = fread(head, 1, sizeof(head), f);
        fclose(f);
        for (unsigned ni = 0; ni <= 2; ni += 2) {
                n = make_image(head, kn, ni, &img);
                if (!n) {
                        fprintf(stderr, "fuzz_slotimg: cannot build a seed image\n");
                        exit(1);
                }
                snprintf(path, sizeof(path), "image-%u-initrds.slot", ni);
                fuzz_write_seed(dir, path, img, n);
                free(img);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct sw_slotimg img;
        struct sw_bzimage_info info;
        struct sw_slot_config s;
        struct fuzz_diag fd;
        uint8_t *p = fuzz_copy(data, size);
        int rc;

        if (!p)
                return 0;
        rc = sw_slotimg_parse(p, size, WHAT, &img, fuzz_diag_init(&fd, true));
        FUZZ_CHECK(rc == 0 || rc == -1, "parse returned %d", rc);
        FUZZ_CHECK(rc == 0 ? fd.nerror == 0 : fd.nerror == 1, "parse rc %d with %u errors", rc, fd.nerror);
        if (rc == 0) {
                FUZZ_CHECK(img.file_size <= size, "file_size %llu of %zu", (unsigned long long)img.file_size, size);
                FUZZ_CHECK(img.kernel.data >= p && img.kernel.data + img.kernel.size <= p + size, "kernel outside");
                FUZZ_CHECK(img.ninitrd <= SW_MAX_INITRD, "ninitrd %u", img.ninitrd);
                for (unsigned i = 0; i < img.ninitrd; i++)
                        FUZZ_CHECK(img.initrd[i].data >= p && img.initrd[i].data + img.initrd[i].size <= p + size,
                                   "initrd %u outside", i);
                FUZZ_CHECK(fuzz_terminated(img.title, sizeof(img.title)) &&
                           fuzz_terminated(img.cmdline, sizeof(img.cmdline)), "text unterminated");
                rc = sw_slotimg_verify(&img, WHAT, fuzz_diag_init(&fd, true));
                FUZZ_CHECK(rc == 0 || rc == -1, "verify returned %d", rc);
                FUZZ_CHECK((rc == 0) == (fd.nerror == 0), "verify rc %d with %u errors", rc, fd.nerror);
        }

        /* What the switcher does with a slot's image. */
        memset(&s, 0, sizeof(s));
        strcpy(s.id, "f");
        strcpy(s.title, "f");
        strcpy(s.image_path, "/slots/f.slot");
        s.image_line = 3;
        s.valid = true;
        rc = sw_slotimg_for_slot(p, size, &s, "p.conf", &img, &info, fuzz_diag_init(&fd, true));
        FUZZ_CHECK(rc == 0 || rc == -1, "for_slot returned %d", rc);
        FUZZ_CHECK((rc == 0) == s.valid, "for_slot rc %d, valid %d", rc, s.valid);
        FUZZ_CHECK(rc == 0 ? fd.nerror == 0 : fd.nerror >= 1, "for_slot rc %d with %u errors", rc, fd.nerror);
        if (rc == 0)
                FUZZ_CHECK(s.arch == SW_ARCH_X86_64 || s.arch == SW_ARCH_I386, "arch %d", s.arch);
        free(p);
        return 0;
}
