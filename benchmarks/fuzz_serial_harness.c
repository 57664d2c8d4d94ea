/* fuzz_serial_harness: the serial reader (td_serial_csv) and the stream runtime (td_stream) on any bytes,
 * checked against an independent reference written from the protocol in td_serial_csv.h and td_stream.h.
 *
 * One input = 8 configuration bytes (channels, window, hop, smoothing, n, outputs, affine map, how often
 * the port says "nothing yet") followed by the bytes the serial port delivers. Every buffer is malloc'ed
 * at its exact size, so that AddressSanitizer sees one byte past any of them. Checked for every input:
 * the sequence of samples (bit for bit), resets and error messages; every window (bit for bit); the
 * inference schedule; every smoothed decision; the runtime's state invariants.
 *
 * Built with -DTD_LIBFUZZER it is a libFuzzer target (LLVMFuzzerTestOneInput); otherwise main() feeds
 * it N seeded inputs from a grammar of good and bad lines plus byte-level mutations:
 *     fuzz_serial_harness N SEED  ->  one line of counts, exit 0 when every check held
 * Compile with -ffp-contract=off (the quantization is specified without fused multiply-add).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td_port.h"
#include "td_serial_csv.h"
#include "td_stream.h"

#define MAX_INPUT 8192

/* ------------------------------------------------------------------ counts */
static struct {
    unsigned long long inputs, bytes, lines, samples, resets, errors, comments, windows, decisions;
    unsigned long long over_128_classes, port_none;
} stats;

static const uint8_t *g_data;
static size_t g_size;

static void fail(const char *what, long where)
{
    size_t i;
    fprintf(stderr, "MISMATCH: %s (at %ld)\ninput (%zu bytes):", what, where, g_size);
    for (i = 0; i < g_size; ++i) {
        fprintf(stderr, "%s%02x", i % 32 ? "" : "\n", g_data[i]);
    }
    fprintf(stderr, "\n");
    abort();
}

/* ------------------------------------------------------------------ the port */
static const uint8_t *port_bytes;
static size_t port_len, port_pos;
static unsigned port_none_period, port_calls;
static int messages;

int td_port_getc(void)
{
    if (port_none_period && ++port_calls % port_none_period == 0) {
        stats.port_none++;
        return TD_PORT_NONE;
    }
    if (port_pos >= port_len) {
        return TD_PORT_EOF;
    }
    return port_bytes[port_pos++];
}

void td_port_write(const char *text)
{
    static const char head[] = "# error: ", tail[] = "; window reset\n";
    const size_t n = strlen(text);
    if (n >= 200 || n < sizeof head + sizeof tail || memcmp(text, head, sizeof head - 1) != 0 ||
        strcmp(text + n - (sizeof tail - 1), tail) != 0 || memchr(text, '\n', n - 1)) {
        fail("an error message that is not one '# error: ...; window reset' line", (long)port_pos);
    }
    messages++;
}

uint32_t td_port_micros(void)
{
    return 0;
}

/* ------------------------------------------------------------------ reference reader */
enum { EV_NONE, EV_SAMPLE, EV_RESET, EV_ERROR };

static int blank(int c)
{
    return c == ' ' || c == '\t';
}

/* The number format as a table-free state machine: 0 start, 1 sign, 2 int digits, 3 point after digits,
 * 4 point first, 5 fraction digits, 6 e, 7 exponent sign, 8 exponent digits. */
static int ref_is_number(const char *t, int n)
{
    int state = 0, i;
    for (i = 0; i < n; ++i) {
        const int c = (unsigned char)t[i];
        const int d = c >= '0' && c <= '9';
        switch (state) {
        case 0: state = (c == '+' || c == '-') ? 1 : d ? 2 : c == '.' ? 4 : -1; break;
        case 1: state = d ? 2 : c == '.' ? 4 : -1; break;
        case 2: state = d ? 2 : c == '.' ? 3 : (c == 'e' || c == 'E') ? 6 : -1; break;
        case 3: case 5: state = d ? 5 : (c == 'e' || c == 'E') ? 6 : -1; break;
        case 4: state = d ? 5 : -1; break;
        case 6: state = (c == '+' || c == '-') ? 7 : d ? 8 : -1; break;
        case 7: case 8: state = d ? 8 : -1; break;
        default: return 0;
        }
        if (state < 0) {
            return 0;
        }
    }
    return state == 2 || state == 3 || state == 5 || state == 8;
}

