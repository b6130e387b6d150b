/* Markers for instruction counting: the QEMU plugin (tools/insn_count.c) counts guest instructions
 * between calls to two such functions, found by their symbol names. EDGENN_BENCH_MARKER(x) defines
 * edgenn_bench_x(), an empty function the compiler may neither inline nor drop. */
#ifndef EDGENN_TARGETS_BENCH_H
#define EDGENN_TARGETS_BENCH_H

#define EDGENN_BENCH_MARKER(name)                                   \
    void edgenn_bench_##name(void) __attribute__((noinline, used)); \
    void edgenn_bench_##name(void) { __asm__ volatile("" ::: "memory"); }

#endif
