/*
 * driverfile.c - a driver of the user's (see driverfile.h).
 */
#include <dlfcn.h>
#include <stdio.h>

#include "driverfile.h"

void *driver_file_open(const char *path, PDRIVER_INITIALIZE *entry, char *why, size_t len)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

    if (h == NULL) {
        snprintf(why, len, "%s: the driver could not be loaded: %s", path, dlerror());
        return NULL;
    }
    *(void **)entry = dlsym(h, "DriverEntry");
    if (*entry == NULL) {
        snprintf(why, len, "%s: the driver has no DriverEntry", path);
        dlclose(h);
        return NULL;
    }
    return h;
}
