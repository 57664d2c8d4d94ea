/* A Cortex-M4 cycle estimate over the retired Thumb instructions, for icount_plugin.c.
 *
 * Each instruction is classified once, when QEMU translates it (m4_decode), and
 * charged when it executes (m4_on_exec), with the timings of the Cortex-M4
 * Technical Reference Manual (Arm DDI 0439 / 100166, section 3.3 "Instruction set
 * summary": table 3-1 and "Load/store timings"), for a system with ZERO wait states:
 *
 *   data processing, MOV/MOVW/MOVT, shifts, compares, extends (SXTB16 ...), IT,
 *   saturate, bit field, MUL/MLA/MLS, SMULL/UMULL/SMLAL/UMLAL, SMLAD and the other
 *   DSP multiplies, SIMD adds, single-precision FPU data processing      1
 *   SDIV, UDIV (2 to 12 with early termination; the worst case taken)     12
 *   LDR/LDRB/LDRH/LDRSB/LDRSH/LDREX (single load)                         2
 *     ... 1 when it directly follows a single load whose destination it
 *     does not use for its address ("LDR [any] are pipelined when possible")
 *   STR/STRB/STRH with an immediate offset ("always one cycle")           1
 *   STR with a register offset                                            2 (1 after a single load)
 *   LDRD, STRD ("three cycles when not stalled")                          3
 *   LDM, STM, PUSH, POP: N registers                                      1 + N
 *   VLDR/VSTR 2 (3 for a double), VLDM/VSTM/VPUSH/VPOP of N words         1 + N
 *   VDIV, VSQRT                                                           14
 *   unaligned single load/store: halfword at an odd address, word at a
 *   halfword address +1; word at an odd address +2 (seen by the plugin's
 *   memory callback, which gets the address)
 *   a branch not taken (B<c>, CBZ, CBNZ)                                  1
 *   a taken branch: 1 + P, P the pipeline refill ("1 to 3 depending on the
 *   alignment and width of the target"): P = 1 for an immediate target
 *   (B, B<c>, BL, CBZ/CBNZ), 2 for a register target (BX, BLX, POP/LDM of PC,
 *   MOV/ADD PC), 3 for the blocking LDR PC and TBB/TBH (TRM: "three cycles for
 *   the pipeline reload"; TBB/TBH also take 2 for the load and 1 for the add);
 *   one more when the target is a 32-bit instruction that is not word-aligned.
 *
 * A branch is known to be taken when the next executed instruction is not the one
 * after it. Not modelled (the estimate can be low by these): the stall of a load or
 * store whose address comes from the directly preceding data-processing result,
 * IT-skipped instructions charged at their full cost, flash wait states and bus
 * contention (the mps2 boards and this model have none), interrupts.
 */
#ifndef TD_M4_CYCLES_H
#define TD_M4_CYCLES_H

#include <stdint.h>
#include <stdlib.h>

enum m4_kind { M4_OTHER, M4_LOAD, M4_STORE, M4_BLOCK };

struct m4_insn {
    uint64_t pc;
    uint8_t size;   /* 2 or 4 bytes */
    uint8_t kind;   /* enum m4_kind: single loads pipeline, M4_BLOCK does not */
    uint8_t base;   /* cycles when not taken and not pipelined */
    uint8_t refill; /* P when execution continues elsewhere than pc + size */
    uint8_t rt;     /* destination register of a single load */
    uint16_t addr_regs; /* registers a single load/store computes its address from */
};

static uint64_t m4_cycles;
static const struct m4_insn *m4_prev;

static unsigned m4_popcount(uint32_t v)
{
    unsigned n = 0;
    for (; v; v &= v - 1) {
        n++;
    }
    return n;
}

static void m4_single(struct m4_insn *in, int load, unsigned rt, unsigned rn, int reg_offset, unsigned rm)
{
    in->kind = load ? M4_LOAD : M4_STORE;
    in->base = load || reg_offset ? 2 : 1;
    in->rt = (uint8_t)rt;
    in->addr_regs = (uint16_t)((1u << rn) | (reg_offset ? 1u << rm : 0));
}

