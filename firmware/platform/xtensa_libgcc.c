/* The run-time helpers GCC calls on the Xtensa lx106 that Debian's gcc-xtensa-lx106 libgcc
 * leaves out: 32-bit division (the core has no divider), 64-bit multiply and division (no
 * 32x32->64 multiply either; its own __udivmoddi4 needs __umulsidi3), and the single-precision soft-float operations the firmware
 * uses (the core has no FPU), with the double-precision multiply, divide and conversions C
 * library code and benchmark harnesses call. The float operations are IEEE 754 binary32 with
 * (and binary64) with round-to-nearest-even, subnormals and infinities, so that results are the bits an FPU
 * (and the Python reference's numpy float32) gives; NaNs come out quiet.
 *
 * Everything here is integer code on 32-bit words: a float or 64-bit multiply in this file
 * would call the very helper it is in. lx106 has a 32x32->32 (MULL) and 16x16->32 (MUL16U)
 * multiplier, which the 64-bit products are built from.
 */
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------- prototypes (for -W) */
uint32_t __udivsi3(uint32_t n, uint32_t d);
uint32_t __umodsi3(uint32_t n, uint32_t d);
int32_t __divsi3(int32_t n, int32_t d);
uint64_t __muldi3(uint64_t a, uint64_t b);
uint64_t __umulsidi3(uint32_t a, uint32_t b);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
float __addsf3(float a, float b);
float __subsf3(float a, float b);
float __mulsf3(float a, float b);
float __floatsisf(int32_t a);
float __floatunsisf(uint32_t a);
float __truncdfsf2(double a);
double __muldf3(double a, double b);
double __divdf3(double a, double b);
double __floatsidf(int32_t a);
double __floatunsidf(uint32_t a);
/* In Debian's libgcc. */
uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);

/* ---------------------------------------------------------------- integers */

/* Shift-and-subtract division; a zero divisor traps (an illegal instruction: the emulated
 * run ends as a fault, as a divide-by-zero exception would on a core with a divider). */
static uint32_t udivmod32(uint32_t n, uint32_t d, uint32_t *rem)
{
    if (d == 0u) {
        __builtin_trap();
    }
    uint32_t q = 0u;
    if (d <= n) {
        int shift = __builtin_clz(d) - __builtin_clz(n);
        d <<= shift;
        for (; shift >= 0; shift--) {
            q <<= 1;
            if (n >= d) {
                n -= d;
                q |= 1u;
            }
            d >>= 1;
        }
    }
    *rem = n;
    return q;
}

uint32_t __udivsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    return udivmod32(n, d, &r);
}

uint32_t __umodsi3(uint32_t n, uint32_t d)
{
    uint32_t r;
    (void)udivmod32(n, d, &r);
    return r;
}

int32_t __divsi3(int32_t n, int32_t d)
{
    uint32_t r;
    const uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
    const uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    const uint32_t q = udivmod32(un, ud, &r);
    return (int32_t)((n < 0) != (d < 0) ? 0u - q : q);
}

/* The full 64-bit product of two 32-bit words, from four 16x16 products. */
static void umul32x32(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    const uint32_t al = a & 0xFFFFu, ah = a >> 16, bl = b & 0xFFFFu, bh = b >> 16;
    const uint32_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    const uint32_t mid = (ll >> 16) + (lh & 0xFFFFu) + (hl & 0xFFFFu);  /* < 3 * 2^16 */
    *lo = (mid << 16) | (ll & 0xFFFFu);
    *hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
}

uint64_t __muldi3(uint64_t a, uint64_t b)
{
    const uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32), bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
    uint32_t hi, lo;
    umul32x32(al, bl, &hi, &lo);
    hi += al * bh + ah * bl;
    return ((uint64_t)hi << 32) | lo;
}

uint64_t __umulsidi3(uint32_t a, uint32_t b)
{
    uint32_t hi, lo;
    umul32x32(a, b, &hi, &lo);
    return ((uint64_t)hi << 32) | lo;
}

uint64_t __udivdi3(uint64_t n, uint64_t d) { return __udivmoddi4(n, d, 0); }

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
    uint64_t r;
    (void)__udivmoddi4(n, d, &r);
    return r;
}

/* ------------------------------------------------- shared by binary32 and binary64 */
/* One copy of the rounding logic serves both formats: a format is its exponent and fraction
 * widths and its number of rounding bits, values travel as uint64 (binary32 ones zero-extended). */

