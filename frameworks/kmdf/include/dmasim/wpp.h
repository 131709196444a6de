/*
 * dmasim/wpp.h - what a WPP-traced driver's generated .tmh file gives it, on dmasim: the
 * trace function its project names (TraceEvents(LEVEL, FLAGS, MSG, ...), the WDK samples'),
 * and WPP_INIT_TRACING / WPP_CLEANUP.
 *
 * The WDK's build runs the WPP preprocessor over each source and writes "NAME.tmh" for it to
 * include; dmasim's build does the same with the CMake function dmasim_wpp (dmasim's CMake
 * package, docs/kmdf.md), whose .tmh files include this header. A trace message goes to the
 * simulator's debugger log (as DbgPrint's do) with its level and flag names, its format read
 * as WPP reads it: the kernel's DbgPrint conversions (%I64X, %ws, %wZ, ...) and WPP's own
 * %!STATUS!, %!HRESULT!, %!FUNC!, %!FILE!, %!LINE!, %!LEVEL!, %!FLAGS!, %!bool!.
 */
#ifndef DMASIM_WPP_H
#define DMASIM_WPP_H

#include "dmasim/wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The flags argument is a WPP_DEFINE_BIT name, which only WPP knows: it is passed as text. */
ULONG DmasimWppTrace(ULONG Level, PCSTR Flags, PCSTR Function, PCSTR File, ULONG Line,
                     PCSTR Format, ...);

#ifndef WPP_TRACE_FUNCTION
#define TraceEvents(level, flags, ...)                                                           \
    DmasimWppTrace((ULONG)(level), #flags, __func__, __FILE__, __LINE__, __VA_ARGS__)
#endif
#define WPP_INIT_TRACING(DriverObject, RegistryPath) ((void)0)
#define WPP_CLEANUP(DriverObject) ((void)0)

#ifdef __cplusplus
}
#endif

#endif /* DMASIM_WPP_H */