static void m4_decode16(struct m4_insn *in, uint32_t hw)
{
    if (hw < 0x4400) {
        return; /* shifts, add/sub/mov/cmp immediate, data processing (MULS: 1) */
    }
    if (hw < 0x4800) { /* special data processing, branch and exchange */
        if ((hw & 0xFF00) == 0x4700) {
            in->refill = 2; /* BX, BLX register */
        } else if ((hw & 0xFF00) != 0x4500 && ((hw >> 4 & 8) | (hw & 7)) == 15) {
            in->refill = 2; /* ADD PC, MOV PC */
        }
        return;
    }
    if (hw < 0x5000) {
        m4_single(in, 1, hw >> 8 & 7, 15, 0, 0); /* LDR literal */
        return;
    }
    if (hw < 0x6000) {
        m4_single(in, (hw >> 9 & 7) >= 3, hw & 7, hw >> 3 & 7, 1, hw >> 6 & 7);
        return;
    }
    if (hw < 0x9000) {
        m4_single(in, hw >> 11 & 1, hw & 7, hw >> 3 & 7, 0, 0);
        return;
    }
    if (hw < 0xA000) {
        m4_single(in, hw >> 11 & 1, hw >> 8 & 7, 13, 0, 0); /* SP-relative */
        return;
    }
    if (hw < 0xB000) {
        return; /* ADR, ADD SP */
    }
    if (hw < 0xC000) {
        if ((hw & 0xF600) == 0xB400) { /* PUSH, POP */
            in->kind = M4_BLOCK;
            in->base = (uint8_t)(1 + m4_popcount(hw & 0x1FF));
            if ((hw & 0xFF00) == 0xBD00) {
                in->refill = 2;
            }
        } else if ((hw & 0xF500) == 0xB100) {
            in->refill = 1; /* CBZ, CBNZ */
        }
        return;
    }
    if (hw < 0xD000) {
        in->kind = M4_BLOCK; /* STM, LDM */
        in->base = (uint8_t)(1 + m4_popcount(hw & 0xFF));
        return;
    }
    if (hw < 0xE800) {
        in->refill = 1; /* B<c>, B (SVC and UDF never continue) */
    }
}

