/*
 * bench.h - dmasim bench: the simulator's own speed, printed as ratios measured in one run.
 */
#ifndef DMASIM_BENCH_H
#define DMASIM_BENCH_H

int cmd_bench(int argc, char **argv);

#endif /* DMASIM_BENCH_H */
