/* td_serial_csv: see td_serial_csv.h. */
#include "td_serial_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td_port.h"

static char line_buf[TD_SERIAL_CSV_LINE_MAX];
static int line_len;
static int line_overflow;

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

static int finish_line(float *sample, int channels)
{
    int result;
    line_buf[line_len] = '\0';
    result = line_overflow ? -1 : td_serial_csv_parse(line_buf, sample, channels);
    line_len = 0;
    line_overflow = 0;
    if (result < 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "# error: expected %d comma-separated values\n", channels);
        td_port_write(msg);
        return TD_SENSOR_NONE;
    }
    return result;
}

int td_serial_csv_poll(float *sample, int channels)
{
    for (;;) {
        const int c = td_port_getc();
        if (c == TD_PORT_NONE) {
            return TD_SENSOR_NONE;
        }
        if (c == TD_PORT_EOF) {
            if (line_len > 0) {
                const int result = finish_line(sample, channels);
                if (result != TD_SENSOR_NONE) {
                    return result;
                }
            }
            return TD_SENSOR_END;
        }
        if (c == '\n') {
            const int result = finish_line(sample, channels);
            if (result != TD_SENSOR_NONE) {
                return result;
            }
            continue;
        }
        if (line_len + 1 < TD_SERIAL_CSV_LINE_MAX) {
            line_buf[line_len++] = (char)c;
        } else {
            line_overflow = 1;
        }
    }
}