/* Right shift that ORs every bit shifted out into bit 0 (the "sticky" bit). */
static uint64_t shift_right_jam64(uint64_t a, uint32_t dist)
{
    if (dist == 0u) {
        return a;
    }
    return dist < 63u ? (a >> dist) | ((a << (64u - dist)) != 0u) : (a != 0u);
}

static int is_nan_format(uint64_t u, uint64_t sign, uint64_t inf) { return (u & ~sign) > inf; }

/* The quiet form of whichever operand is a NaN (the first one first). */
static uint64_t propagate_nan_format(uint64_t a, uint64_t b, uint64_t sign, uint64_t inf, uint64_t quiet)
{
    return (is_nan_format(a, sign, inf) ? a : b) | quiet;
}

/* Rounds `sig` (its leading bit at frac_bits + round_bits, exp the biased exponent minus one) to
 * nearest even and packs it; overflow gives infinity, and a negative exp a subnormal or zero. */
static uint64_t round_pack_format(uint64_t sign, int32_t exp, uint64_t sig, uint32_t exp_bits, uint32_t frac_bits,
                                  uint32_t round_bits)
{
    const uint64_t round_mask = ((uint64_t)1u << round_bits) - 1u, half = (uint64_t)1u << (round_bits - 1u);
    const uint32_t exp_top = (1u << exp_bits) - 3u;  /* the largest finite exponent, minus one */
    uint64_t rounding = sig & round_mask;
    if ((uint32_t)exp >= exp_top) {
        if (exp < 0) {  /* subnormal or zero */
            sig = shift_right_jam64(sig, (uint32_t)-exp);
            exp = 0;
            rounding = sig & round_mask;
        } else if (exp > (int32_t)exp_top || sig + half >= (uint64_t)1u << (frac_bits + round_bits + 1u)) {
            return sign | ((((uint64_t)1u << exp_bits) - 1u) << frac_bits);
        }
    }
    sig = (sig + half) >> round_bits;
    if (rounding == half) {
        sig &= ~(uint64_t)1u;  /* a tie: to even */
    }
    if (sig == 0u) {
        exp = 0;
    }
    return sign + ((uint64_t)(uint32_t)exp << frac_bits) + sig;
}

/* ---------------------------------------------------------------- binary32 */
/* Significands are handled with the leading (implicit) bit at bit 30 and 7 rounding bits
 * below the 23 stored ones; `exp` is then the biased exponent minus one, so that packing
 * (exp << 23) + (sig >> 7) adds the implicit bit back as one more unit of exponent. */

#define F32_SIGN 0x80000000u
#define F32_INF 0x7F800000u
#define F32_QUIET 0x00400000u
#define F32_DEFAULT_NAN 0x7FC00000u

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int is_nan(uint32_t u) { return is_nan_format(u, F32_SIGN, F32_INF); }

static uint32_t propagate_nan(uint32_t a, uint32_t b)
{
    return (uint32_t)propagate_nan_format(a, b, F32_SIGN, F32_INF, F32_QUIET);
}

static uint32_t shift_right_jam(uint32_t a, uint32_t dist) { return (uint32_t)shift_right_jam64(a, dist); }

static uint32_t round_pack(uint32_t sign, int32_t exp, uint32_t sig)
{
    return (uint32_t)round_pack_format(sign, exp, sig, 8u, 23u, 7u);
}

/* round_pack for a significand whose leading bit may be anywhere. */
static uint32_t norm_round_pack(uint32_t sign, int32_t exp, uint32_t sig)
{
    const int shift = __builtin_clz(sig) - 1;
    exp -= shift;
    if (shift >= 7 && (uint32_t)exp < 0xFDu) {  /* exact: no rounding */
        return sign + ((uint32_t)(sig ? exp : 0) << 23) + (sig << (shift - 7));
    }
    return round_pack(sign, exp, sig << shift);
}

