/* FULLY_CONNECTED int8: the callable kernel (the code is td_fully_connected_s8_impl). */
#include "td_fully_connected_s8.h"

td_status td_fully_connected_s8(const td_fully_connected_params *p, const int8_t *input, int8_t *output)
{
    return td_fully_connected_s8_impl(p, input, output);
}
