/* SPDX-License-Identifier: MIT */
#include "util_capture.h"

#include <stdio.h>

void capture_emit(void *ctx, enum sw_severity sev, const char *msg)
{
        struct capture *c = ctx;

        if (c->n < CAPTURE_MAX) {
                snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s", msg);
                c->sev[c->n] = sev;
        }
        c->n++;
}

void capture_line(void *ctx, const char *text)
{
        capture_emit(ctx, SW_INFO, text);
}
