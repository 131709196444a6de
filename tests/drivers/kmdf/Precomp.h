/*
 * Precomp.h - the precompiled header of a WDK-style KMDF driver, named with a capital as
 * Windows sources often are while their files include "precomp.h" (dmasim_windows_includes
 * makes that resolve, as on a case-insensitive file system).
 */
#include <ntddk.h>
#include <wdf.h>
#include <initguid.h>
#include <evntrace.h>

DEFINE_GUID(GUID_DMASIM_PLX_TEST, 0x5e1f4c07, 0x2b9a, 0x4d3e, 0x9a, 0x61, 0x0c, 0x3d, 0x7e, 0x52,
            0x81, 0xa4);
