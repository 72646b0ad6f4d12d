/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics: the one way the core reports problems.
 *
 * The core never prints.  A caller hands it a struct sw_diag whose emit()
 * callback decides where text goes (EFI console + serial at boot, stderr in
 * mkslot, a capture buffer in unit tests).  Each message is formatted once,
 * at the point that knows its context, in the form
 *     FILE:LINE: slot 'ID': what is wrong, and what happens now
 * (parts that do not apply are left out), and is counted by severity.
 */
#pragma once

#include <stdarg.h>

enum sw_severity {
        SW_INFO,
        SW_WARN,
        SW_ERROR,
};

struct sw_diag {
        void (*emit)(void *ctx, enum sw_severity sev, const char *msg);
        void *ctx;
        unsigned warnings;
        unsigned errors;
};

/* Formats and emits one message (at most 511 bytes, longer is cut). A NULL
 * diag, or one without emit, only counts nothing and says nothing. */
void sw_diagf(struct sw_diag *d, enum sw_severity sev, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void sw_vdiagf(struct sw_diag *d, enum sw_severity sev, const char *fmt, va_list ap);
