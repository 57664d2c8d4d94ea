/* SOFTMAX int8 → int8 (TFLite reference_ops::Softmax, quantized): fixed-point
 * exp of (x - max) * beta * scale, output zero point -128 and scale 1/256.
 * An int8 difference to the row's maximum takes only 256 values, so the generator
 * computes the reference's whole exp term for each of them (exp_table, in flash:
 * 4 bytes an entry, at most 1 KB); the kernel sums table entries and does the
 * reference's reciprocal and final scaling. */
#ifndef TD_SOFTMAX_S8_H
#define TD_SOFTMAX_S8_H

#include "td_types.h"

typedef struct {
    int32_t rows, depth;
    /* exp_table[max - x]: gemmlowp's exp_on_negative_values of the scaled difference x - max
     * (Q0.31) as the reference computes it, 0 for a difference below its diff_min. */
    const int32_t *exp_table;
    int32_t table_size; /* 1..256 entries: the table's trailing zeros are left out */
} td_softmax_params;

td_status td_softmax_s8(const td_softmax_params *p, const int8_t *input, int8_t *output);

#endif /* TD_SOFTMAX_S8_H */
