/* td_serial_csv: samples as CSV text lines from the serial port (the default sensor).
 *
 * Protocol, one line per message, '\n' or "\r\n" terminated:
 *   "v0,v1,...,vC-1"  one sample, the channels in the model's order (TD_STREAM_CHANNEL_NAMES)
 *   "reset"           a new recording starts: forget the window and the smoothing history
 *   "" or "#..."      ignored
 * A malformed line is answered with "# error: ..." and otherwise ignored.
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

#ifndef TD_SERIAL_CSV_LINE_MAX
#define TD_SERIAL_CSV_LINE_MAX 256
#endif

/* Read what td_port_getc() has and parse complete lines into `sample` [channels]. */
int td_serial_csv_poll(float *sample, int channels);

/* Parse one line (without its newline); returns a TD_SENSOR_* code or -1 when malformed. */
int td_serial_csv_parse(const char *line, float *sample, int channels);

#ifdef __cplusplus
}
#endif

#endif /* TD_SERIAL_CSV_H */
