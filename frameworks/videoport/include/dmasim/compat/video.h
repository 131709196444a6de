/*
 * video.h - dmasim's stand-in for the WDK header of that name: a video miniport that includes
 * <video.h> gets dmasim's video port (dmasim/video.h). dmasim.pc puts this folder on the
 * include path.
 */
#ifndef DMASIM_COMPAT_VIDEO_H
#define DMASIM_COMPAT_VIDEO_H
#include <dmasim/video.h>
#endif
