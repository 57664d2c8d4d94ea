/* td_serial_csv: see td_serial_csv.h. */
#include "td_serial_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td_port.h"

/* The smallest magnitude that rounds to infinity in float32: FLT_MAX plus half an ulp (2^128 - 2^103). */
#define TD_FLOAT32_OVERFLOW 0x1.ffffffp+127

#define TD_STRINGIFY(x) #x
#define TD_DECIMAL(x) TD_STRINGIFY(x)

/* Where a refused line went wrong, for the error message. */
typedef struct {
    int index;        /* 0-based value index */
    const char *text; /* the value's characters, not NUL-terminated */
    int len;
} bad_value_t;

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?, the whole of text[0..len) */
static int is_decimal(const char *text, int len)
{
    int i = 0, digits = 0, exponent = 0;
    if (i < len && (text[i] == '+' || text[i] == '-')) {
        ++i;
    }
    while (i < len && is_digit(text[i])) {
        ++i;
        ++digits;
    }
    if (i < len && text[i] == '.') {
        ++i;
        while (i < len && is_digit(text[i])) {
            ++i;
            ++digits;
        }
    }
    if (digits == 0) {
        return 0;
    }
    if (i < len && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < len && (text[i] == '+' || text[i] == '-')) {
            ++i;
        }
        while (i < len && is_digit(text[i])) {
            ++i;
            ++exponent;
        }
        if (exponent == 0) {
            return 0;
        }
    }
    return i == len;
}

/* nan or inf in any case (what strtod would accept), so that the message can name it. */
static int spells_nonfinite(const char *text, int len)
{
    int i = 0;
    if (len > 0 && (text[0] == '+' || text[0] == '-')) {
        i = 1;
    }
    if (len - i < 3) {
        return 0;
    }
    return (lower(text[i]) == 'n' && lower(text[i + 1]) == 'a' && lower(text[i + 2]) == 'n') ||
           (lower(text[i]) == 'i' && lower(text[i + 1]) == 'n' && lower(text[i + 2]) == 'f');
}

/* Parse text[0..len), which holds no NUL and no line ending. */
static int parse(const char *text, int len, float *sample, int channels, bad_value_t *bad)
{
    int start = 0, end = len, commas = 0, i, k;
    while (start < end && is_blank(text[start])) {
        ++start;
    }
    while (end > start && is_blank(text[end - 1])) {
        --end;
    }
    if (start == end || text[start] == '#') {
        return TD_SENSOR_NONE;
    }
    if (end - start == 5 && memcmp(text + start, "reset", 5) == 0) {
        return TD_SENSOR_RESET;
    }
    for (i = start; i < end; ++i) {
        commas += text[i] == ',';
    }
    if (commas != channels - 1) {
        return TD_SERIAL_CSV_E_COUNT;
    }
    for (k = 0, i = start; k < channels; ++k) {
        int a = i, b;
        double v;
        char *stop;
        while (i < end && text[i] != ',') {
            ++i;
        }
        b = i++; /* past the comma */
        while (a < b && is_blank(text[a])) {
            ++a;
        }
        while (b > a && is_blank(text[b - 1])) {
            --b;
        }
        bad->index = k;
        bad->text = text + a;
        bad->len = b - a;
        if (b - a > TD_SERIAL_CSV_VALUE_MAX) {
            return TD_SERIAL_CSV_E_LONG_VALUE;
        }
        if (!is_decimal(text + a, b - a)) {
            return spells_nonfinite(text + a, b - a) ? TD_SERIAL_CSV_E_NONFINITE : TD_SERIAL_CSV_E_NUMBER;
        }
        /* strtod then one rounding to float: what Python's float() then float32 does. The format
         * is a subset of strtod's, so it stops at the value's end (a blank, a comma or the line's end). */
        v = strtod(text + a, &stop);
        if (stop != text + b) {
            return TD_SERIAL_CSV_E_NUMBER;
        }
        if (!(v > -TD_FLOAT32_OVERFLOW && v < TD_FLOAT32_OVERFLOW)) {
            return TD_SERIAL_CSV_E_RANGE;
        }
        sample[k] = (float)v;
    }
    return TD_SENSOR_SAMPLE;
}

int td_serial_csv_parse(const char *line, float *sample, int channels)
{
    bad_value_t bad;
    if (!line || !sample || channels < 1) {
        return TD_SERIAL_CSV_E_COUNT;
    }
    return parse(line, (int)strlen(line), sample, channels, &bad);
}

