/* tinydistill int8 runtime: shared types and status codes.
 * Kernels are pure functions of their arguments: no malloc, no mutable globals. */
#ifndef TD_TYPES_H
#define TD_TYPES_H

#include <stdint.h>
#include <stddef.h>

/* Status codes: 0 success, negative on error (CMSIS-NN style). */
typedef enum {
    TD_OK = 0,
    TD_ERR_ARG = -1,      /* a NULL pointer or an inconsistent parameter */
    TD_ERR_EMPTY = -2     /* an empty pooling window (never for planned models) */
} td_status;

#if defined(__GNUC__)
#define TD_INLINE static inline __attribute__((always_inline))
#else
#define TD_INLINE static inline
#endif

/* Kernel inputs and outputs never overlap (the planner gives them disjoint bytes). */
#define TD_RESTRICT restrict

/* Ask GCC/Clang to unroll a short loop whose trip count is a compile-time constant. */
#if defined(__GNUC__)
#define TD_UNROLL _Pragma("GCC unroll 8")
#define TD_UNROLL4 _Pragma("GCC unroll 4")
#define TD_UNROLL2 _Pragma("GCC unroll 2")
#else
#define TD_UNROLL2
#define TD_UNROLL
#define TD_UNROLL4
#endif

#endif /* TD_TYPES_H */
