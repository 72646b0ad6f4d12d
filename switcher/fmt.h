/* SPDX-License-Identifier: MIT */
/*
 * A small, allocation-free formatter shared by the EFI binary and the host
 * tools.  The core never calls printf: everything it says goes through
 * sw_snprintf() into a caller's buffer, so the same text comes out on the
 * serial port at boot and on a terminal from mkslot.
 *
 * Supported: %% %c %s %d %i %u %x %X %p, the length modifiers l, ll, z, and
 * the flags '0' and '-' with a decimal field width (e.g. "%016llx", "%-8s").
 * "%.*s" takes an int precision then a string.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

/* Returns the length the full text would have had (like C99 snprintf);
 * the output is always NUL-terminated when n > 0. */
int sw_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int sw_snprintf(char *buf, size_t n, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* names[v] when v < n and that entry is set, else fallback: every enum's
 * name function is a table of designated initializers and this call. */
const char *sw_enum_name(const char *const *names, size_t n, unsigned v, const char *fallback);
#define SW_ENUM_NAME(names, v, fallback) sw_enum_name(names, sizeof(names) / sizeof(names[0]), (unsigned)(v), fallback)

/* Formats a byte count for humans: "512 KiB", "1.5 GiB", "0 B". */
const char *sw_fmt_size(char *buf, size_t n, unsigned long long bytes);
