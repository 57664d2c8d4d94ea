/* Data movement that picks regions of one input (STRIDED_SLICE, SPLIT, SPLIT_V, UNPACK):
 * output k is the contiguous copy of region k of the input. Each region is
 * 9 int32: start, dims[4], strides[4] (element strides in the input, outermost
 * first), all computed at generation time; there is no arithmetic on values. */
#ifndef TD_SLICE_S8_H
#define TD_SLICE_S8_H

#include "td_types.h"

#define TD_REGION_INTS 9

typedef struct {
    int32_t count;          /* regions = outputs */
    const int32_t *regions; /* [count][TD_REGION_INTS] */
} td_slice_params;

td_status td_slice_s8(const td_slice_params *p, const int8_t *input, int8_t *const *outputs);

/* Copy a strided region of `src` into contiguous `dst` (shared with td_concat_s8 / td_pad_s8). */
void td_region_gather_s8(const int32_t *region, const int8_t *src, int8_t *dst);
/* Copy contiguous `src` into a strided region of `dst`. */
void td_region_scatter_s8(const int32_t *region, const int8_t *src, int8_t *dst);

#endif /* TD_SLICE_S8_H */
