/* SPDX-License-Identifier: MIT */
/*
 * Console output for every stage.  Two kinds of text:
 *
 *   - the log (con_printf, the memory plan, informational diagnostics):
 *     always on serial, on the screen only with 'verbose yes';
 *   - what a person must see (con_say, warnings and errors, the menu):
 *     on the screen and on serial.
 *
 * 'console serial' keeps the screen out of both, 'console screen' keeps
 * serial out.  Before ExitBootServices the screen is the firmware's
 * graphics console itself, not ConOut: OVMF copies ConOut onto its serial
 * terminal, and the menu's cursor movements would fill the serial log with
 * escape codes.  Serial text is written straight to COM1, so each side gets
 * its own plain text.  Without a graphics console (a serial-only firmware)
 * ConOut is the screen, and serial text that ConOut already carries is not
 * written twice.  After ExitBootServices only COM1 is left, written by
 * polling the UART: there is always a way to say what went wrong.
 *
 * The first text for the screen clears it (the firmware's messages and
 * logo) under a title bar; warnings and errors are also kept (con_msgs)
 * for the menu, which clears the screen again.
 */
#include "sw-efi.h"
#include "fmt.h"

#include <string.h>

#define COM1 0x3f8
#define UART_LSR 5
#define LSR_THRE 0x20

enum screen_state {
        SCREEN_UNTOUCHED,       /* the next screen text clears it first */
        SCREEN_LOG,             /* ours, scrolling text under the title bar */
        SCREEN_MENU,            /* the menu draws it line by line */
};

static EFI_SIMPLE_TEXT_OUT_PROTOCOL *screen;    /* NULL until looked up, or none */
static EFI_HANDLE screen_handle;                /* the graphics console's handle, or NULL */
static bool screen_looked_up;
static bool screen_is_conout;                   /* may itself copy text to serial */
static enum screen_state screen_state;
static bool want_screen = true, want_serial = true, verbose;
static bool boot_services_gone;

struct sw_diag con_diag = { .emit = con_diag_emit };
struct sw_menu_msgs con_msgs;

static inline void outb(uint16_t port, uint8_t v)
{
        __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
        uint8_t v;

        __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
        return v;
}

static void serial_putc(char c)
{
        /* Bounded wait: a machine without a UART reads 0xff and goes on. */
        for (unsigned i = 0; i < 100000 && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
                ;
        outb(COM1, (uint8_t)c);
}

static void serial_write(const char *s)
{
        for (; *s; s++) {
                if (*s == '\n')
                        serial_putc('\r');
                serial_putc(*s);
        }
}

uint32_t utf8_next_ucs2(const char **sp)
{
        const char *s = *sp;
        unsigned char c = (unsigned char)*s;
        uint32_t cp;

        if (c < 0x80) {
                cp = c;
                s++;
        } else if ((c & 0xe0) == 0xc0 && s[1]) {
                cp = ((c & 0x1fu) << 6) | (s[1] & 0x3fu);
                s += 2;
        } else if ((c & 0xf0) == 0xe0 && s[1] && s[2]) {
                cp = ((c & 0x0fu) << 12) | ((s[1] & 0x3fu) << 6) | (s[2] & 0x3fu);
                s += 3;
        } else {
                /* 4-byte sequences are outside UCS-2, and a stray byte
                 * is no character: skip it with its continuation bytes. */
                cp = UCS2_NONE;
                s++;
                while ((*s & 0xc0) == 0x80)
                        s++;
        }
        *sp = s;
        return cp;
}

/* UTF-8 to UCS-2 in chunks; "\n" becomes "\r\n" as ConOut wants. */
static void screen_write(const char *s)
{
        CHAR16 buf[130];
        size_t n = 0;

        while (*s) {
                uint32_t cp = utf8_next_ucs2(&s);

                if (cp == UCS2_NONE)
                        cp = '?';
                if (cp == '\n')
                        buf[n++] = L'\r';
                buf[n++] = (CHAR16)cp;
                if (n >= 127) {
                        buf[n] = 0;
                        uefi_call_wrapper(screen->OutputString, 2, screen, buf);
                        n = 0;
                }
        }
        if (n) {
                buf[n] = 0;
                uefi_call_wrapper(screen->OutputString, 2, screen, buf);
        }
}

/* The graphics console: a handle with both a text output and a GOP.  The
 * console splitter's own handle (ConsoleOutHandle) has both too, and is
 * ConOut, so it is skipped. */
static void screen_find(void)
{
        EFI_GUID text_guid = EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL_GUID;
        EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
        EFI_HANDLE *h = NULL;
        UINTN n = 0;
        void *gop, *text;

        screen_looked_up = true;
        screen = ST ? ST->ConOut : NULL;
        screen_is_conout = true;
        if (!ST || !BS ||
            EFI_ERROR(uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol, &text_guid, NULL, &n, &h)))
                return;
        for (UINTN i = 0; i < n; i++) {
                if (h[i] == ST->ConsoleOutHandle)
                        continue;
                if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, h[i], &gop_guid, &gop)) ||
                    EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, h[i], &text_guid, &text)) || !text)
                        continue;
                screen = text;
                screen_handle = h[i];
                screen_is_conout = false;
                break;
        }
        FreePool(h);
}

