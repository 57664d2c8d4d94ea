/* td_serial_csv: see td_serial_csv.h. */
#include "td_serial_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td_port.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int td_serial_csv_parse(const char *line, float *sample, int channels)
{
    const char *p = line;
    int i;
    while (is_space(*p)) {
        ++p;
    }
    if (*p == '\0' || *p == '#') {
        return TD_SENSOR_NONE;
    }
    if (strncmp(p, "reset", 5) == 0) {
        return TD_SENSOR_RESET;
    }
    for (i = 0; i < channels; ++i) {
        char *end;
        /* strtod then one rounding to float: what Python's float() then float32 does */
        const double v = strtod(p, &end);
        if (end == p) {
            return -1;
        }
        sample[i] = (float)v;
        p = end;
        while (is_space(*p)) {
            ++p;
        }
        if (i + 1 < channels) {
            if (*p != ',') {
                return -1;
            }
            ++p;
        }
    }
    return *p == '\0' ? TD_SENSOR_SAMPLE : -1;
}

int td_serial_csv_size(int channels)
{
    return TD_SERIAL_CSV_LINE_SIZE(channels);
}

int td_serial_csv_init(td_serial_csv_t *s, char *line, int line_size, int channels)
{
    if (!s || !line || channels < 1 || line_size < td_serial_csv_size(channels)) {
        return TD_SERIAL_CSV_BAD_CONFIG;
    }
    s->channels = channels;
    s->line = line;
    s->line_size = line_size;
    s->len = 0;
    s->overflow = 0;
    return TD_SERIAL_CSV_OK;
}

static int finish_line(td_serial_csv_t *s, float *sample)
{
    int result;
    s->line[s->len] = '\0';
    result = td_serial_csv_parse(s->line, sample, s->channels);
    /* a comment is ignored whatever its length; any other line that did not fit is malformed */
    if (s->overflow && result != TD_SENSOR_NONE) {
        result = -1;
    }
    s->len = 0;
    s->overflow = 0;
    if (result < 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "# error: expected %d comma-separated values\n", s->channels);
        td_port_write(msg);
        return TD_SENSOR_NONE;
    }
    return result;
}

int td_serial_csv_poll(td_serial_csv_t *s, float *sample)
{
    for (;;) {
        const int c = td_port_getc();
        if (c == TD_PORT_NONE) {
            return TD_SENSOR_NONE;
        }
        if (c == TD_PORT_EOF) {
            if (s->len > 0) {
                const int result = finish_line(s, sample);
                if (result != TD_SENSOR_NONE) {
                    return result;
                }
            }
            return TD_SENSOR_END;
        }
        if (c == '\n') {
            const int result = finish_line(s, sample);
            if (result != TD_SENSOR_NONE) {
                return result;
            }
            continue;
        }
        if (s->len + 1 < s->line_size) {
            s->line[s->len++] = (char)c;
        } else {
            s->overflow = 1;
        }
    }
}
