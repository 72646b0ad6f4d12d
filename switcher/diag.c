/* SPDX-License-Identifier: MIT */
#include "diag.h"
#include "fmt.h"

void sw_vdiagf(struct sw_diag *d, enum sw_severity sev, const char *fmt, va_list ap)
{
        char msg[512];

        if (!d)
                return;
        if (sev == SW_WARN)
                d->warnings++;
        else if (sev == SW_ERROR)
                d->errors++;
        if (!d->emit)
                return;
        sw_vsnprintf(msg, sizeof(msg), fmt, ap);
        d->emit(d->ctx, sev, msg);
}

void sw_diagf(struct sw_diag *d, enum sw_severity sev, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        sw_vdiagf(d, sev, fmt, ap);
        va_end(ap);
}
