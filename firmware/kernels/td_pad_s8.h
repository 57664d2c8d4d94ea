/* PAD / PADV2 int8 (TFLite reference_ops::Pad): the output is filled with the pad
 * value (the output zero point for PAD, i.e. real 0) and the input is copied into
 * its interior region (see td_slice_s8 for the region layout). */
#ifndef TD_PAD_S8_H
#define TD_PAD_S8_H

#include "td_slice_s8.h"

typedef struct {
    int32_t out_size;       /* output elements */
    int32_t pad_value;
    const int32_t *region;  /* [TD_REGION_INTS]: where the input lands in the output */
} td_pad_params;

td_status td_pad_s8(const td_pad_params *p, const int8_t *input, int8_t *output);

#endif /* TD_PAD_S8_H */
