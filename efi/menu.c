/* SPDX-License-Identifier: MIT */
/*
 * The boot menu, drawn and read: what it shows and what each key does is
 * switcher/menu-model.c's.  The screen is redrawn row by row, only the rows
 * that changed, so the countdown updates in place; the serial log gets the
 * slot list once and a line for each thing that happened (menu-model.h).
 * Keys come from ConIn, which on OVMF includes the serial terminal's input.
 */
#include "sw-efi.h"
#include "fmt.h"

#include <string.h>

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
                sw_diagf(&con_diag, SW_WARN, "one-shot variable unreadable (%s), ignored", efi_strerror(s));
                return;
        }
        for (i = 0; i + 1 < n && i < size / sizeof(CHAR16) && buf[i]; i++)
                id[i] = buf[i] < 0x80 ? (char)buf[i] : '?';
        id[i] = '\0';
}

bool (*menu_store_default)(const char *id, const char **why);
bool menu_force;

/* Two frames: the one being drawn and the one on the screen. */
static struct sw_menu_frame frame[2];

static void draw(const struct sw_menu *m, bool screen, unsigned cols, unsigned rows, bool all)
{
        struct sw_menu_frame *now = &frame[0], *shown = &frame[1];

        if (!screen)
                return;
        sw_menu_render(m, cols, rows, now);
        for (unsigned r = 0; r < now->rows; r++) {
                if (all || now->attr[r] != shown->attr[r] || strcmp(now->text[r], shown->text[r]) != 0)
                        con_menu_row(r, now->attr[r], now->text[r]);
        }
        *shown = *now;
}

static void serial_line(void *ctx, const char *text)
{
        con_menu_serial(text);
}

/* The step's account for the serial log, once the screen shows it: a test
 * that reads the log may take a screenshot as soon as it sees the line. */
static void account(const struct sw_menu *m)
{
        char line[sizeof(m->event)];
        const char *p = m->event;

        while (*p) {
                size_t n = 0;

                while (p[n] && p[n] != '\n')
                        n++;
                memcpy(line, p, n);
                line[n] = '\0';
                con_menu_serial(line);
                p += n + (p[n] == '\n');
        }
}

static unsigned key_code(const EFI_INPUT_KEY *k)
{
        switch (k->ScanCode) {
        case SCAN_UP:
                return SW_MENU_KEY_UP;
        case SCAN_DOWN:
                return SW_MENU_KEY_DOWN;
        case SCAN_HOME:
        case SCAN_PAGE_UP:
                return SW_MENU_KEY_HOME;
        case SCAN_END:
        case SCAN_PAGE_DOWN:
                return SW_MENU_KEY_END;
        default:
                break;
        }
        return k->UnicodeChar ? k->UnicodeChar : SW_MENU_KEY_OTHER;
}

int menu_choose(const struct sw_config *c, int default_index)
{
        static struct sw_menu m;
        enum sw_menu_action a = SW_MENU_STAY;
        unsigned cols = 0, rows = 0;
        EFI_INPUT_KEY key;
        bool screen;

        if (sw_menu_init(&m, c, default_index, SWITCHER_VERSION, &con_msgs) == 0)
                return -1;
        sw_menu_list(&m, serial_line, NULL);
        /* As in systemd-boot: timeout 0 boots at once, without a menu,
         * unless a key is already waiting (that key then counts) or a
         * one-shot asks for the menu. */
        if (c->timeout == 0 && !menu_force) {
                if (!con_wait_key(0, &key))
                        return sw_menu_chosen(&m);
                a = sw_menu_key(&m, key_code(&key));
        }
        screen = con_menu_begin(&cols, &rows);
        draw(&m, screen, cols, rows, true);
        account(&m);
        while (a != SW_MENU_BOOT) {
                if (m.counting)
                        a = con_wait_key(1, &key) ? sw_menu_key(&m, key_code(&key)) : sw_menu_tick(&m);
                else if (con_wait_key(3600, &key))
                        a = sw_menu_key(&m, key_code(&key));
                else
                        continue;
                if (a == SW_MENU_SET_DEFAULT) {
                        const char *why = "this build cannot store a default yet";
                        bool saved = menu_store_default && menu_store_default(sw_menu_default_id(&m), &why);

                        sw_menu_default_done(&m, saved, why);
                }
                draw(&m, screen, cols, rows, false);
                account(&m);
        }
        con_menu_end();
        return sw_menu_chosen(&m);
}
