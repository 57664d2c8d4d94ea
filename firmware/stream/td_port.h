/* td_port: what a board main provides to the portable app (serial port and clock). */
#ifndef TD_PORT_H
#define TD_PORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* td_port_getc() results besides a byte 0..255 */
#define TD_PORT_NONE (-1) /* nothing received yet: try again later */
#define TD_PORT_EOF (-2)  /* the input ended (recorded streams on the host and in QEMU only) */

int td_port_getc(void);
void td_port_write(const char *text);
uint32_t td_port_micros(void);

#ifdef __cplusplus
}
#endif

#endif /* TD_PORT_H */
