/* Benchmark harness for benchmarks/engine_vs_tflm.py: runs the generated model on the
 * windows of an input file (raw int8, TD_MODEL_INPUT_SIZE bytes each) and writes the
 * outputs (raw int8) to an output file, each invocation between td_bench_begin() and
 * td_bench_end() so that the QEMU plugin counts it exactly. With a third argument
 * REPEAT it instead runs every window REPEAT times and prints the CPU time per
 * inference (host timing). Built with -DTD_BENCH_NOOP it calls an empty function
 * instead of the model: the same harness, for measuring the model's own flash. With
 * -DTD_BENCH_PER_OP the model's source has been instrumented to mark every op.
 * Files go through semihosting on the emulated boards. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"
#include "td_bench.h"

#ifdef TD_BENCH_NOOP
__attribute__((noinline)) static int invoke(const int8_t *input, int8_t *output)
{
    TD_BENCH_BARRIER();
    output[0] = input[0];
    return 0;
}
#else
#define invoke td_model_invoke
#endif

#define MAX_WINDOWS 64

static int8_t inputs[MAX_WINDOWS][TD_MODEL_INPUT_SIZE];
static int8_t outputs[MAX_WINDOWS][TD_MODEL_OUTPUT_SIZE];

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s INPUTS.bin OUTPUTS.bin [REPEAT]\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (in == NULL) {
        fprintf(stderr, "cannot open %s\n", argv[1]);
        return 2;
    }
    size_t n = fread(inputs, TD_MODEL_INPUT_SIZE, MAX_WINDOWS, in);
    fclose(in);
    size_t stack_used = 0;
    long repeat = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
    if (repeat > 0) {
        clock_t start = clock();
        for (long r = 0; r < repeat; r++) {
            for (size_t i = 0; i < n; i++) {
                if (invoke(inputs[i], outputs[i]) != 0) {
                    return 3;
                }
            }
        }
        double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
        printf("ns_per_inference %.1f\n", seconds * 1e9 / ((double)repeat * (double)n));
    } else {
        /* The stack mark below then covers the inferences only (plus main's frame). */
        td_stack_reset();
        for (size_t i = 0; i < n; i++) {
#ifndef TD_BENCH_PER_OP /* else the model marks each op itself */
            td_bench_begin();
#endif
            int status = invoke(inputs[i], outputs[i]);
#ifndef TD_BENCH_PER_OP
            td_bench_end();
#endif
            if (status != 0) {
                fprintf(stderr, "invoke failed with status %d on window %u\n", status, (unsigned)i);
                return 3;
            }
        }
        stack_used = td_stack_used();
    }
    FILE *out = fopen(argv[2], "wb");
    if (out == NULL || fwrite(outputs, TD_MODEL_OUTPUT_SIZE, n, out) != n) {
        fprintf(stderr, "cannot write %s\n", argv[2]);
        return 2;
    }
    fclose(out);
    printf("windows %u stack_used %u\n", (unsigned)n, (unsigned)stack_used);
    return 0;
}