static uint32_t add_magnitudes(uint32_t a, uint32_t b, uint32_t sign)
{
    int32_t exp_a = (int32_t)((a >> 23) & 0xFFu), exp_b = (int32_t)((b >> 23) & 0xFFu);
    uint32_t sig_a = a & 0x007FFFFFu, sig_b = b & 0x007FFFFFu;
    const int32_t diff = exp_a - exp_b;
    int32_t exp;
    uint32_t sig;
    if (diff == 0) {
        if (exp_a == 0) {  /* two subnormals: the sum may carry into the exponent, as packed */
            return a + sig_b;
        }
        if (exp_a == 0xFF) {
            return (sig_a | sig_b) ? propagate_nan(a, b) : a;
        }
        exp = exp_a;
        sig = 0x01000000u + sig_a + sig_b;
        if ((sig & 1u) == 0u && exp < 0xFE) {
            return sign + ((uint32_t)exp << 23) + (sig >> 1);
        }
        sig <<= 6;
    } else {
        sig_a <<= 6;
        sig_b <<= 6;
        if (diff < 0) {
            if (exp_b == 0xFF) {
                return sig_b ? propagate_nan(a, b) : sign | F32_INF;
            }
            exp = exp_b;
            sig_a += exp_a ? 0x20000000u : sig_a;
            sig_a = shift_right_jam(sig_a, (uint32_t)-diff);
        } else {
            if (exp_a == 0xFF) {
                return sig_a ? propagate_nan(a, b) : a;
            }
            exp = exp_a;
            sig_b += exp_b ? 0x20000000u : sig_b;
            sig_b = shift_right_jam(sig_b, (uint32_t)diff);
        }
        sig = 0x20000000u + sig_a + sig_b;
        if (sig < 0x40000000u) {
            exp--;
            sig <<= 1;
        }
    }
    return round_pack(sign, exp, sig);
}

static uint32_t subtract_magnitudes(uint32_t a, uint32_t b)
{
    int32_t exp_a = (int32_t)((a >> 23) & 0xFFu), exp_b = (int32_t)((b >> 23) & 0xFFu);
    uint32_t sig_a = a & 0x007FFFFFu, sig_b = b & 0x007FFFFFu;
    uint32_t sign = a & F32_SIGN;
    int32_t diff = exp_a - exp_b;
    if (diff == 0) {
        if (exp_a == 0xFF) {
            return (sig_a | sig_b) ? propagate_nan(a, b) : F32_DEFAULT_NAN;  /* inf - inf */
        }
        int32_t sig_diff = (int32_t)sig_a - (int32_t)sig_b;
        if (sig_diff == 0) {
            return 0u;  /* x - x is +0 when rounding to nearest */
        }
        if (exp_a) {
            exp_a--;
        }
        if (sig_diff < 0) {
            sign ^= F32_SIGN;
            sig_diff = -sig_diff;
        }
        int shift = __builtin_clz((uint32_t)sig_diff) - 8;
        int32_t exp = exp_a - shift;
        if (exp < 0) {
            shift = exp_a;
            exp = 0;
        }
        return sign + ((uint32_t)exp << 23) + ((uint32_t)sig_diff << shift);
    }
    int32_t exp;
    uint32_t sig_x, sig_y;
    sig_a <<= 7;
    sig_b <<= 7;
    if (diff < 0) {
        sign ^= F32_SIGN;
        if (exp_b == 0xFF) {
            return sig_b ? propagate_nan(a, b) : sign | F32_INF;
        }
        exp = exp_b - 1;
        sig_x = sig_b | 0x40000000u;
        sig_y = sig_a + (exp_a ? 0x40000000u : sig_a);
        diff = -diff;
    } else {
        if (exp_a == 0xFF) {
            return sig_a ? propagate_nan(a, b) : a;
        }
        exp = exp_a - 1;
        sig_x = sig_a | 0x40000000u;
        sig_y = sig_b + (exp_b ? 0x40000000u : sig_b);
    }
    return norm_round_pack(sign, exp, sig_x - shift_right_jam(sig_y, (uint32_t)diff));
}

static uint32_t add_bits(uint32_t a, uint32_t b)
{
    return ((a ^ b) & F32_SIGN) ? subtract_magnitudes(a, b) : add_magnitudes(a, b, a & F32_SIGN);
}

float __addsf3(float a, float b) { return float_of(add_bits(bits_of(a), bits_of(b))); }

float __subsf3(float a, float b) { return float_of(add_bits(bits_of(a), bits_of(b) ^ F32_SIGN)); }

/* A subnormal's significand shifted up to a normal one's position, and its exponent. */
static void normalize_subnormal(uint32_t *sig, int32_t *exp)
{
    const int shift = __builtin_clz(*sig) - 8;
    *exp = 1 - shift;
    *sig <<= shift;
}