static EFI_SIMPLE_TEXT_OUT_PROTOCOL *screen_get(void)
{
        if (!screen_looked_up)
                screen_find();
        return screen;
}

UINTN con_attr(enum sw_menu_attr a)
{
        switch (a) {
        case SW_MENU_TITLE:
        case SW_MENU_HELP:
                return EFI_TEXT_ATTR(EFI_WHITE, EFI_BLUE);
        case SW_MENU_HEADER:
                return EFI_TEXT_ATTR(EFI_LIGHTCYAN, EFI_BLACK);
        case SW_MENU_SELECTED:
                return EFI_TEXT_ATTR(EFI_BLACK, EFI_LIGHTGRAY);
        case SW_MENU_WARN:
                return EFI_TEXT_ATTR(EFI_YELLOW, EFI_BLACK);
        case SW_MENU_ERROR:
                return EFI_TEXT_ATTR(EFI_LIGHTRED, EFI_BLACK);
        case SW_MENU_NORMAL:
        default:
                return EFI_TEXT_ATTR(EFI_LIGHTGRAY, EFI_BLACK);
        }
}

/* Black all over, including what lies outside the text area (the firmware
 * logo is drawn on the GOP directly), and the text area empty. */
static void screen_clear(void)
{
        uefi_call_wrapper(screen->SetAttribute, 2, screen, con_attr(SW_MENU_NORMAL));
        if (screen_handle)
                gop_clear(screen_handle);
        uefi_call_wrapper(screen->ClearScreen, 1, screen);
}

static void screen_size(unsigned *cols, unsigned *rows)
{
        UINTN c = 0, r = 0;

        if (!screen->Mode ||
            EFI_ERROR(uefi_call_wrapper(screen->QueryMode, 4, screen, (UINTN)screen->Mode->Mode, &c, &r)) ||
            c < 2 || r < 2) {
                /* Mode 0, which every console has. */
                c = 80;
                r = 25;
        }
        *cols = (unsigned)c;
        *rows = (unsigned)r;
}

/* One row of the screen in the given look.  The text must leave the last
 * column free: a character there makes the console wrap, and on the bottom
 * row scroll. */
static void screen_row(unsigned row, enum sw_menu_attr attr, const char *utf8)
{
        uefi_call_wrapper(screen->SetCursorPosition, 3, screen, 0, row);
        uefi_call_wrapper(screen->SetAttribute, 2, screen, con_attr(attr));
        screen_write(utf8);
        uefi_call_wrapper(screen->SetAttribute, 2, screen, con_attr(SW_MENU_NORMAL));
}

