/*
 * units.h - numbers with units, as scenario files and the command line write them.
 *
 * Sizes:      4096, 4K, 64K, 16M, 8G, 1T, 1P (binary: K = 1024; KiB .. PiB say the same),
 *             KB, MB, GB, TB (decimal: GB = 10^9). A fraction is allowed: 1.5G, 7.2GB.
 * Times:      ns, us, ms, s, with a fraction (1.2us); 0 needs no unit.
 * Bandwidths: a size per second: 10GB/s, 7.2GB/s, 512M/s ("/s" may be left out).
 * Counts:     1000, 10k, 10M, 1G (decimal: k = 1000).
 * Percents:   70% or 70.
 *
 * Every parser returns 0 and the value, or -1 with what is wrong in why[].
 */
#ifndef DMASIM_UNITS_H
#define DMASIM_UNITS_H

#include <stddef.h>
#include <stdint.h>

int units_size(const char *text, uint64_t *out, char *why, size_t len);
int units_time(const char *text, uint64_t *out_ns, char *why, size_t len);
int units_bandwidth(const char *text, uint64_t *bytes_per_second, char *why, size_t len);
int units_count(const char *text, uint64_t *out, char *why, size_t len);
int units_percent(const char *text, uint64_t *out, char *why, size_t len);
int units_bool(const char *text, uint64_t *out, char *why, size_t len);

/* Format for reports: "64 KiB", "8 GiB", "4.5 MiB"; "1.20 us", "3.4 ms"; "7.2 GB/s". */
void units_format_size(uint64_t bytes, char *out, size_t len);
void units_format_time(uint64_t ns, char *out, size_t len);
void units_format_bandwidth(double bytes_per_second, char *out, size_t len);

#endif /* DMASIM_UNITS_H */