/* One line as the device must see it: bytes[0..n) without the line ending. */
static int ref_line(const char *bytes, int n, int cap, int channels, float *out)
{
    const int stored = n < cap ? n : cap;
    int a = 0, b, k, i, field_start;
    while (a < stored && blank(bytes[a])) {
        ++a;
    }
    if (a < stored && bytes[a] == '#') {
        return EV_NONE;
    }
    for (i = 0; i < stored; ++i) {
        if (bytes[i] == '\0') {
            return EV_ERROR;
        }
    }
    if (n > cap) {
        return EV_ERROR;
    }
    b = n;
    while (b > a && blank(bytes[b - 1])) {
        --b;
    }
    if (a == b) {
        return EV_NONE;
    }
    if (b - a == 5 && strncmp(bytes + a, "reset", 5) == 0) {
        return EV_RESET;
    }
    k = 0;
    field_start = a;
    for (i = a; i <= b; ++i) {
        if (i == b || bytes[i] == ',') {
            int s = field_start, e = i;
            char token[32];
            double v;
            while (s < e && blank(bytes[s])) {
                ++s;
            }
            while (e > s && blank(bytes[e - 1])) {
                --e;
            }
            if (k >= channels || e - s > 24 || !ref_is_number(bytes + s, e - s)) {
                return EV_ERROR;
            }
            memcpy(token, bytes + s, (size_t)(e - s));
            token[e - s] = '\0';
            v = strtod(token, NULL);
            if (!(fabs(v) < (double)FLT_MAX + ldexp(1.0, 103))) {
                return EV_ERROR;
            }
            out[k++] = (float)v;
            field_start = i + 1;
        }
    }
    return k == channels ? EV_SAMPLE : EV_ERROR;
}

/* ------------------------------------------------------------------ reference stream */
static int8_t ref_quantize(float x, float a, float b)
{
    /* tinydistill.deploy.streaming.quantize: float32 x*a, + b, floor(|v| + 0.5) with its sign, clamp; NaN -> 0 */
    volatile float v = x * a;
    float r;
    v = v + b;
    if (isnan(v)) {
        return 0;
    }
    r = floorf(fabsf(v) + 0.5f);
    if (v < 0) {
        r = -r;
    }
    return (int8_t)(r > 127.0f ? 127 : r < -128.0f ? -128 : (int)r);
}

static int ref_argmax_i64(const int64_t *v, int n)
{
    int best = 0, i;
    for (i = 1; i < n; ++i) {
        if (v[i] > v[best]) {
            best = i;
        }
    }
    return best;
}

