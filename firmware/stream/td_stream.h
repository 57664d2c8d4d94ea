/* td_stream: streaming inference over a sample-by-sample sensor stream.
 *
 * Each sample is normalized and quantized once, on arrival, by one float32 affine
 * map per channel, q = round_half_away(x * a_c + b_c) clamped to int8 (compile with
 * -ffp-contract=off so that no fused multiply-add changes the rounding), and
 * written twice into a mirrored ring of 2*W samples: the last W samples are then
 * always contiguous, so the model reads the window in place and nothing is copied
 * at each hop. A window is ready after W samples and then every H samples.
 * Results can be smoothed over the last n inferences (moving average of the raw
 * int8 outputs, or majority vote of the labels) with integer arithmetic only, so
 * that the Python reference (tinydistill.streaming) reproduces every decision.
 * The state never overflows however long the stream runs: the sample counters
 * saturate at W and H, and labels are int32 whatever the number of classes.
 * No malloc: the caller owns every buffer.
 */
#ifndef TD_STREAM_H
#define TD_STREAM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How results are smoothed over the last `smooth_n` inferences. */
typedef enum {
    TD_SMOOTH_NONE = 0,    /* the decision of the current window */
    TD_SMOOTH_AVERAGE = 1, /* argmax of the sum of the last n raw output vectors */
    TD_SMOOTH_VOTE = 2     /* the label most of the last n windows chose */
} td_smooth_t;

/* Status codes (negative: bad configuration). */
enum { TD_STREAM_OK = 0, TD_STREAM_BAD_CONFIG = -1 };

/* A class index: any output of a model whose output count fits an int (td_stream_t.outputs). */
typedef int32_t td_label_t;

/* Most results td_stream_decide may smooth over: the AVERAGE sums of n int8 rows stay in int32. */
#define TD_STREAM_SMOOTH_MAX 65536

typedef struct {
    /* configuration (set before td_stream_init) */
    int channels;          /* C: values per sample */
    int window;            /* W: samples per inference */
    int hop;               /* H: samples between inferences, >= 1 */
    const float *scale;    /* a_c, [channels] */
    const float *offset;   /* b_c, [channels] */
    int8_t *ring;          /* [2 * window * channels] */
    int outputs;           /* model outputs per inference */
    td_smooth_t smoothing;
    int smooth_n;          /* results kept for smoothing, 1..TD_STREAM_SMOOTH_MAX */
    int8_t *history;       /* [smooth_n * outputs] raw rows for AVERAGE; may be 0 otherwise */
    td_label_t *labels;    /* [smooth_n] past decisions for VOTE; may be 0 otherwise */
    int32_t *scratch;      /* [outputs]: per-output sums for AVERAGE and counts for VOTE; may be 0 for NONE */
    /* state (td_stream_init / td_stream_reset) */
    int pos;               /* next write slot in 0..W-1 */
    int count;             /* samples since the last reset, saturating at W: never wraps */
    int since;             /* samples since the last inference, 0..H */
    int filled;            /* results in history */
    int next;              /* next history slot */
} td_stream_t;

/* Check the configuration and clear the state. */
int td_stream_init(td_stream_t *s);

/* Forget the window and the smoothing history (a new recording starts). */
void td_stream_reset(td_stream_t *s);

/* Quantize one channel value exactly as tinydistill.streaming.quantize does. */
int8_t td_stream_quantize(float x, float a, float b);

/* Push one sample of `channels` raw values; 1 when a window is ready for inference. */
int td_stream_push(td_stream_t *s, const float *sample);

/* The last W quantized samples, oldest first, time-major [W][C], contiguous. */
const int8_t *td_stream_window(const td_stream_t *s);

/* Index of the largest value (the first one on ties). */
int td_stream_argmax(const int8_t *values, int n);

/* Record one inference's raw outputs and return the smoothed label index. */
int td_stream_decide(td_stream_t *s, const int8_t *raw);

/* Anomaly decision: 1 when score > threshold. */
int td_stream_is_anomaly(float score, float threshold);

#ifdef __cplusplus
}
#endif

#endif /* TD_STREAM_H */
