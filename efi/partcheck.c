/* SPDX-License-Identifier: MIT */
/*
 * The start-up partition check: the GPT of every disk the firmware sees,
 * read through Disk I/O by the core's reader (switcher/gpt.h), and every
 * slot's 'partition' looked up in them.  A slot whose partition is on no
 * disk gets a FILE:LINE warning and the mailbox's partition-missing flag:
 * its agent-side protection (guest-agent/mounts.c) matches partitions by
 * that name, so a name that matches nothing protects nothing.
 */
#include "sw-efi.h"

#include "gpt.h"

/* Disks whose tables are kept for the lookup; more are read but not kept
 * (and counted like unreadable ones). */
#define MAX_DISKS 16

struct disk_reader {
        EFI_DISK_IO *dio;
        UINT32 media;
};

static int disk_read(void *ctx, uint64_t off, void *buf, size_t len)
{
        struct disk_reader *r = ctx;

        return EFI_ERROR(uefi_call_wrapper(r->dio->ReadDisk, 5, r->dio, r->media, off, len, buf)) ? -1 : 0;
}

void partcheck_run(struct sw_config *c)
{
        struct sw_gpt *owned[MAX_DISKS];
        const struct sw_gpt *tables[MAX_DISKS];
        unsigned ndisks = 0, unreadable = 0;
        EFI_HANDLE *handles = NULL;
        UINTN nh = 0;
        EFI_STATUS s;

        s = uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol, &BlockIoProtocol, NULL, &nh, &handles);
        if (EFI_ERROR(s))
                nh = 0;
        for (UINTN i = 0; i < nh; i++) {
                struct disk_reader r;
                EFI_BLOCK_IO *bio;
                struct sw_gpt *g;
                char why[160];
                int ret;

                /* Whole disks only: partitions have Block I/O handles too. */
                if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, handles[i], &BlockIoProtocol, (void **)&bio)) ||
                    !bio->Media->MediaPresent || bio->Media->LogicalPartition ||
                    EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, handles[i], &DiskIoProtocol, (void **)&r.dio)))
                        continue;
                r.media = bio->Media->MediaId;
                g = AllocatePool(sizeof(*g));
                if (!g)
                        break;
                ret = sw_gpt_read(disk_read, &r, bio->Media->BlockSize, g, why, sizeof(why));
                if (ret == SW_GPT_OK && ndisks < MAX_DISKS) {
                        owned[ndisks] = g;
                        tables[ndisks++] = g;
                        continue;
                }
                FreePool(g);
                if (ret == SW_GPT_BAD || ret == SW_GPT_OK) {
                        CHAR16 *dp = DevicePathToStr(DevicePathFromHandle(handles[i]));
                        char name[128] = "?";

                        /* Device paths are ASCII text in practice. */
                        for (unsigned k = 0; dp && dp[k] && k + 1 < sizeof(name); k++) {
                                name[k] = dp[k] < 0x80 ? (char)dp[k] : '_';
                                name[k + 1] = '\0';
                        }
                        if (dp)
                                FreePool(dp);
                        unreadable++;
                        con_printf("switcher: disk %s: %s; its partitions are not counted\n", name,
                                   ret == SW_GPT_OK ? "more disks than the check keeps" : why);
                }
        }
        if (handles)
                FreePool(handles);
        sw_gpt_check_config(c, tables, ndisks, unreadable, &con_diag);
        for (unsigned k = 0; k < ndisks; k++)
                FreePool(owned[k]);
}