float __mulsf3(float fa, float fb)
{
    const uint32_t a = bits_of(fa), b = bits_of(fb);
    const uint32_t sign = (a ^ b) & F32_SIGN;
    int32_t exp_a = (int32_t)((a >> 23) & 0xFFu), exp_b = (int32_t)((b >> 23) & 0xFFu);
    uint32_t sig_a = a & 0x007FFFFFu, sig_b = b & 0x007FFFFFu;
    if (exp_a == 0xFF || exp_b == 0xFF) {
        if (is_nan(a) || is_nan(b)) {
            return float_of(propagate_nan(a, b));
        }
        const uint32_t other = exp_a == 0xFF ? b : a;
        return float_of((other & 0x7FFFFFFFu) == 0u ? F32_DEFAULT_NAN : sign | F32_INF);  /* inf * 0 */
    }
    if (exp_a == 0) {
        if (sig_a == 0u) {
            return float_of(sign);
        }
        normalize_subnormal(&sig_a, &exp_a);
    }
    if (exp_b == 0) {
        if (sig_b == 0u) {
            return float_of(sign);
        }
        normalize_subnormal(&sig_b, &exp_b);
    }
    int32_t exp = exp_a + exp_b - 0x7F;
    uint32_t hi, lo;
    umul32x32((sig_a | 0x00800000u) << 7, (sig_b | 0x00800000u) << 8, &hi, &lo);
    uint32_t sig = hi | (lo != 0u);
    if (sig < 0x40000000u) {
        exp--;
        sig <<= 1;
    }
    return float_of(round_pack(sign, exp, sig));
}

float __floatsisf(int32_t a)
{
    const uint32_t sign = a < 0 ? F32_SIGN : 0u;
    const uint32_t magnitude = a < 0 ? 0u - (uint32_t)a : (uint32_t)a;
    if ((magnitude & 0x7FFFFFFFu) == 0u) {  /* 0, or -2^31 */
        return float_of(sign ? 0xCF000000u : 0u);
    }
    return float_of(norm_round_pack(sign, 0x9C, magnitude));
}

float __floatunsisf(uint32_t a)
{
    if (a == 0u) {
        return float_of(0u);
    }
    if (a & 0x80000000u) {
        return float_of(round_pack(0u, 0x9D, (a >> 1) | (a & 1u)));
    }
    return float_of(norm_round_pack(0u, 0x9C, a));
}

float __truncdfsf2(double d)
{
    uint32_t words[2];
    memcpy(words, &d, sizeof words);
    const uint32_t hi = words[1], lo = words[0];  /* little-endian */
    const uint32_t sign = hi & F32_SIGN;
    const int32_t exp = (int32_t)((hi >> 20) & 0x7FFu);
    const uint32_t frac_hi = hi & 0x000FFFFFu;
    if (exp == 0x7FF) {
        if (frac_hi | lo) {
            return float_of(sign | F32_DEFAULT_NAN | (frac_hi << 3) | (lo >> 29));
        }
        return float_of(sign | F32_INF);
    }
    /* The 52-bit fraction's top 30 bits, the rest folded into the sticky bit. */
    const uint32_t frac = (frac_hi << 10) | (lo >> 22) | ((lo & 0x003FFFFFu) != 0u);
    if (exp == 0 && frac == 0u) {
        return float_of(sign);
    }
    return float_of(round_pack(sign, exp - 0x381, frac | 0x40000000u));
}

/* ---------------------------------------------------------------- binary64 */
/* As for binary32, with the leading bit at bit 62 and 10 rounding bits. */

#define F64_SIGN 0x8000000000000000ull
#define F64_INF 0x7FF0000000000000ull
#define F64_QUIET 0x0008000000000000ull
#define F64_DEFAULT_NAN 0x7FF8000000000000ull
#define F64_HIDDEN 0x0010000000000000ull
#define F64_FRAC 0x000FFFFFFFFFFFFFull

