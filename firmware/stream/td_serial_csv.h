/* td_serial_csv: samples as CSV text lines from the serial port (the default sensor).
 *
 * Protocol, one line per message; a line ends at CR, LF or CRLF (or where a recorded input ends):
 *   "v0,v1,...,vC-1"  one sample, the channels in the model's order (TD_STREAM_CHANNEL_NAMES)
 *   "reset"           a new recording starts: forget the window and the smoothing history
 *   "" or "#..."      ignored (comment lines of any length)
 * Spaces and tabs around a value or a whole line are allowed.
 *
 * Number format: an optional sign, decimal digits with at most one '.', and an optional
 * exponent ("e" or "E", an optional sign, digits): at most TD_SERIAL_CSV_VALUE_MAX characters,
 * which every shortest round-trip double (Python's repr(), the host's format) and every
 * "%.9g" float32 fit. Read by strtod() and rounded once to float32. No hex floats, no
 * nan or inf spellings, no value beyond float32's range (|x| > 3.4028235e38).
 *
 * Any other line -- a wrong number of values, a value outside the format, a NUL byte, a
 * line longer than the buffer -- is answered with "# error: ...; window reset" and reported
 * as TD_SENSOR_RESET: the sample is dropped and the window restarts, so that no inference
 * ever sees a window with a sample missing from its middle.
 * No malloc and no static state: the caller owns the state and its line buffer.
 */
#ifndef TD_SERIAL_CSV_H
#define TD_SERIAL_CSV_H

#ifdef __cplusplus
extern "C" {
#endif

enum {
    TD_SENSOR_NONE = 0,   /* no complete sample yet */
    TD_SENSOR_SAMPLE = 1, /* `sample` holds a new sample */
    TD_SENSOR_RESET = 2,  /* a new recording starts, or a bad line broke the current one */
    TD_SENSOR_END = 3     /* the recorded input ended (host and QEMU only) */
};

/* Status codes of td_serial_csv_init (negative: bad configuration). */
enum { TD_SERIAL_CSV_OK = 0, TD_SERIAL_CSV_BAD_CONFIG = -1 };

/* Why td_serial_csv_parse refused a line (negative, so that `< 0` means malformed). */
enum {
    TD_SERIAL_CSV_E_COUNT = -1,      /* not exactly `channels` comma-separated values */
    TD_SERIAL_CSV_E_NUMBER = -2,     /* a value is not a decimal number of the documented format */
    TD_SERIAL_CSV_E_NONFINITE = -3,  /* a value spells nan or inf */
    TD_SERIAL_CSV_E_RANGE = -4,      /* a value overflows float32 */
    TD_SERIAL_CSV_E_LONG_VALUE = -5, /* a value has more than TD_SERIAL_CSV_VALUE_MAX characters */
    TD_SERIAL_CSV_E_NUL = -6,        /* a NUL byte inside the line */
    TD_SERIAL_CSV_E_LONG_LINE = -7   /* the line did not fit the buffer */
};

/* Characters of one value at most: "-2.2250738585072014e-308", the longest shortest round-trip double. */
#define TD_SERIAL_CSV_VALUE_MAX 24

/* Bytes of line buffer for `channels` values: each value and its comma, plus 16 for blanks
 * and the terminating NUL. tinydistill/deploy/firmware_state.py computes the same figure. */
#define TD_SERIAL_CSV_LINE_SIZE(channels) ((TD_SERIAL_CSV_VALUE_MAX + 1) * (channels) + 16)

typedef struct {
    int channels;   /* values per sample line */
    char *line;     /* [line_size], caller-owned */
    int line_size;  /* >= TD_SERIAL_CSV_LINE_SIZE(channels); a line holds line_size - 1 characters */
    int len;        /* characters of the current line so far */
    int overflow;   /* the current line did not fit */
} td_serial_csv_t;

/* The line buffer td_serial_csv_init needs for `channels` values (TD_SERIAL_CSV_LINE_SIZE). */
int td_serial_csv_size(int channels);

/* Attach the caller's line buffer; TD_SERIAL_CSV_BAD_CONFIG when it is too small. */
int td_serial_csv_init(td_serial_csv_t *s, char *line, int line_size, int channels);

/* Read what td_port_getc() has and parse complete lines into `sample` [channels].
 * `sample` is meaningful only when TD_SENSOR_SAMPLE is returned. */
int td_serial_csv_poll(td_serial_csv_t *s, float *sample);

/* Parse one NUL-terminated line (without its line ending); returns a TD_SENSOR_* code
 * or a negative TD_SERIAL_CSV_E_* code when the line is malformed. */
int td_serial_csv_parse(const char *line, float *sample, int channels);

#ifdef __cplusplus
}
#endif

#endif /* TD_SERIAL_CSV_H */
