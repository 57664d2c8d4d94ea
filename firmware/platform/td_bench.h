/* Benchmark and stack-measurement hooks shared by every platform.
 *
 * td_bench_begin() / td_bench_end() mark a measured region: the QEMU instruction
 * counter of tinydistill.emu counts the instructions retired between the entry of
 * td_bench_begin and the entry of td_bench_end (so a region includes the 2
 * instructions of the two calls themselves). One begin/end pair gives one count.
 * On the host they are empty functions.
 *
 * td_stack_used() is the stack high-water mark in bytes (from the top of the stack)
 * since reset or since the last td_stack_reset(): the start-up code paints the stack
 * with a pattern and this finds the deepest overwritten word. td_stack_reset()
 * repaints everything below the caller's frame, so that the mark measures only what
 * runs afterwards (plus the frames above the caller). Both do nothing on the host
 * (td_stack_used() returns 0).
 */
#ifndef TD_BENCH_H
#define TD_BENCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void td_bench_begin(void);
void td_bench_end(void);
size_t td_stack_used(void);
void td_stack_reset(void);

/* Keeps the compiler from moving memory accesses across a measured boundary. */
#define TD_BENCH_BARRIER() __asm__ volatile("" ::: "memory")

#ifdef __cplusplus
}
#endif

#endif /* TD_BENCH_H */
