/* td_serial_csv: samples as CSV text lines from the serial port (the default sensor).
 *
 * Protocol, one line per message, '\n' or "\r\n" terminated:
 *   "v0,v1,...,vC-1"  one sample, the channels in the model's order (TD_STREAM_CHANNEL_NAMES)
 *   "reset"           a new recording starts: forget the window and the smoothing history
 *   "" or "#..."      ignored (comment lines of any length)
 * A malformed or too long sample line is answered with "# error: ..." and otherwise ignored.
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
    TD_SENSOR_RESET = 2,  /* a new recording starts */
    TD_SENSOR_END = 3     /* the recorded input ended (host and QEMU only) */
};

/* Status codes of td_serial_csv_init (negative: bad configuration). */
enum { TD_SERIAL_CSV_OK = 0, TD_SERIAL_CSV_BAD_CONFIG = -1 };

/* Bytes of line buffer for `channels` values: 25 a value (the longest shortest-round-trip
 * double, "-2.2250738585072014e-308", and its comma) plus 16 for "\r", blanks, "reset" and
 * the terminating NUL. tinydistill/deploy/firmware_state.py computes the same figure. */
#define TD_SERIAL_CSV_LINE_SIZE(channels) (25 * (channels) + 16)

typedef struct {
    int channels;   /* values per sample line */
    char *line;     /* [line_size], caller-owned */
    int line_size;  /* >= TD_SERIAL_CSV_LINE_SIZE(channels) */
    int len;        /* characters of the current line so far */
    int overflow;   /* the current line did not fit */
} td_serial_csv_t;

/* The line buffer td_serial_csv_init needs for `channels` values (TD_SERIAL_CSV_LINE_SIZE). */
int td_serial_csv_size(int channels);

/* Attach the caller's line buffer; TD_SERIAL_CSV_BAD_CONFIG when it is too small. */
int td_serial_csv_init(td_serial_csv_t *s, char *line, int line_size, int channels);

/* Read what td_port_getc() has and parse complete lines into `sample` [channels]. */
int td_serial_csv_poll(td_serial_csv_t *s, float *sample);

/* Parse one line (without its newline); returns a TD_SENSOR_* code or -1 when malformed. */
int td_serial_csv_parse(const char *line, float *sample, int channels);

#ifdef __cplusplus
}
#endif

#endif /* TD_SERIAL_CSV_H */
