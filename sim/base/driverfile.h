/*
 * driverfile.h - a driver of the user's: a shared object with a DriverEntry.
 */
#ifndef DMASIM_DRIVERFILE_H
#define DMASIM_DRIVERFILE_H

#include <stddef.h>

#include <dmasim/wdm.h>

/* driver_file_open - dlopen path and find its DriverEntry. Returns the handle (dlclose it),
 * or NULL with a sentence in why[] naming the file and what is wrong. The scenario checks a
 * driver = FILE with it before anything runs; a run loads the driver with it. */
void *driver_file_open(const char *path, PDRIVER_INITIALIZE *entry, char *why, size_t len);

#endif /* DMASIM_DRIVERFILE_H */