/* ------------------------------------------------------------------ one input */
/* Values per line from the configuration bytes: mostly 1..8, now and then a wide stream of 9..64 (long lines). */
static int config_channels(const uint8_t *cfg)
{
    return cfg[0] >= 240 ? 9 + (cfg[0] * 7 + cfg[1]) % 56 : 1 + cfg[0] % 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int channels, window, hop, smoothing, n, outputs, i, k, cap;
    float *scale, *offset, *sample, *expected;
    int8_t *ring, *history, *raw, *recent;
    td_label_t *labels;
    int32_t *scratch;
    int64_t *sums;
    int *past;
    char *line;
    td_serial_csv_t csv;
    td_stream_t s;
    long long count = 0, since_reset_results = 0;
    size_t pos, line_start;
    int errors_expected = 0;

    if (size < 8) {
        return 0;
    }
    g_data = data;
    g_size = size;
    stats.inputs++;
    stats.bytes += size;
    channels = config_channels(data);
    window = 1 + data[1] % 12;
    hop = 1 + data[2] % 16;
    smoothing = data[3] % 3;
    n = smoothing ? 1 + data[4] % 6 : 1;
    outputs = 1 + (data[5] | (data[3] & 0xf0) << 4) % 300;
    port_none_period = data[6] % 8 ? 0 : 2 + data[6] % 5; /* every k-th read finds nothing yet */
    if (outputs > 128) {
        stats.over_128_classes++;
    }

    scale = malloc(sizeof(float) * (size_t)channels);
    offset = malloc(sizeof(float) * (size_t)channels);
    sample = malloc(sizeof(float) * (size_t)channels);
    expected = malloc(sizeof(float) * (size_t)channels);
    ring = malloc((size_t)(2 * window * channels));
    recent = malloc((size_t)(window * channels));
    history = malloc((size_t)(n * outputs));
    labels = malloc(sizeof(td_label_t) * (size_t)n);
    scratch = malloc(sizeof(int32_t) * (size_t)outputs);
    sums = malloc(sizeof(int64_t) * (size_t)outputs);
    past = malloc(sizeof(int) * (size_t)n * (size_t)outputs);
    raw = malloc((size_t)outputs);
    line = malloc((size_t)td_serial_csv_size(channels));
    for (i = 0; i < channels; ++i) {
        /* an affine map from the input: ordinary, steep, zero and negative slopes */
        scale[i] = (float)((int)data[7] - 128) / (float)(1 + i % 3) * (data[7] & 1 ? 1.0f : 1e-3f);
        offset[i] = (float)(i * 37 % 19) - 9.5f;
    }
    if (td_serial_csv_init(&csv, line, td_serial_csv_size(channels), channels) != TD_SERIAL_CSV_OK) {
        fail("td_serial_csv_init refused its own size", 0);
    }
    memset(&s, 0, sizeof s);
    s.channels = channels;
    s.window = window;
    s.hop = hop;
    s.scale = scale;
    s.offset = offset;
    s.ring = ring;
    s.outputs = outputs;
    s.smoothing = (td_smooth_t)smoothing;
    s.smooth_n = n;
    s.history = history;
    s.labels = labels;
    s.scratch = scratch;
    if (td_stream_init(&s) != TD_STREAM_OK) {
        fail("td_stream_init refused a valid configuration", 0);
    }

    port_bytes = data + 8;
    port_len = size - 8;
    port_pos = 0;
    port_calls = 0;
    messages = 0;
    cap = td_serial_csv_size(channels) - 1;
    line_start = 0;
    /* walk the reference over each line, then ask the device for its next event and compare */
    for (pos = 0; pos <= port_len; ++pos) {
        int ev, got;
        if (pos < port_len && port_bytes[pos] != '\n' && port_bytes[pos] != '\r') {
            continue;
        }
        if (pos == port_len && pos == line_start) {
            break;
        }
        stats.lines++;
        ev = ref_line((const char *)port_bytes + line_start, (int)(pos - line_start), cap, channels, expected);
        line_start = pos + 1;
        if (ev == EV_NONE) {
            stats.comments++;
            continue;
        }
        if (ev == EV_ERROR) {
            errors_expected++;
            stats.errors++;
        }
        do {
            got = td_serial_csv_poll(&csv, sample);
        } while (got == TD_SENSOR_NONE);
        if (got == TD_SENSOR_END) {
            fail("the reader ended before the reference did", (long)pos);
        }
        if (messages != errors_expected) {
            fail("error messages do not match the bad lines", (long)pos);
        }
        if (ev == EV_SAMPLE) {
            int ready, want;
            if (got != TD_SENSOR_SAMPLE || memcmp(sample, expected, sizeof(float) * (size_t)channels) != 0) {
                fail("a sample line read differently", (long)pos);
            }
            stats.samples++;
            /* the reference window: the last W quantized samples of the current recording */
            memmove(recent, recent + channels, (size_t)((window - 1) * channels));
            for (i = 0; i < channels; ++i) {
                recent[(window - 1) * channels + i] = ref_quantize(sample[i], scale[i], offset[i]);
            }
            count++;
            want = count >= window && (count - window) % hop == 0;
            ready = td_stream_push(&s, sample);
            if (ready != want) {
                fail("the inference schedule differs", (long)pos);
            }
            if (s.pos < 0 || s.pos >= window || s.count < 0 || s.count > window || s.since < 0 ||
                s.since > hop || s.filled < 0 || s.filled > n || s.next < 0 || s.next >= n) {
                fail("the stream state left its ranges", (long)pos);
            }
            if (ready) {
                const int8_t *w = td_stream_window(&s);
                int d, m, best;
                stats.windows++;
                if (memcmp(w, recent, (size_t)(window * channels)) != 0) {
                    fail("a window differs", (long)pos);
                }
                for (k = 0; k < outputs; ++k) {
                    raw[k] = (int8_t)(w[(7 * k) % (window * channels)] ^ (int8_t)(k * 29));
                }
                d = td_stream_decide(&s, raw);
                /* the reference decision over the last n results of this recording */
                for (k = 0; k < outputs; ++k) {
                    past[(since_reset_results % n) * outputs + k] = raw[k];
                }
                since_reset_results++;
                if (smoothing == TD_SMOOTH_NONE) {
                    for (k = 0; k < outputs; ++k) {
                        sums[k] = raw[k];
                    }
                    best = ref_argmax_i64(sums, outputs);
                } else {
                    const int kept = since_reset_results < n ? (int)since_reset_results : n;
                    memset(sums, 0, sizeof(int64_t) * (size_t)outputs);
                    for (m = 0; m < kept; ++m) {
                        const int *row = past + m * outputs;
                        if (smoothing == TD_SMOOTH_AVERAGE) {
                            for (k = 0; k < outputs; ++k) {
                                sums[k] += row[k];
                            }
                        } else {
                            int top = 0;
                            for (k = 1; k < outputs; ++k) {
                                top = row[k] > row[top] ? k : top;
                            }
                            sums[top]++;
                        }
                    }
                    best = ref_argmax_i64(sums, outputs);
                }
                if (d != best || d < 0 || d >= outputs) {
                    fail("a smoothed decision differs", (long)pos);
                }
                stats.decisions++;
            }
        } else {
            if (got != TD_SENSOR_RESET) {
                fail(ev == EV_RESET ? "a reset line was not a reset" : "a bad line did not reset the window", (long)pos);
            }
            stats.resets++;
            td_stream_reset(&s);
            count = 0;
            since_reset_results = 0;
        }
    }
    {
        int got;
        do {
            got = td_serial_csv_poll(&csv, sample);
        } while (got == TD_SENSOR_NONE);
        if (got != TD_SENSOR_END || messages != errors_expected) {
            fail("the reader had more events than the reference", (long)port_len);
        }
    }
    free(scale);
    free(offset);
    free(sample);
    free(expected);
    free(ring);
    free(recent);
    free(history);
    free(labels);
    free(scratch);
    free(sums);
    free(past);
    free(raw);
    free(line);
    return 0;
}

