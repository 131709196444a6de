/*
 * rtl.c - the run-time library a driver leans on: counted strings, memory comparison,
 * debugger output, and the checked build's assertions.
 *
 * DbgPrint's format language is the kernel's, not C's: "%wZ" prints a UNICODE_STRING, "%ws" a
 * wide string, "%I64x" a 64-bit value, "%Ix" a pointer-sized one, and "%lx" a 32-bit one
 * (long is 32 bits on Windows). Handing such a format to vsnprintf would read the wrong
 * argument sizes, so the formatter below walks the format itself, takes each argument at its
 * Windows size, and passes single conversions to snprintf. No library does this translation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel.h"

#define DEBUG_LINE 512

SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
    const UCHAR *a = Source1, *b = Source2;
    SIZE_T i = 0;

    while (i < Length && a[i] == b[i])
        i++;
    return i;
}

VOID dms_rtl_copy(PVOID Destination, const VOID *Source, SIZE_T Length, BOOLEAN Overlap)
{
    struct dms_machine *m = dms_machine_current();

    if (Length == 0)
        return;
    if (Overlap)
        memmove(Destination, Source, Length);
    else
        memcpy(Destination, Source, Length);
    if (m != NULL)
        hal_charge(m, DMS_COST_DRIVER_COPY_BYTES, Length, DMS_NO_ADAPTER);
}

VOID dms_rtl_fill(PVOID Destination, SIZE_T Length, UCHAR Fill)
{
    struct dms_machine *m = dms_machine_current();

    if (Length == 0)
        return;
    memset(Destination, Fill, Length);
    if (m != NULL)
        hal_charge(m, DMS_COST_DRIVER_COPY_BYTES, Length, DMS_NO_ADAPTER);
}

/* hal_widen - the ASCII string s as a NUL-terminated WCHAR string in out (cap characters
 * with the NUL), cut short if it does not fit: names the HAL makes for its own objects. */
void hal_widen(PWCHAR out, size_t cap, const char *s)
{
    size_t i = 0;

    for (; s[i] != '\0' && i + 1 < cap; i++)
        out[i] = (WCHAR)(unsigned char)s[i];
    out[i] = 0;
}

VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    if (hal_null(hal_machine(), "RtlInitUnicodeString", DestinationString, "DestinationString"))
        return;
    size_t n = 0;

    if (SourceString != NULL)
        while (SourceString[n] != 0 && n < 0x7FFE)
            n++;
    DestinationString->Buffer = (PWSTR)(uintptr_t)SourceString; /* the WDK's type drops const */
    DestinationString->Length = (USHORT)(n * sizeof(WCHAR));
    DestinationString->MaximumLength =
        SourceString != NULL ? (USHORT)((n + 1) * sizeof(WCHAR)) : 0;
}

BOOLEAN RtlEqualUnicodeString(const UNICODE_STRING *String1, const UNICODE_STRING *String2,
                              BOOLEAN CaseInSensitive)
{
    if (hal_null(hal_machine(), "RtlEqualUnicodeString", String1, "String1") ||
        hal_null(hal_machine(), "RtlEqualUnicodeString", String2, "String2"))
        return FALSE;
    if (String1->Length != String2->Length)
        return FALSE;
    for (USHORT i = 0; i < String1->Length / 2; i++) {
        WCHAR a = String1->Buffer[i], b = String2->Buffer[i];
        if (CaseInSensitive && a < 128 && b < 128) {
            a = (WCHAR)(a >= 'a' && a <= 'z' ? a - 32 : a);
            b = (WCHAR)(b >= 'a' && b <= 'z' ? b - 32 : b);
        }
        if (a != b)
            return FALSE;
    }
    return TRUE;
}

/* ---------------------------------------------------------------------------------------------
 * DbgPrint.
 */
struct out {
    char *buf;
    size_t len, at;
};

static void put(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->at + 1 < o->len; i++)
        o->buf[o->at++] = s[i];
    o->buf[o->at] = '\0';
}

