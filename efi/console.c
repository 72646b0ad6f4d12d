/* SPDX-License-Identifier: MIT */
/*
 * Console output for every stage.  Before ExitBootServices text goes to
 * ConOut (screen; OVMF's terminal driver also mirrors it onto the serial
 * port) or straight to COM1, as partitions.conf's `console` asks.  After
 * ExitBootServices only COM1 is left, written by polling the UART: there is
 * always a way to say what went wrong.
 */
#include "sw-efi.h"
#include "fmt.h"

#define COM1 0x3f8
#define UART_LSR 5
#define LSR_THRE 0x20

static unsigned con_targets = CON_SCREEN;
static bool boot_services_gone;

struct sw_diag con_diag = { .emit = con_diag_emit };

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
                        uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, buf);
                        n = 0;
                }
        }
        if (n) {
                buf[n] = 0;
                uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, buf);
        }
}

void con_init(enum sw_console console)
{
        switch (console) {
        case SW_CONSOLE_SERIAL:
                con_targets = CON_SERIAL;
                break;
        case SW_CONSOLE_SCREEN:
        case SW_CONSOLE_BOTH:
        default:
                /* OVMF (and most firmware with a serial console) already
                 * mirror ConOut on the UART; writing both would say every
                 * line twice there. */
                con_targets = CON_SCREEN;
                break;
        }
}

void con_after_exit(void)
{
        boot_services_gone = true;
        con_targets = CON_SERIAL;
}

void con_write(unsigned targets, const char *utf8)
{
        if (boot_services_gone)
                targets = CON_SERIAL;
        if ((targets & CON_SCREEN) && ST && ST->ConOut)
                screen_write(utf8);
        if (targets & CON_SERIAL)
                serial_write(utf8);
}

static void con_vprintf(unsigned targets, const char *fmt, va_list ap)
{
        char buf[512];

        sw_vsnprintf(buf, sizeof(buf), fmt, ap);
        con_write(targets, buf);
}

void con_printf(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        con_vprintf(con_targets, fmt, ap);
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

        con_printf("switcher: %s%s\n", prefix[sev], msg);
}

void con_plan_line(void *ctx, const char *text)
{
        con_printf("%s\n", text);
}

void sw_efi_panic(const char *msg)
{
        con_printf("switcher: fatal: %s; halting\n", msg);
        if (!boot_services_gone)
                serial_printf("switcher: fatal: %s; halting\n", msg);
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
