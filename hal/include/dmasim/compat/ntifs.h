/*
 * ntifs.h - dmasim's stand-in for the WDK header of that name: a driver that includes <ntifs.h>
 * gets dmasim's WDK face. dmasim.pc puts this folder on the include path.
 */
#ifndef DMASIM_COMPAT_NTIFS_H
#define DMASIM_COMPAT_NTIFS_H
#include <dmasim/wdm.h>
#endif