static void put_wide(struct out *o, const WCHAR *w, size_t n)
{
    for (size_t i = 0; w != NULL && i < n && w[i] != 0; i++) {
        char c = w[i] < 128 ? (char)w[i] : '?';
        put(o, &c, 1);
    }
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral" /* the format is built from the driver's */

/* Format one conversion: spec holds "%" flags, width and precision (no length), conv the
 * conversion character, size the argument's bytes on Windows (0: int-sized). */
static void put_number(struct out *o, const char *spec, char conv, unsigned size, va_list *ap)
{
    char fmt[40], tmp[128];

    if (conv == 'p') { /* Windows prints a pointer as 16 upper-case digits, no 0x */
        snprintf(tmp, sizeof(tmp), "%016llX", (unsigned long long)(uintptr_t)va_arg(*ap, void *));
    } else if (size == 8) {
        snprintf(fmt, sizeof(fmt), "%sll%c", spec, conv);
        if (conv == 'd' || conv == 'i')
            snprintf(tmp, sizeof(tmp), fmt, va_arg(*ap, long long));
        else
            snprintf(tmp, sizeof(tmp), fmt, va_arg(*ap, unsigned long long));
    } else {
        snprintf(fmt, sizeof(fmt), "%s%s%c", spec, size == 2 ? "h" : size == 1 ? "hh" : "",
                 conv);
        if (conv == 'd' || conv == 'i')
            snprintf(tmp, sizeof(tmp), fmt, va_arg(*ap, int));
        else
            snprintf(tmp, sizeof(tmp), fmt, va_arg(*ap, unsigned int));
    }
    put(o, tmp, strlen(tmp));
}
#pragma GCC diagnostic pop

static void dbg_format(struct out *o, const char *f, va_list *ap)
{
    while (*f) {
        char spec[24] = "%";
        size_t s = 1;
        unsigned size = 0;
        bool wide = false;

        if (*f != '%') {
            put(o, f++, 1);
            continue;
        }
        f++;
        while (*f && strchr("-+ #0", *f) && s < 10)
            spec[s++] = *f++;
        while (*f && ((*f >= '0' && *f <= '9') || *f == '.') && s < 20)
            spec[s++] = *f++;
        spec[s] = '\0';
        for (;;) { /* length modifiers, Windows sizes */
            if (f[0] == 'I' && f[1] == '6' && f[2] == '4')
                size = 8, f += 3;
            else if (f[0] == 'I' && f[1] == '3' && f[2] == '2')
                size = 4, f += 3;
            else if (f[0] == 'I')
                size = sizeof(void *), f++;
            else if (f[0] == 'l' && f[1] == 'l')
                size = 8, f += 2;
            else if (f[0] == 'l')
                size = 4, wide = true, f++;
            else if (f[0] == 'h')
                size = size == 2 ? 1 : 2, f++;
            else if (f[0] == 'w')
                wide = true, f++;
            else if (f[0] == 'z')
                size = sizeof(size_t), f++;
            else
                break;
        }
        switch (*f) {
        case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'p':
            put_number(o, spec, *f, size, ap);
            break;
        case 'c':
        case 'C': {
            char c = (char)va_arg(*ap, int);
            put(o, &c, 1);
            break;
        }
        case 's': /* %s narrow, %ls and %ws wide */
        case 'S': /* %S wide, %hS narrow */
            if (*f == 's' ? wide : size != 2) {
                const WCHAR *w = va_arg(*ap, const WCHAR *);
                if (w == NULL)
                    put(o, "(null)", 6);
                else
                    put_wide(o, w, 0x7FFF);
            } else {
                const char *n = va_arg(*ap, const char *);
                put(o, n ? n : "(null)", n ? strlen(n) : 6);
            }
            break;
        case 'Z': {
            /* %wZ: a UNICODE_STRING; %Z: an ANSI_STRING (same shape, narrow bytes) */
            const UNICODE_STRING *u = va_arg(*ap, const UNICODE_STRING *);
            if (u == NULL)
                put(o, "(null)", 6);
            else if (wide)
                put_wide(o, u->Buffer, u->Length / 2);
            else
                put(o, (const char *)u->Buffer, u->Length);
            break;
        }
        case '%':
            put(o, "%", 1);
            break;
        case '\0':
            return;
        default:
            put(o, f - 1, 2);
            break;
        }
        f++;
    }
}

static ULONG debug_print(const char *routine, PCSTR format, va_list *ap)
{
    struct dms_machine *m = hal_machine();
    char buf[DEBUG_LINE];
    struct out o = {buf, sizeof(buf), 0};

    if (hal_null(m, routine, format, "Format"))
        return STATUS_INVALID_PARAMETER;
    buf[0] = '\0';
    dbg_format(&o, format, ap);
    if (m->kern->debug_print != NULL)
        m->kern->debug_print(m->kern->debug_print_ctx, buf);
    return STATUS_SUCCESS;
}

ULONG DbgPrint(PCSTR Format, ...)
{
    va_list ap;
    ULONG status;

    va_start(ap, Format);
    status = debug_print("DbgPrint", Format, &ap);
    va_end(ap);
    return status;
}

/* The component and level filter of the debugger: everything is passed to the host, which
 * decides what to show. */
ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list ap;
    ULONG status;

    (void)ComponentId;
    (void)Level;
    va_start(ap, Format);
    status = debug_print("DbgPrintEx", Format, &ap);
    va_end(ap);
    return status;
}

ULONG vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCH Format, va_list arglist)
{
    va_list ap;
    ULONG status;

    (void)ComponentId;
    (void)Level;
    va_copy(ap, arglist);
    status = debug_print("vDbgPrintEx", Format, &ap);
    va_end(ap);
    return status;
}

void dms_machine_set_debug_print(struct dms_machine *m, void (*fn)(void *ctx, const char *text),
                                 void *ctx)
{
    m->kern->debug_print = fn;
    m->kern->debug_print_ctx = ctx;
}

VOID DbgBreakPoint(void)
{
    hal_finding(hal_machine(), NULL, "DbgBreakPoint", DMS_CHECK_DRIVER, 0, 0, 0,
                "DbgBreakPoint: the driver breaks into the debugger (no debugger is "
                "attached; it goes on)");
}

VOID DmasimAssertionFailed(PCSTR Expression, PCSTR File, ULONG Line)
{
    hal_finding(hal_machine(), NULL, "ASSERT", DMS_CHECK_DRIVER, Line, 0, 0,
                "%s:%u: the driver's assertion failed: %s", File, Line, Expression);
}

VOID DmasimPagedCode(PCSTR Function)
{
    struct dms_machine *m = hal_machine();

    if (m->irql > APC_LEVEL)
        hal_finding(m, NULL, Function, DMS_E6_WRONG_IRQL, m->irql, APC_LEVEL, 0,
                    "%s is pageable (PAGED_CODE) but runs at IRQL %u", Function, m->irql);
}
