/* SPDX-License-Identifier: MIT */
#include "tboot.h"
#include "fmt.h"

#include <string.h>

/* {663C8DFF-E8B3-4B82-AABF-19EA4D057A08}, in the byte order the kernel
 * compares (its UUID_INIT()). */
const uint8_t sw_tboot_uuid[16] = { 0xff, 0x8d, 0x3c, 0x66, 0xb3, 0xe8, 0x82, 0x4b,
                                    0xbf, 0xaa, 0x19, 0xea, 0x4d, 0x05, 0x7a, 0x08 };

const char *sw_tboot_type_name(uint32_t type)
{
        static const char *const names[] = { [SW_TBOOT_REBOOT] = "reboot", [SW_TBOOT_S5] = "S5",
                                             [SW_TBOOT_S4] = "S4",         [SW_TBOOT_S3] = "S3",
                                             [SW_TBOOT_HALT] = "halt",     [SW_TBOOT_WFS] = "wait-for-SIPI" };

        return SW_ENUM_NAME(names, type, "unknown");
}

void sw_tboot_page_init(struct sw_tboot_shared *t, uint32_t entry, uint32_t base, uint32_t size)
{
        memset(t, 0, sizeof(*t));
        memcpy(t->uuid, sw_tboot_uuid, sizeof(t->uuid));
        t->version = SW_TBOOT_VERSION;
        t->shutdown_entry = entry;
        t->tboot_base = base;
        t->tboot_size = size;
        t->num_in_wfs = 1;
}

bool sw_tboot_e820_ok(const struct sw_e820_entry *e, unsigned n, unsigned *nram)
{
        unsigned k = 0;

        for (unsigned i = 0; i < n; i++)
                if (e[i].type == SW_E820_RAM)
                        k++;
        if (nram)
                *nram = k;
        return k <= SW_TBOOT_MAX_RAM_RANGES;
}
