/* Whether this build takes the Armv7E-M / Armv8-M DSP paths (SMLAD, SSAT, SMMULR):
 * the one condition the kernels and the generated model.h test, so that the arena a
 * build declares is the arena its kernels use (their scratch exists only here).
 * Define TD_NO_DSP to build the plain-C paths on a DSP core. */
#ifndef TD_DSP_H
#define TD_DSP_H

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && defined(__GNUC__) && !defined(TD_NO_DSP)
#define TD_USE_DSP 1
#endif

#endif /* TD_DSP_H */
