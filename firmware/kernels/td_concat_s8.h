/* CONCATENATION int8 (TFLite reference_ops::Concatenation): int8 inputs share the
 * output's scale and zero point (the converter inserts QUANTIZE otherwise), so
 * input k is copied verbatim into region k of the output. Regions as td_slice_s8. */
#ifndef TD_CONCAT_S8_H
#define TD_CONCAT_S8_H

#include "td_slice_s8.h"

typedef struct {
    int32_t count;          /* inputs */
    const int32_t *regions; /* [count][TD_REGION_INTS]: where input k lands in the output */
} td_concat_params;

td_status td_concat_s8(const td_concat_params *p, const int8_t *const *inputs, int8_t *output);

#endif /* TD_CONCAT_S8_H */
