/* SPDX-License-Identifier: MIT */
#include "fmt.h"

#include <stdint.h>

struct out {
        char *buf;
        size_t n;
        size_t len;
};

static void put(struct out *o, char c)
{
        if (o->len + 1 < o->n)
                o->buf[o->len] = c;
        o->len++;
}

static void put_padded(struct out *o, const char *s, size_t slen, int width, int left, char pad)
{
        int fill = width > (int)slen ? width - (int)slen : 0;

        if (!left)
                while (fill-- > 0)
                        put(o, pad);
        for (size_t i = 0; i < slen; i++)
                put(o, s[i]);
        if (left)
                while (fill-- > 0)
                        put(o, ' ');
}

static size_t utoa(char *tmp, unsigned long long v, unsigned base, int upper)
{
        const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        char rev[24];
        size_t n = 0, i;

        do {
                rev[n++] = digits[v % base];
                v /= base;
        } while (v);
        for (i = 0; i < n; i++)
                tmp[i] = rev[n - 1 - i];
        return n;
}

int sw_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
        struct out o = { buf, n, 0 };

        for (const char *p = fmt; *p; p++) {
                int left = 0, width = 0, lng = 0, prec = -1;
                char pad = ' ', tmp[24];
                unsigned long long u;
                long long s;
                size_t len;

                if (*p != '%') {
                        put(&o, *p);
                        continue;
                }
                p++;
                for (;; p++) {
                        if (*p == '-')
                                left = 1;
                        else if (*p == '0')
                                pad = '0';
                        else
                                break;
                }
                while (*p >= '0' && *p <= '9')
                        width = width * 10 + (*p++ - '0');
                if (p[0] == '.' && p[1] == '*') {
                        prec = va_arg(ap, int);
                        p += 2;
                }
                for (;; p++) {
                        if (*p == 'l')
                                lng++;
                        else if (*p == 'z')
                                lng = 2;
                        else
                                break;
                }
                switch (*p) {
                case '%':
                        put(&o, '%');
                        break;
                case 'c':
                        tmp[0] = (char)va_arg(ap, int);
                        put_padded(&o, tmp, 1, width, left, ' ');
                        break;
                case 's': {
                        const char *str = va_arg(ap, const char *);

                        if (!str)
                                str = "(null)";
                        for (len = 0; (prec < 0 || len < (size_t)prec) && str[len]; len++)
                                ;
                        put_padded(&o, str, len, width, left, ' ');
                        break;
                }
                case 'd':
                case 'i':
                        s = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
                        if (s < 0) {
                                tmp[0] = '-';
                                len = 1 + utoa(tmp + 1, 0ULL - (unsigned long long)s, 10, 0);
                        } else {
                                len = utoa(tmp, (unsigned long long)s, 10, 0);
                        }
                        put_padded(&o, tmp, len, width, left, pad);
                        break;
                case 'u':
                case 'x':
                case 'X':
                        u = lng >= 2 ? va_arg(ap, unsigned long long)
                            : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
                        len = utoa(tmp, u, *p == 'u' ? 10 : 16, *p == 'X');
                        put_padded(&o, tmp, len, width, left, pad);
                        break;
                case 'p':
                        u = (uintptr_t)va_arg(ap, void *);
                        tmp[0] = '0';
                        tmp[1] = 'x';
                        len = 2 + utoa(tmp + 2, u, 16, 0);
                        put_padded(&o, tmp, len, width, left, ' ');
                        break;
                case '\0':
                        p--;
                        break;
                default:
                        put(&o, '%');
                        put(&o, *p);
                        break;
                }
        }
        if (n)
                buf[o.len < n ? o.len : n - 1] = '\0';
        return (int)o.len;
}

int sw_snprintf(char *buf, size_t n, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = sw_vsnprintf(buf, n, fmt, ap);
        va_end(ap);
        return r;
}

const char *sw_fmt_size(char *buf, size_t n, unsigned long long bytes)
{
        static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        unsigned i = 0;
        unsigned long long whole = bytes, frac = 0;

        while (whole >= 1024 && i + 1 < sizeof(unit) / sizeof(unit[0])) {
                frac = whole % 1024;
                whole /= 1024;
                i++;
        }
        /* One decimal, truncated, and only when it says something. */
        frac = frac * 10 / 1024;
        if (frac)
                sw_snprintf(buf, n, "%llu.%llu %s", whole, frac, unit[i]);
        else
                sw_snprintf(buf, n, "%llu %s", whole, unit[i]);
        return buf;
}

const char *sw_enum_name(const char *const *names, size_t n, unsigned v, const char *fallback)
{
        return v < n && names[v] ? names[v] : fallback;
}
