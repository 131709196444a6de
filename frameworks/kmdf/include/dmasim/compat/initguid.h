/*
 * initguid.h - dmasim's stand-in for the WDK header of that name. On Windows it makes
 * DEFINE_GUID define its GUIDs in the file that includes it; dmasim's DEFINE_GUID
 * (dmasim/wdf.h) always makes one weak definition, so there is nothing left to switch.
 */
#ifndef DMASIM_COMPAT_INITGUID_H
#define DMASIM_COMPAT_INITGUID_H
#define INITGUID
#endif