#ifndef TD_LIBFUZZER
/* ------------------------------------------------------------------ the grammar of inputs */
static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: seeded, fast, the same sequence everywhere */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

typedef struct {
    uint8_t *p;
    size_t n, cap;
} out_t;

static void put(out_t *o, const char *text, size_t len)
{
    if (o->n + len > o->cap) {
        len = o->cap - o->n;
    }
    memcpy(o->p + o->n, text, len);
    o->n += len;
}

static void puts_(out_t *o, const char *text)
{
    put(o, text, strlen(text));
}

static double random_value(void)
{
    /* float32's edges: 3.4028235677973362e38 is the largest double that still rounds to FLT_MAX */
    static const double special[] = {0.0, -0.0, 1e-45, -1.4e-45, 5e-324, 2.2250738585072014e-308, 3.4028234e38,
                                     -3.4028235e38, 3.4028235677973362e38, -3.4028235677973362e38, 0.5, -0.5, 1.5,
                                     127.5, -128.5, 0.1, 9.81, 1e16, 1e-5, 123456789.0};
    switch (below(8)) {
    case 0:
        return special[below(sizeof special / sizeof special[0])];
    case 1:
        return (double)((int)below(4001) - 2000) / 8.0; /* ties of the affine map */
    case 2:
        return ldexp((double)(int64_t)rnd() / 9.2e18, (int)below(256) - 130);
    default:
        return ((double)(int64_t)rnd() / 9.2e18) * pow(10.0, (double)below(8));
    }
}

static void put_value(out_t *o, double v)
{
    static const char *const formats[] = {"%.17g", "%.9g", "%g", "%e", "%+.5E", "%.17g", "%.9g", "%.6g"};
    static const char *const odd[] = {"nan", "inf", "-inf", "NaN", "Infinity", "-INF", "nan(0x1)", "1e999",
                                      "-1e400", "0x1p3", "0x10", "", ".", "-", "+.", "1e", "1e+", "e5", "1..2",
                                      "1.2.3", "--1", "1,5", "١", "1 2", "00012", ".5", "5.", "+0", "-0.0e-0",
                                      "0.0000000000000000000000001", "123456789012345678901234", "1_000", "½",
                                      "3.4028235677973366e38", "-3.402823567797337e38", "1e39", "1e308"};
    char text[64];
    if (below(150) == 0) {
        puts_(o, odd[below(sizeof odd / sizeof odd[0])]);
        return;
    }
    if (below(50) == 0) {
        snprintf(text, sizeof text, below(2) ? "%.20g" : fabs(v) < 1e15 ? "%.3f" : "%.0f", v); /* long ones too */
    } else {
        snprintf(text, sizeof text, formats[below(sizeof formats / sizeof formats[0])], v);
    }
    puts_(o, text);
}