static uint64_t bits64_of(double f)
{
    uint64_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static double double_of(uint64_t u)
{
    double f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static int is_nan64(uint64_t u) { return is_nan_format(u, F64_SIGN, F64_INF); }

static uint64_t propagate_nan64(uint64_t a, uint64_t b) { return propagate_nan_format(a, b, F64_SIGN, F64_INF, F64_QUIET); }

static uint64_t round_pack64(uint64_t sign, int32_t exp, uint64_t sig)
{
    return round_pack_format(sign, exp, sig, 11u, 52u, 10u);
}

static int clz64(uint64_t a)
{
    const uint32_t hi = (uint32_t)(a >> 32);
    return hi ? __builtin_clz(hi) : 32 + __builtin_clz((uint32_t)a);
}

/* Unpacks a finite non-zero operand: its significand with the hidden bit, and its exponent. */
static uint64_t unpack64(uint64_t u, int32_t *exp)
{
    uint64_t sig = u & F64_FRAC;
    *exp = (int32_t)((u >> 52) & 0x7FFu);
    if (*exp == 0) {
        const int shift = clz64(sig) - 11;
        *exp = 1 - shift;
        return sig << shift;
    }
    return sig | F64_HIDDEN;
}

/* The high 64 bits of a 128-bit product, with the low ones folded into the sticky bit. */
static uint64_t mul64_high_jam(uint64_t a, uint64_t b)
{
    const uint32_t a0 = (uint32_t)a, a1 = (uint32_t)(a >> 32), b0 = (uint32_t)b, b1 = (uint32_t)(b >> 32);
    uint32_t p00h, p00l, p01h, p01l, p10h, p10l, p11h, p11l;
    umul32x32(a0, b0, &p00h, &p00l);
    umul32x32(a0, b1, &p01h, &p01l);
    umul32x32(a1, b0, &p10h, &p10l);
    umul32x32(a1, b1, &p11h, &p11l);
    /* Word 1 of the product: p00h + p01l + p10l, carrying into word 2. */
    const uint64_t w1 = (uint64_t)p00h + p01l + p10l;
    const uint64_t w2 = (w1 >> 32) + p01h + p10h + ((uint64_t)p11l);
    const uint64_t high = (((uint64_t)p11h + (uint32_t)(w2 >> 32)) << 32) + (uint32_t)w2;
    return high | (((uint32_t)w1 | p00l) != 0u);
}

double __muldf3(double fa, double fb)
{
    const uint64_t a = bits64_of(fa), b = bits64_of(fb);
    const uint64_t sign = (a ^ b) & F64_SIGN;
    const uint64_t mag_a = a & ~F64_SIGN, mag_b = b & ~F64_SIGN;
    if (mag_a >= F64_INF || mag_b >= F64_INF) {
        if (is_nan64(a) || is_nan64(b)) {
            return double_of(propagate_nan64(a, b));
        }
        return double_of((mag_a == 0u || mag_b == 0u) ? F64_DEFAULT_NAN : sign | F64_INF);
    }
    if (mag_a == 0u || mag_b == 0u) {
        return double_of(sign);
    }
    int32_t exp_a, exp_b;
    const uint64_t sig_a = unpack64(a, &exp_a) << 10, sig_b = unpack64(b, &exp_b) << 11;
    int32_t exp = exp_a + exp_b - 0x3FF;
    uint64_t sig = mul64_high_jam(sig_a, sig_b);
    if (sig < 0x4000000000000000ull) {
        exp--;
        sig <<= 1;
    }
    return double_of(round_pack64(sign, exp, sig));
}

double __divdf3(double fa, double fb)
{
    const uint64_t a = bits64_of(fa), b = bits64_of(fb);
    const uint64_t sign = (a ^ b) & F64_SIGN;
    const uint64_t mag_a = a & ~F64_SIGN, mag_b = b & ~F64_SIGN;
    if (is_nan64(a) || is_nan64(b)) {
        return double_of(propagate_nan64(a, b));
    }
    if (mag_a == F64_INF) {
        return double_of(mag_b == F64_INF ? F64_DEFAULT_NAN : sign | F64_INF);
    }
    if (mag_b == F64_INF) {
        return double_of(sign);
    }
    if (mag_b == 0u) {
        return double_of(mag_a == 0u ? F64_DEFAULT_NAN : sign | F64_INF);
    }
    if (mag_a == 0u) {
        return double_of(sign);
    }
    int32_t exp_a, exp_b;
    uint64_t rem = unpack64(a, &exp_a);
    const uint64_t sig_b = unpack64(b, &exp_b);
    int32_t exp = exp_a - exp_b + 0x3FE;
    if (rem < sig_b) {
        exp--;
        rem <<= 1;
    }
    /* Restoring long division: 63 quotient bits, the leading one at bit 62. */
    uint64_t q = 0u;
    for (int i = 0; i < 63; i++) {
        q <<= 1;
        if (rem >= sig_b) {
            rem -= sig_b;
            q |= 1u;
        }
        rem <<= 1;
    }
    return double_of(round_pack64(sign, exp, q | (rem != 0u)));
}

/* Every 32-bit integer is exact in binary64. */
static double from_magnitude(uint64_t sign, uint32_t magnitude)
{
    if (magnitude == 0u) {
        return double_of(sign);
    }
    const int msb = 31 - __builtin_clz(magnitude);
    const uint64_t sig = (uint64_t)magnitude << (52 - msb);  /* the hidden bit at bit 52 */
    return double_of(sign + ((uint64_t)(uint32_t)(0x3FE + msb) << 52) + sig);
}

double __floatsidf(int32_t a)
{
    return from_magnitude(a < 0 ? F64_SIGN : 0u, a < 0 ? 0u - (uint32_t)a : (uint32_t)a);
}

double __floatunsidf(uint32_t a) { return from_magnitude(0u, a); }
