/* SPDX-License-Identifier: MIT */
/*
 * Files on the ESP the switcher was started from.  Paths given to these
 * functions are the core's: UTF-8 with '/' separators, relative to the root of
 * that partition (partitions.conf normalises them so).
 */
#include "sw-efi.h"

#include <string.h>

static EFI_FILE_HANDLE root;
static char image_dir[SW_PATH_MAX] = "/";

static void to_efi_path(const char *path, CHAR16 *out, size_t n)
{
        size_t i = 0;

        /* Paths reaching here are ASCII or UTF-8; FAT names in UCS-2 cover
         * the BMP, which is what three-byte UTF-8 encodes. */
        while (*path && i + 1 < n) {
                uint32_t cp = utf8_next_ucs2(&path);

                if (cp == UCS2_NONE)
                        cp = '_';
                out[i++] = cp == '/' ? L'\\' : (CHAR16)cp;
        }
        out[i] = 0;
}

EFI_STATUS fs_init(EFI_HANDLE image, EFI_LOADED_IMAGE **li_out)
{
        EFI_LOADED_IMAGE *li;
        EFI_STATUS s;
        CHAR16 *p;

        s = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
        if (EFI_ERROR(s))
                return s;
        *li_out = li;
        root = LibOpenRoot(li->DeviceHandle);
        if (!root)
                return EFI_NOT_FOUND;

        /* The directory of our own file: partitions.conf sits next to it. */
        p = DevicePathToStr(li->FilePath);
        if (p) {
                size_t n = 0, last = 0;

                for (size_t i = 0; p[i] && n + 1 < sizeof(image_dir); i++) {
                        char c = p[i] == L'\\' ? '/' : (p[i] < 0x80 ? (char)p[i] : '_');

                        image_dir[n++] = c;
                        if (c == '/')
                                last = n;
                }
                image_dir[last] = '\0';
                if (image_dir[0] != '/')
                        image_dir[0] = '/', image_dir[1] = '\0';
                FreePool(p);
        }
        return EFI_SUCCESS;
}

const char *fs_image_dir(void)
{
        return image_dir;
}

static EFI_STATUS open_file(const char *path, EFI_FILE_HANDLE *fh)
{
        CHAR16 p16[SW_PATH_MAX];

        if (!root)
                return EFI_NOT_READY;
        to_efi_path(path, p16, SW_PATH_MAX);
        return uefi_call_wrapper(root->Open, 5, root, fh, p16, EFI_FILE_MODE_READ, 0ULL);
}

EFI_STATUS fs_open(const char *path, EFI_FILE_HANDLE *fh)
{
        return open_file(path, fh);
}

bool fs_exists(const char *path)
{
        EFI_FILE_HANDLE fh;

        if (EFI_ERROR(open_file(path, &fh)))
                return false;
        uefi_call_wrapper(fh->Close, 1, fh);
        return true;
}

EFI_STATUS fs_read(const char *path, void **buf, size_t *size, size_t max)
{
        EFI_FILE_HANDLE fh;
        EFI_FILE_INFO *info;
        EFI_STATUS s;
        UINT64 len;
        UINT8 *data;
        UINTN done = 0;

        *buf = NULL;
        *size = 0;
        s = open_file(path, &fh);
        if (EFI_ERROR(s))
                return s;
        info = LibFileInfo(fh);
        if (!info) {
                uefi_call_wrapper(fh->Close, 1, fh);
                return EFI_DEVICE_ERROR;
        }
        len = info->FileSize;
        FreePool(info);
        if (len > max) {
                uefi_call_wrapper(fh->Close, 1, fh);
                return EFI_BAD_BUFFER_SIZE;
        }
        /* One spare byte so text files can be NUL-terminated by callers. */
        data = AllocatePool(len + 1);
        if (!data) {
                uefi_call_wrapper(fh->Close, 1, fh);
                return EFI_OUT_OF_RESOURCES;
        }
        while (done < len) {
                UINTN chunk = len - done;

                s = uefi_call_wrapper(fh->Read, 3, fh, &chunk, data + done);
                if (EFI_ERROR(s) || chunk == 0) {
                        FreePool(data);
                        uefi_call_wrapper(fh->Close, 1, fh);
                        return EFI_ERROR(s) ? s : EFI_END_OF_FILE;
                }
                done += chunk;
        }
        data[len] = 0;
        uefi_call_wrapper(fh->Close, 1, fh);
        *buf = data;
        *size = len;
        return EFI_SUCCESS;
}

static char conf_path[SW_PATH_MAX] = "partitions.conf";



void fs_set_conf_path(const char *p)
{
        size_t n = strlen(p);

        if (n >= sizeof(conf_path))
                n = sizeof(conf_path) - 1;
        CopyMem(conf_path, p, n);
        conf_path[n] = '\0';
}

const char *fs_conf_path(void)
{
        return conf_path;
}
