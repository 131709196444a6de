/*
 * wdf.h - dmasim's stand-in for the WDK header of that name: a KMDF driver that includes
 * <wdf.h> gets dmasim's framework (dmasim/wdf.h). dmasim.pc puts this folder on the include
 * path.
 */
#ifndef DMASIM_COMPAT_WDF_H
#define DMASIM_COMPAT_WDF_H
#include <dmasim/wdf.h>
#endif
