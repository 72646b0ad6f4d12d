/* SPDX-License-Identifier: MIT */
/* Diagnostics captured for assertions: shared by the unit tests. */
#pragma once

#include "diag.h"

#define CAPTURE_MAX 16

struct capture {
        unsigned n;                     /* messages emitted (even past CAPTURE_MAX) */
        char msg[CAPTURE_MAX][512];
        enum sw_severity sev[CAPTURE_MAX];
};

/* An sw_diag emit callback; ctx is a struct capture. */
void capture_emit(void *ctx, enum sw_severity sev, const char *msg);

/* A line callback (sw_plan_print(), sw_memmap_dump()) that keeps the lines
 * in a struct capture, as messages of severity SW_INFO. */
void capture_line(void *ctx, const char *text);