/* The screen for log text: ours from the first line on, under the title. */
static bool screen_for_log(void)
{
        char title[SW_MENU_TEXT_MAX], bar[SW_MENU_LINE_MAX];
        unsigned cols, rows;
        size_t n;

        if (!screen_get())
                return false;
        if (screen_state == SCREEN_LOG)
                return true;
        screen_clear();
        screen_size(&cols, &rows);
        sw_menu_title(title, sizeof(title), SWITCHER_VERSION);
        /* The bar spans the row but for its last column (screen_row). */
        bar[0] = ' ';
        n = strnlen(title, sizeof(bar) - 2);
        memcpy(bar + 1, title, n);
        for (n++; n + 1 < cols && n + 1 < sizeof(bar); n++)
                bar[n] = ' ';
        bar[n] = '\0';
        screen_row(0, SW_MENU_TITLE, bar);
        uefi_call_wrapper(screen->SetCursorPosition, 3, screen, 0, 2);
        screen_state = SCREEN_LOG;
        return true;
}

void con_init(enum sw_console console, bool verbose_on)
{
        want_screen = console != SW_CONSOLE_SERIAL;
        want_serial = console != SW_CONSOLE_SCREEN;
        verbose = verbose_on;
}

void con_after_exit(void)
{
        boot_services_gone = true;
}

void con_write(unsigned targets, const char *utf8)
{
        /* COM1 is all there is now, whatever 'console' says. */
        if (boot_services_gone)
                targets = CON_SERIAL;
        if ((targets & CON_SCREEN) && screen_for_log()) {
                screen_write(utf8);
                /* ConOut reaches the firmware's serial console too. */
                if (screen_is_conout)
                        targets &= ~(unsigned)CON_SERIAL;
        }
        if (targets & CON_SERIAL)
                serial_write(utf8);
}

/* Where each kind of text goes now. */
static unsigned log_targets(void)
{
        return (want_serial ? CON_SERIAL : 0) | (want_screen && verbose ? CON_SCREEN : 0);
}

static unsigned say_targets(void)
{
        return (want_serial ? CON_SERIAL : 0) | (want_screen ? CON_SCREEN : 0);
}

/* A line that calls itself a warning or an error is one a person must
 * see, whoever printed it: it goes where con_say's text goes, and the
 * menu shows it again. */
static bool is_problem(const char *text, enum sw_severity *sev)
{
        static const struct {
                const char *prefix;
                enum sw_severity sev;
        } kinds[] = {
                { "switcher: warning: ", SW_WARN },
                { "switcher: error: ", SW_ERROR },
                { "switcher: fatal: ", SW_ERROR },
        };

        while (*text == '\n')
                text++;
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                if (strncmp(text, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
                        *sev = kinds[i].sev;
                        return true;
                }
        }
        return false;
}

/* Keeps a problem for the menu: the message without prefix or newlines. */
static void keep_problem(enum sw_severity sev, const char *text)
{
        char msg[SW_MENU_MSG_MAX];
        const char *colon;
        size_t n;

        while (*text == '\n')
                text++;
        colon = strchr(text + strlen("switcher: "), ':');
        text = colon ? colon + 2 : text;
        n = strnlen(text, sizeof(msg) - 1);
        memcpy(msg, text, n);
        while (n && msg[n - 1] == '\n')
                n--;
        msg[n] = '\0';
        sw_menu_msgs_add(&con_msgs, sev, msg);
}

static void con_vprintf(unsigned targets, const char *fmt, va_list ap)
{
        char buf[512];

        sw_vsnprintf(buf, sizeof(buf), fmt, ap);
        con_write(targets, buf);
}

void con_printf(const char *fmt, ...)
{
        enum sw_severity sev;
        char buf[512];
        va_list ap;

        va_start(ap, fmt);
        sw_vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (is_problem(buf, &sev)) {
                keep_problem(sev, buf);
                con_write(say_targets(), buf);
        } else {
                con_write(log_targets(), buf);
        }
}

void con_say(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        con_vprintf(say_targets(), fmt, ap);
        va_end(ap);
}

void serial_printf(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        con_vprintf(CON_SERIAL, fmt, ap);
        va_end(ap);
}