static void put_blanks(out_t *o)
{
    static const char *const blanks[] = {" ", "\t", "  ", " \t"};
    if (below(8) == 0) {
        puts_(o, blanks[below(4)]);
    }
}

static void put_ending(out_t *o)
{
    static const char *const endings[] = {"\n", "\r", "\r\n", "\n\r", "\n\n", "\r\r\n"};
    puts_(o, endings[below(5) ? below(3) : below(6)]);
}

static size_t generate(uint8_t *buf, size_t cap)
{
    out_t o = {buf, 0, cap};
    int channels, lines, l, k;
    for (k = 0; k < 8; ++k) {
        buf[k] = (uint8_t)rnd();
    }
    o.n = 8;
    channels = config_channels(buf);
    lines = 1 + (int)below(below(8) ? 14 : 48);
    for (l = 0; l < lines && o.n < cap - 64; ++l) {
        const unsigned kind = below(100);
        if (kind < 80) { /* a sample, sometimes with the wrong number of values */
            int values = channels;
            if (below(50) == 0) {
                values = channels + (below(2) ? 1 : -1);
            }
            put_blanks(&o);
            for (k = 0; k < values; ++k) {
                if (k) {
                    put_blanks(&o);
                    puts_(&o, ",");
                }
                put_blanks(&o);
                put_value(&o, random_value());
            }
            put_blanks(&o);
        } else if (kind < 86) {
            static const char *const resets[] = {"reset", "reset", "reset", " reset\t", "resetting", "reset,1,2",
                                                 "RESET", "reset reset", "rese", "#reset"};
            puts_(&o, resets[below(10)]);
        } else if (kind < 90) {
            const unsigned len = below(16) ? below(20) : below(600);
            unsigned i;
            puts_(&o, below(2) ? "#" : "  #");
            for (i = 0; i < len; ++i) {
                char c = (char)(32 + below(95));
                put(&o, &c, 1);
            }
        } else if (kind < 93) {
            /* blank or empty */
            put_blanks(&o);
        } else if (kind < 96) { /* a line longer than the buffer, or just fitting */
            const unsigned len = (unsigned)td_serial_csv_size(channels) - 3 + below(6);
            unsigned i;
            for (i = 0; i < len; ++i) {
                puts_(&o, i % 2 ? "," : "1");
            }
        } else { /* random bytes, NUL included */
            const unsigned len = below(40);
            unsigned i;
            for (i = 0; i < len; ++i) {
                char c = (char)below(256);
                put(&o, &c, 1);
            }
        }
        if (l + 1 < lines || below(4)) {
            put_ending(&o);
        }
    }
    /* byte-level mutations of the well-formed text */
    if (below(4) == 0) {
        const unsigned edits = 1 + below(6);
        unsigned e;
        for (e = 0; e < edits && o.n > 9; ++e) {
            const size_t at = 8 + below((unsigned)(o.n - 8));
            switch (below(5)) {
            case 0: buf[at] = (uint8_t)rnd(); break;
            case 1: buf[at] ^= (uint8_t)(1u << below(8)); break;
            case 2: buf[at] = "\0\r\n,#. e-"[below(9)]; break;
            case 3: if (o.n < cap) { memmove(buf + at + 1, buf + at, o.n - at); buf[at] = (uint8_t)rnd(); o.n++; } break;
            default: memmove(buf + at, buf + at + 1, o.n - at - 1); o.n--; break;
            }
        }
    }
    return o.n;
}

int main(int argc, char **argv)
{
    static uint8_t buf[MAX_INPUT];
    unsigned long long total, i;
    if (argc != 3) {
        fprintf(stderr, "usage: %s INPUTS SEED\n", argv[0]);
        return 2;
    }
    total = strtoull(argv[1], NULL, 10);
    rng_state = 0x9E3779B97F4A7C15ULL ^ strtoull(argv[2], NULL, 10);
    for (i = 0; i < total; ++i) {
        const size_t n = generate(buf, sizeof buf);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("inputs=%llu bytes=%llu lines=%llu samples=%llu resets=%llu errors=%llu ignored=%llu windows=%llu "
           "decisions=%llu over_128_classes=%llu port_none=%llu\n",
           stats.inputs, stats.bytes, stats.lines, stats.samples, stats.resets, stats.errors, stats.comments,
           stats.windows, stats.decisions, stats.over_128_classes, stats.port_none);
    return 0;
}
#endif
