/* Elementwise int8 → int8 through a 256-entry table (LOGISTIC, TANH): the
 * generator fills the table with the reference kernel's exact outputs. */
#ifndef TD_LUT_S8_H
#define TD_LUT_S8_H

#include "td_types.h"

typedef struct {
    int32_t size;
    const int8_t *table; /* table[x + 128] */
} td_lut_params;

td_status td_lut_s8(const td_lut_params *p, const int8_t *input, int8_t *output);

#endif /* TD_LUT_S8_H */