void con_diag_emit(void *ctx, enum sw_severity sev, const char *msg)
{
        static const char *const prefix[] = {
                [SW_INFO] = "",
                [SW_WARN] = "warning: ",
                [SW_ERROR] = "error: ",
        };
        char buf[SW_MENU_MSG_MAX + 32];

        sw_snprintf(buf, sizeof(buf), "switcher: %s%s\n", prefix[sev], msg);
        if (sev == SW_INFO) {
                con_write(log_targets(), buf);
                return;
        }
        sw_menu_msgs_add(&con_msgs, sev, msg);
        con_write(say_targets(), buf);
}

void con_plan_line(void *ctx, const char *text)
{
        con_printf("%s\n", text);
}

bool con_menu_begin(unsigned *cols, unsigned *rows)
{
        if (boot_services_gone || !want_screen || !screen_get())
                return false;
        screen_clear();
        uefi_call_wrapper(screen->EnableCursor, 2, screen, FALSE);
        screen_size(cols, rows);
        screen_state = SCREEN_MENU;
        return true;
}

void con_menu_row(unsigned row, enum sw_menu_attr attr, const char *utf8)
{
        if (screen_state == SCREEN_MENU)
                screen_row(row, attr, utf8);
}

void con_menu_end(void)
{
        if (screen_state == SCREEN_MENU)
                screen_state = SCREEN_UNTOUCHED;
}

void con_menu_serial(const char *text)
{
        /* On a ConOut that is also the serial console the menu is drawn
         * there already; lines between its rows would garble it. */
        if (!want_serial || (screen_state == SCREEN_MENU && screen_is_conout))
                return;
        serial_write(text);
        serial_write("\n");
}

void sw_efi_panic(const char *msg)
{
        char buf[512];

        /* Everywhere, whatever 'console' says: it is the last word. */
        sw_snprintf(buf, sizeof(buf), "switcher: fatal: %s; halting\n", msg);
        con_write(CON_SCREEN | CON_SERIAL, buf);
        for (;;)
                __asm__ volatile("cli; hlt");
}

bool con_wait_key(unsigned seconds, EFI_INPUT_KEY *key)
{
        EFI_EVENT timer, events[2];
        UINTN index;
        EFI_STATUS s;

        if (seconds == 0)
                return uefi_call_wrapper(ST->ConIn->ReadKeyStroke, 2, ST->ConIn, key) == EFI_SUCCESS;
        s = uefi_call_wrapper(BS->CreateEvent, 5, EVT_TIMER, 0, NULL, NULL, &timer);
        if (EFI_ERROR(s))
                return false;
        uefi_call_wrapper(BS->SetTimer, 3, timer, TimerRelative, (UINT64)seconds * 10000000ULL);
        events[0] = ST->ConIn->WaitForKey;
        events[1] = timer;
        s = uefi_call_wrapper(BS->WaitForEvent, 3, 2, events, &index);
        uefi_call_wrapper(BS->CloseEvent, 1, timer);
        if (EFI_ERROR(s) || index != 0)
                return false;
        return uefi_call_wrapper(ST->ConIn->ReadKeyStroke, 2, ST->ConIn, key) == EFI_SUCCESS;
}

const char *efi_strerror(EFI_STATUS s)
{
        switch (s) {
        case EFI_SUCCESS: return "success";
        case EFI_LOAD_ERROR: return "load error";
        case EFI_INVALID_PARAMETER: return "invalid parameter";
        case EFI_UNSUPPORTED: return "unsupported";
        case EFI_BUFFER_TOO_SMALL: return "buffer too small";
        case EFI_NOT_READY: return "not ready";
        case EFI_DEVICE_ERROR: return "device error";
        case EFI_OUT_OF_RESOURCES: return "out of resources";
        case EFI_VOLUME_CORRUPTED: return "volume corrupted";
        case EFI_NOT_FOUND: return "not found";
        case EFI_ACCESS_DENIED: return "access denied";
        case EFI_TIMEOUT: return "timeout";
        default: return "firmware error";
        }
}
