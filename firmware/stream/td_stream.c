/* td_stream: see td_stream.h. Integer decisions, one float32 affine map per value. */
#include "td_stream.h"

#include <string.h>

int8_t td_stream_quantize(float x, float a, float b)
{
    /* Two separately rounded float32 operations (no FMA: -ffp-contract=off). */
    float v = x * a;
    v = v + b;
    if (!(v == v)) {
        return 0; /* NaN: a sensor fault reads as the quantized value 0 */
    }
    if (v >= 127.0f) {
        return 127;
    }
    if (v <= -128.0f) {
        return -128;
    }
    /* round half away from zero: truncation of |v| + 0.5 is its floor */
    if (v >= 0.0f) {
        return (int8_t)(int)(v + 0.5f);
    }
    return (int8_t)(-(int)(-v + 0.5f));
}

int td_stream_init(td_stream_t *s)
{
    if (s->channels < 1 || s->window < 1 || s->hop < 1 || !s->scale || !s->offset ||
        !s->ring || s->outputs < 1) {
        return TD_STREAM_BAD_CONFIG;
    }
    if (s->smoothing != TD_SMOOTH_NONE && s->smoothing != TD_SMOOTH_AVERAGE && s->smoothing != TD_SMOOTH_VOTE) {
        return TD_STREAM_BAD_CONFIG;
    }
    if (s->smoothing != TD_SMOOTH_NONE &&
        (s->smooth_n < 1 || s->smooth_n > TD_STREAM_SMOOTH_MAX || !s->scratch ||
         (s->smoothing == TD_SMOOTH_AVERAGE ? !s->history : !s->labels))) {
        return TD_STREAM_BAD_CONFIG;
    }
    td_stream_reset(s);
    return TD_STREAM_OK;
}

void td_stream_reset(td_stream_t *s)
{
    s->pos = 0;
    s->count = 0;
    s->since = 0;
    s->filled = 0;
    s->next = 0;
}

int td_stream_push(td_stream_t *s, const float *sample)
{
    const int c = s->channels;
    int8_t *lo = s->ring + (size_t)s->pos * (size_t)c;
    int8_t *hi = lo + (size_t)s->window * (size_t)c;
    int i;
    for (i = 0; i < c; ++i) {
        const int8_t q = td_stream_quantize(sample[i], s->scale[i], s->offset[i]);
        lo[i] = q;
        hi[i] = q; /* the mirror keeps the window contiguous */
    }
    s->pos = s->pos + 1 == s->window ? 0 : s->pos + 1;
    if (s->count < s->window) {
        /* only "is the window full yet" matters, so the count stops at W instead of wrapping */
        s->count++;
        if (s->count == s->window) {
            s->since = 0;
            return 1;
        }
        return 0;
    }
    s->since++;
    if (s->since >= s->hop) {
        s->since = 0;
        return 1;
    }
    return 0;
}

const int8_t *td_stream_window(const td_stream_t *s)
{
    /* pos is the oldest sample's slot; the mirror holds the W samples after it */
    return s->ring + (size_t)s->pos * (size_t)s->channels;
}

int td_stream_argmax(const int8_t *values, int n)
{
    int best = 0;
    int i;
    for (i = 1; i < n; ++i) {
        if (values[i] > values[best]) {
            best = i;
        }
    }
    return best;
}

static int argmax32(const int32_t *values, int n)
{
    int best = 0;
    int i;
    for (i = 1; i < n; ++i) {
        if (values[i] > values[best]) {
            best = i;
        }
    }
    return best;
}

int td_stream_decide(td_stream_t *s, const int8_t *raw)
{
    const int n = s->outputs;
    int i, k;
    if (s->smoothing == TD_SMOOTH_NONE) {
        return td_stream_argmax(raw, n);
    }
    if (s->smoothing == TD_SMOOTH_AVERAGE) {
        memcpy(s->history + (size_t)s->next * (size_t)n, raw, (size_t)n);
    } else {
        s->labels[s->next] = td_stream_argmax(raw, n);
    }
    s->next = s->next + 1 == s->smooth_n ? 0 : s->next + 1;
    if (s->filled < s->smooth_n) {
        s->filled++;
    }
    for (i = 0; i < n; ++i) {
        s->scratch[i] = 0;
    }
    for (k = 0; k < s->filled; ++k) {
        if (s->smoothing == TD_SMOOTH_AVERAGE) {
            const int8_t *row = s->history + (size_t)k * (size_t)n;
            for (i = 0; i < n; ++i) {
                s->scratch[i] += row[i];
            }
        } else {
            s->scratch[s->labels[k]]++;
        }
    }
    return argmax32(s->scratch, n);
}

int td_stream_is_anomaly(float score, float threshold)
{
    return score > threshold;
}
