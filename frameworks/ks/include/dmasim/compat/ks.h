/*
 * ks.h - dmasim's stand-in for the WDK header of that name: an AVStream minidriver that
 * includes <ks.h> gets dmasim's AVStream (dmasim/ks.h). dmasim.pc puts this folder on the
 * include path.
 */
#ifndef DMASIM_COMPAT_KS_H
#define DMASIM_COMPAT_KS_H
#include <dmasim/ks.h>
#endif
