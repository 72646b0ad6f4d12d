/* SPDX-License-Identifier: MIT */
/*
 * The few libc functions the core and Debian's libfdt.a call.  GNU-EFI's
 * libefi.a already provides memcpy and memset; everything else lives here.
 * Nothing in switcher.efi may stay undefined: the Makefile checks the link.
 */
#include <stddef.h>
#include <stdint.h>

void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
unsigned long strtoul(const char *s, char **end, int base);
void __stack_chk_fail(void);

void *memmove(void *dst, const void *src, size_t n)
{
        unsigned char *d = dst;
        const unsigned char *s = src;

        if (d == s || n == 0)
                return dst;
        if (d < s) {
                while (n--)
                        *d++ = *s++;
        } else {
                d += n;
                s += n;
                while (n--)
                        *--d = *--s;
        }
        return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
        const unsigned char *x = a, *y = b;

        for (; n; n--, x++, y++)
                if (*x != *y)
                        return *x < *y ? -1 : 1;
        return 0;
}

void *memchr(const void *s, int c, size_t n)
{
        const unsigned char *p = s;

        for (; n; n--, p++)
                if (*p == (unsigned char)c)
                        return (void *)(uintptr_t)p;
        return NULL;
}

size_t strlen(const char *s)
{
        size_t n = 0;

        while (s[n])
                n++;
        return n;
}

size_t strnlen(const char *s, size_t max)
{
        size_t n = 0;

        while (n < max && s[n])
                n++;
        return n;
}

char *strchr(const char *s, int c)
{
        for (;; s++) {
                if (*s == (char)c)
                        return (char *)(uintptr_t)s;
                if (!*s)
                        return NULL;
        }
}

char *strrchr(const char *s, int c)
{
        const char *last = NULL;

        for (;; s++) {
                if (*s == (char)c)
                        last = s;
                if (!*s)
                        return (char *)(uintptr_t)last;
        }
}

int strcmp(const char *a, const char *b)
{
        while (*a && *a == *b) {
                a++;
                b++;
        }
        return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
        for (; n; n--, a++, b++) {
                if (*a != *b)
                        return (unsigned char)*a - (unsigned char)*b;
                if (!*a)
                        return 0;
        }
        return 0;
}

/* libfdt uses strtoul for "@unit" addresses in paths; base 0, 8, 10, 16. */
unsigned long strtoul(const char *s, char **end, int base)
{
        unsigned long v = 0;

        while (*s == ' ' || *s == '\t')
                s++;
        if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                s += 2;
                base = 16;
        } else if (base == 0) {
                base = s[0] == '0' ? 8 : 10;
        }
        for (;; s++) {
                int d;

                if (*s >= '0' && *s <= '9')
                        d = *s - '0';
                else if (*s >= 'a' && *s <= 'z')
                        d = *s - 'a' + 10;
                else if (*s >= 'A' && *s <= 'Z')
                        d = *s - 'A' + 10;
                else
                        break;
                if (d >= base)
                        break;
                v = v * (unsigned long)base + (unsigned long)d;
        }
        if (end)
                *end = (char *)(uintptr_t)s;
        return v;
}

/*
 * Debian builds libfdt.a with the stack protector.  Its canary is read from
 * %fs:0x28; under UEFI FS has base 0, so it reads a fixed low address that
 * nothing writes while libfdt runs.  A mismatch means memory corruption:
 * say so and stop rather than go on with a damaged stack.
 */
void sw_efi_panic(const char *msg) __attribute__((noreturn));

void __stack_chk_fail(void)
{
        sw_efi_panic("stack protector: stack smashed inside libfdt");
}