static void m4_decode32(struct m4_insn *in, uint32_t hw1, uint32_t hw2)
{
    if ((hw1 & 0xFE00) == 0xE800) {
        if (!(hw1 & 0x0040)) { /* LDM, STM (PUSH.W, POP.W) */
            in->kind = M4_BLOCK;
            in->base = (uint8_t)(1 + m4_popcount(hw2 & 0xFFFF));
            if ((hw1 & 0x0010) && (hw2 & 0x8000)) {
                in->refill = 2;
            }
        } else if (hw1 & 0x0120) { /* LDRD, STRD */
            in->kind = M4_BLOCK;
            in->base = 3;
        } else if ((hw1 & 0xFFF0) == 0xE8D0 && (hw2 & 0xFFE0) == 0xF000) { /* TBB, TBH */
            in->kind = M4_BLOCK;
            in->base = 3;
            in->refill = 3;
        } else { /* LDREX, STREX: pipelined as LDR */
            m4_single(in, 1, hw2 >> 12, hw1 & 15, 0, 0);
        }
        return;
    }
    if ((hw1 & 0xEE00) == 0xEC00) { /* coprocessor (FPU) loads and stores, 64-bit transfers */
        const uint32_t op = hw1 >> 4 & 0x1F;
        if (op == 0x04 || op == 0x05) {
            return; /* VMOV of two core registers */
        }
        in->kind = M4_BLOCK;
        if ((hw1 & 0x0120) == 0x0100) { /* VLDR, VSTR (P = 1, W = 0) */
            in->base = (hw2 & 0x0F00) == 0x0B00 ? 3 : 2;
        } else {
            in->base = (uint8_t)(1 + (hw2 & 0xFF));
        }
        return;
    }
    if ((hw1 & 0xEF00) == 0xEE00) { /* FPU data processing */
        if ((hw1 & 0xFFB0) == 0xEE80 && (hw2 & 0x0E50) == 0x0A00) {
            in->base = 14; /* VDIV */
        } else if ((hw1 & 0xFFBF) == 0xEEB1 && (hw2 & 0x0ED0) == 0x0AC0) {
            in->base = 14; /* VSQRT */
        }
        return;
    }
    if ((hw1 & 0xF800) == 0xF000) {
        if (hw2 & 0x8000) {
            if ((hw2 & 0x5000) != 0 || (hw1 >> 6 & 0xE) != 0xE) {
                in->refill = 1; /* B<c>.W, B.W, BL */
            }
        }
        return; /* data processing with an immediate; MSR, MRS, hints, barriers */
    }
    if ((hw1 & 0xFE00) == 0xF800) { /* single loads and stores */
        const unsigned rn = hw1 & 15, rt = hw2 >> 12;
        const int load = hw1 >> 4 & 1;
        const int reg_offset = !(hw1 & 0x0080) && (hw2 & 0x0FC0) == 0 && rn != 15;
        m4_single(in, load, rt, rn, reg_offset, hw2 & 15);
        if (load && rt == 15 && (hw1 >> 5 & 3) == 2) { /* LDR PC: blocking */
            in->kind = M4_BLOCK;
            in->refill = 3;
        }
        return;
    }
    if ((hw1 & 0xFFD0) == 0xFB90 && (hw2 & 0x00F0) == 0x00F0) {
        in->base = 12; /* SDIV, UDIV */
    }
}

/* The timing class of the instruction at `pc` (Thumb; 2 or 4 bytes). Kept for the
 * whole run: QEMU may retranslate, the few bytes each are not worth freeing. */
static struct m4_insn *m4_decode(uint64_t pc, const uint8_t *bytes, size_t size)
{
    struct m4_insn *in = calloc(1, sizeof(*in));
    if (in == NULL) {
        return NULL;
    }
    const uint32_t hw1 = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8;
    in->pc = pc;
    in->size = (uint8_t)size;
    in->kind = M4_OTHER;
    in->base = 1;
    if (size == 4) {
        m4_decode32(in, hw1, (uint32_t)bytes[2] | (uint32_t)bytes[3] << 8);
    } else {
        m4_decode16(in, hw1);
    }
    return in;
}

static void m4_on_exec(unsigned int vcpu, void *udata)
{
    const struct m4_insn *in = udata;
    unsigned cost = in->base;
    (void)vcpu;
    if (m4_prev != NULL) {
        if (in->pc != m4_prev->pc + m4_prev->size) {
            /* The previous instruction branched: its pipeline refill, longer for
             * a 32-bit target that straddles a word. */
            m4_cycles += m4_prev->refill + (m4_prev->refill && in->size == 4 && (in->pc & 2) ? 1 : 0);
        } else if ((in->kind == M4_LOAD || in->kind == M4_STORE) && m4_prev->kind == M4_LOAD && cost > 1 &&
                   !(in->addr_regs & (1u << m4_prev->rt))) {
            cost -= 1; /* pipelined behind the previous load */
        }
    }
    m4_cycles += cost;
    m4_prev = in;
}

static void m4_on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    const unsigned shift = qemu_plugin_mem_size_shift(info);
    (void)vcpu;
    (void)udata;
    if (shift == 2) {
        m4_cycles += (vaddr & 1) ? 2 : (vaddr & 2) ? 1 : 0;
    } else if (shift == 1 && (vaddr & 1)) {
        m4_cycles += 1;
    }
}

#endif /* TD_M4_CYCLES_H */
