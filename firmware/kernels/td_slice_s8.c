/* STRIDED_SLICE / SPLIT / UNPACK int8: strided region copies. */
#include <string.h>
#include "td_slice_s8.h"

/* region = {start, d0, d1, d2, d3, s0, s1, s2, s3}. The innermost run is
 * copied with memcpy when it is contiguous (stride 1), the common case. */
void td_region_gather_s8(const int32_t *region, const int8_t *src, int8_t *dst)
{
    const int32_t *d = region + 1;
    const int32_t *s = region + 5;
    int32_t i0, i1, i2, i3;
    for (i0 = 0; i0 < d[0]; ++i0) {
        for (i1 = 0; i1 < d[1]; ++i1) {
            for (i2 = 0; i2 < d[2]; ++i2) {
                const int8_t *row = src + region[0] + i0 * s[0] + i1 * s[1] + i2 * s[2];
                if (s[3] == 1) {
                    memcpy(dst, row, (size_t)d[3]);
                } else {
                    for (i3 = 0; i3 < d[3]; ++i3) {
                        dst[i3] = row[i3 * s[3]];
                    }
                }
                dst += d[3];
            }
        }
    }
}

void td_region_scatter_s8(const int32_t *region, const int8_t *src, int8_t *dst)
{
    const int32_t *d = region + 1;
    const int32_t *s = region + 5;
    int32_t i0, i1, i2, i3;
    for (i0 = 0; i0 < d[0]; ++i0) {
        for (i1 = 0; i1 < d[1]; ++i1) {
            for (i2 = 0; i2 < d[2]; ++i2) {
                int8_t *row = dst + region[0] + i0 * s[0] + i1 * s[1] + i2 * s[2];
                if (s[3] == 1) {
                    memcpy(row, src, (size_t)d[3]);
                } else {
                    for (i3 = 0; i3 < d[3]; ++i3) {
                        row[i3 * s[3]] = src[i3];
                    }
                }
                src += d[3];
            }
        }
    }
}

td_status td_slice_s8(const td_slice_params *p, const int8_t *input, int8_t *const *outputs)
{
    int32_t k;
    if (p == NULL || input == NULL || outputs == NULL) {
        return TD_ERR_ARG;
    }
    for (k = 0; k < p->count; ++k) {
        if (outputs[k] == NULL) {
            return TD_ERR_ARG;
        }
        td_region_gather_s8(p->regions + k * TD_REGION_INTS, input, outputs[k]);
    }
    return TD_OK;
}