int td_serial_csv_size(int channels)
{
    return TD_SERIAL_CSV_LINE_SIZE(channels);
}

int td_serial_csv_init(td_serial_csv_t *s, char *line, int line_size, int channels)
{
    if (!s || !line || channels < 1 || channels > 1000000 || line_size < td_serial_csv_size(channels)) {
        return TD_SERIAL_CSV_BAD_CONFIG;
    }
    s->channels = channels;
    s->line = line;
    s->line_size = line_size;
    s->len = 0;
    s->overflow = 0;
    return TD_SERIAL_CSV_OK;
}

/* '# error: value K "TEXT" WHY; window reset' with TEXT's unprintable bytes shown as '?'. */
static void report_value(const bad_value_t *bad, const char *why)
{
    char msg[160];
    char text[TD_SERIAL_CSV_VALUE_MAX + 4];
    const int shown = bad->len < TD_SERIAL_CSV_VALUE_MAX ? bad->len : TD_SERIAL_CSV_VALUE_MAX;
    int i;
    for (i = 0; i < shown; ++i) {
        const unsigned char c = (unsigned char)bad->text[i];
        text[i] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
    }
    strcpy(text + shown, bad->len > shown ? "..." : "");
    snprintf(msg, sizeof msg, "# error: value %d \"%s\" %s; window reset\n", bad->index + 1, text, why);
    td_port_write(msg);
}

static int finish_line(td_serial_csv_t *s, float *sample)
{
    bad_value_t bad = {0, "", 0};
    char msg[96];
    const int len = s->len;
    const int overflow = s->overflow;
    int start = 0, result;
    s->len = 0;
    s->overflow = 0;
    while (start < len && is_blank(s->line[start])) {
        ++start;
    }
    if (start < len && s->line[start] == '#') {
        return TD_SENSOR_NONE; /* a comment is ignored whatever its length and bytes */
    }
    if (memchr(s->line, '\0', (size_t)len)) {
        result = TD_SERIAL_CSV_E_NUL;
    } else if (overflow) {
        result = TD_SERIAL_CSV_E_LONG_LINE;
    } else {
        s->line[len] = '\0';
        result = parse(s->line, len, sample, s->channels, &bad);
    }
    switch (result) {
    case TD_SERIAL_CSV_E_COUNT:
        snprintf(msg, sizeof msg, "# error: expected %d comma-separated values; window reset\n", s->channels);
        break;
    case TD_SERIAL_CSV_E_NUL:
        snprintf(msg, sizeof msg, "# error: NUL byte in the line; window reset\n");
        break;
    case TD_SERIAL_CSV_E_LONG_LINE:
        snprintf(msg, sizeof msg, "# error: line longer than %d characters; window reset\n", s->line_size - 1);
        break;
    case TD_SERIAL_CSV_E_NUMBER:
        report_value(&bad, "is not a decimal number");
        return TD_SENSOR_RESET;
    case TD_SERIAL_CSV_E_NONFINITE:
        report_value(&bad, "is not a finite number");
        return TD_SENSOR_RESET;
    case TD_SERIAL_CSV_E_RANGE:
        report_value(&bad, "overflows float32 (|x| > 3.4028235e38)");
        return TD_SENSOR_RESET;
    case TD_SERIAL_CSV_E_LONG_VALUE:
        report_value(&bad, "has more than " TD_DECIMAL(TD_SERIAL_CSV_VALUE_MAX) " characters");
        return TD_SENSOR_RESET;
    default:
        return result;
    }
    td_port_write(msg);
    return TD_SENSOR_RESET;
}

int td_serial_csv_poll(td_serial_csv_t *s, float *sample)
{
    for (;;) {
        const int c = td_port_getc();
        if (c == TD_PORT_EOF) {
            if (s->len > 0 || s->overflow) {
                const int result = finish_line(s, sample);
                if (result != TD_SENSOR_NONE) {
                    return result;
                }
            }
            return TD_SENSOR_END;
        }
        if (c < 0 || c > 255) {
            return TD_SENSOR_NONE; /* TD_PORT_NONE (or a port's own error): try again later */
        }
        if (c == '\n' || c == '\r') {
            /* CRLF ends a line and then an empty one, which is ignored */
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
