/*
 * wdmguid.h - dmasim's stand-in for the WDK header of that name: the system-defined GUIDs of
 * PnP notifications and bus interfaces. dmasim's kernel raises none of them; a driver that
 * includes the header for WMI or bus-interface GUIDs it does not use compiles.
 */
#ifndef DMASIM_COMPAT_WDMGUID_H
#define DMASIM_COMPAT_WDMGUID_H
#include <dmasim/wdf.h>
#endif
