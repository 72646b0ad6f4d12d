/* SPDX-License-Identifier: MIT */
/*
 * The boot menu: slots by title, id and mode, the default preselected, a
 * countdown from partitions.conf's timeout; digits pick a slot directly,
 * arrows move, Enter boots.  Output goes through con_printf, so it shows on
 * the screen and (OVMF) the serial terminal, and keys come from ConIn, which
 * includes the serial terminal's input there.
 */
#include "sw-efi.h"
#include "fmt.h"

/* Our vendor GUID for the switcher's EFI variables. */
static EFI_GUID switcher_guid = { 0x5c1a9a3e, 0x8d2b, 0x4f61, { 0x9b, 0x0e, 0x3a, 0x4d, 0x52, 0x71, 0xc8, 0x19 } };
#define ONESHOT_VAR L"SwitcherSlotOneShot"

void menu_take_oneshot(char *id, size_t n)
{
        CHAR16 buf[SW_ID_MAX];
        UINTN size = sizeof(buf) - sizeof(CHAR16);
        UINT32 attr;
        EFI_STATUS s;
        size_t i;

        id[0] = '\0';
        SetMem(buf, sizeof(buf), 0);
        s = uefi_call_wrapper(RT->GetVariable, 5, ONESHOT_VAR, &switcher_guid, &attr, &size, buf);
        if (s == EFI_NOT_FOUND)
                return;
        /* Deleted before it is acted on: a one-shot that crashes the boot
         * must not be tried again on the next one. */
        uefi_call_wrapper(RT->SetVariable, 5, ONESHOT_VAR, &switcher_guid, 0, 0, NULL);
        if (EFI_ERROR(s)) {
                con_printf("switcher: warning: one-shot variable unreadable (%s), ignored\n", efi_strerror(s));
                return;
        }
        for (i = 0; i + 1 < n && i < size / sizeof(CHAR16) && buf[i]; i++)
                id[i] = buf[i] < 0x80 ? (char)buf[i] : '?';
        id[i] = '\0';
}

static void draw(const struct sw_config *c, const int *idx, int count, int sel)
{
        con_printf("\nSlots (number or arrows, Enter to boot):\n");
        for (int i = 0; i < count; i++) {
                const struct sw_slot_config *s = &c->slots[idx[i]];

                con_printf(" %s %d) %-32s [%s, %s]\n", i == sel ? "=>" : "  ", i + 1, s->title,
                           s->id, sw_mode_name(s->mode));
        }
}

int menu_choose(const struct sw_config *c, int default_index)
{
        int idx[SW_MAX_SLOTS], count = 0, sel = 0;
        unsigned left = c->timeout;
        bool counting = true;
        EFI_INPUT_KEY key;

        for (unsigned i = 0; i < c->nslots; i++) {
                if (!c->slots[i].valid)
                        continue;
                if ((int)i == default_index)
                        sel = count;
                idx[count++] = (int)i;
        }
        if (count == 0)
                return -1;
        draw(c, idx, count, sel);
        if (c->timeout == 0) {
                /* As in systemd-boot: timeout 0 boots at once unless a key
                 * is already waiting. */
                if (!con_wait_key(0, &key))
                        return idx[sel];
                counting = false;
                draw(c, idx, count, sel);
        }
        for (;;) {
                if (counting) {
                        if (left == 0)
                                return idx[sel];
                        con_printf("Booting '%s' in %u s...\n", c->slots[idx[sel]].id, left);
                        if (!con_wait_key(1, &key)) {
                                left--;
                                continue;
                        }
                        counting = false;
                } else if (!con_wait_key(3600, &key)) {
                        continue;
                }
                if (key.UnicodeChar >= L'1' && key.UnicodeChar <= L'9' &&
                    key.UnicodeChar - L'1' < count)
                        return idx[key.UnicodeChar - L'1'];
                if (key.UnicodeChar == CHAR_CARRIAGE_RETURN || key.UnicodeChar == CHAR_LINEFEED)
                        return idx[sel];
                if (key.ScanCode == SCAN_UP && sel > 0)
                        sel--;
                else if (key.ScanCode == SCAN_DOWN && sel + 1 < count)
                        sel++;
                draw(c, idx, count, sel);
        }
}
