/* tinydistill's QEMU TCG plugin: exact counts of retired guest instructions, and
 * optionally a Cortex-M4 cycle estimate over the same instructions (m4_cycles.h).
 *
 * Counts every executed instruction (an inline add per instruction, so a
 * translation block left early still counts exactly what ran), the instructions
 * between each entry of td_bench_begin and the next entry of td_bench_end (one
 * count per pair), and optionally the instructions executed inside each function
 * of a symbol table (self counts: callees are not included).
 *
 * Arguments (-plugin icount.so,out=FILE[,begin=ADDR,end=ADDR][,syms=FILE]):
 *   out   where the counts are written at exit: "total N", "region N" per region,
 *         "func INDEX N" per function with a non-zero count
 *   begin, end   addresses (hex) of td_bench_begin and td_bench_end
 *   syms  a file of "START END" hex lines, one per function, sorted by START
 *   cycles=m4   also estimate Cortex-M4 cycles (Thumb code only): "cycles N" and
 *         "region_cycles N" per region are written too
 *
 * Debian ships no qemu-plugin.h, so the few API functions used are declared here,
 * with the signatures of QEMU 7.2's include/qemu/qemu-plugin.h (plugin API v1).
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- QEMU 7.2 plugin API (the subset used) ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_mem_rw { QEMU_PLUGIN_MEM_R = 1, QEMU_PLUGIN_MEM_W, QEMU_PLUGIN_MEM_RW };
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info, uint64_t vaddr,
                                          void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags, enum qemu_plugin_mem_rw rw, void *userdata);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_outs(const char *string);

#include "m4_cycles.h"

__attribute__((visibility("default"))) int qemu_plugin_version = 1;
__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv);

/* ---- state (one vCPU: the emulated microcontrollers have one core) ---- */
static uint64_t total;
static uint64_t begin_addr = UINT64_MAX;
static uint64_t end_addr = UINT64_MAX;
static uint64_t region_start;
static int region_open;
static uint64_t *regions;
static size_t n_regions, cap_regions;

static uint64_t *func_start, *func_end, *func_count;
static size_t n_funcs;
static uint64_t other_count; /* instructions outside every listed function */
static char *out_path;
static int estimate_cycles; /* cycles=m4 */
static uint64_t region_start_cycles;
static uint64_t *region_cycles;

static void on_begin(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    region_start = total;
    region_start_cycles = m4_cycles;
    region_open = 1;
}

static void on_end(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    (void)udata;
    if (!region_open) {
        return;
    }
    region_open = 0;
    if (n_regions == cap_regions) {
        cap_regions = cap_regions ? 2 * cap_regions : 64;
        regions = realloc(regions, cap_regions * sizeof(*regions));
        region_cycles = realloc(region_cycles, cap_regions * sizeof(*region_cycles));
        if (regions == NULL || region_cycles == NULL) {
            qemu_plugin_outs("td icount plugin: out of memory\n");
            abort();
        }
    }
    region_cycles[n_regions] = m4_cycles - region_start_cycles;
    regions[n_regions++] = total - region_start;
}

static uint64_t *function_counter(uint64_t pc)
{
    size_t lo = 0, hi = n_funcs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (func_start[mid] <= pc) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo > 0 && pc < func_end[lo - 1]) {
        return &func_count[lo - 1];
    }
    return &other_count;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        /* The markers' callbacks are registered before the counter's add, so a
         * region spans from the first instruction of td_bench_begin to the last
         * instruction before td_bench_end. */
        if (pc == begin_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        if (pc == end_addr) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &total, 1);
        if (n_funcs) {
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, function_counter(pc), 1);
        }
        if (estimate_cycles) {
            const uint8_t *bytes = qemu_plugin_insn_data(insn);
            struct m4_insn *info = m4_decode(pc, bytes, qemu_plugin_insn_size(insn));
            if (info == NULL) {
                qemu_plugin_outs("td icount plugin: out of memory\n");
                abort();
            }
            qemu_plugin_register_vcpu_insn_exec_cb(insn, m4_on_exec, QEMU_PLUGIN_CB_NO_REGS, info);
            if (info->kind == M4_LOAD || info->kind == M4_STORE) {
                qemu_plugin_register_vcpu_mem_cb(insn, m4_on_mem, QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_MEM_RW, NULL);
            }
        }
    }
}

static void write_counts(qemu_plugin_id_t id, void *udata)
{
    (void)id;
    (void)udata;
    FILE *f = fopen(out_path, "w");
    if (f == NULL) {
        qemu_plugin_outs("td icount plugin: cannot write its output file\n");
        return;
    }
    fprintf(f, "total %llu\n", (unsigned long long)total);
    for (size_t i = 0; i < n_regions; i++) {
        fprintf(f, "region %llu\n", (unsigned long long)regions[i]);
    }
    if (estimate_cycles) {
        fprintf(f, "cycles %llu\n", (unsigned long long)m4_cycles);
        for (size_t i = 0; i < n_regions; i++) {
            fprintf(f, "region_cycles %llu\n", (unsigned long long)region_cycles[i]);
        }
    }
    for (size_t i = 0; i < n_funcs; i++) {
        if (func_count[i]) {
            fprintf(f, "func %zu %llu\n", i, (unsigned long long)func_count[i]);
        }
    }
    fclose(f);
}

static int load_symbols(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    size_t cap = 0;
    unsigned long long start, end;
    while (fscanf(f, "%llx %llx", &start, &end) == 2) {
        if (n_funcs == cap) {
            cap = cap ? 2 * cap : 256;
            func_start = realloc(func_start, cap * sizeof(uint64_t));
            func_end = realloc(func_end, cap * sizeof(uint64_t));
            if (func_start == NULL || func_end == NULL) {
                fclose(f);
                return -1;
            }
        }
        func_start[n_funcs] = start;
        func_end[n_funcs] = end;
        n_funcs++;
    }
    fclose(f);
    func_count = calloc(n_funcs ? n_funcs : 1, sizeof(uint64_t));
    return func_count == NULL ? -1 : 0;
}

int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "out=", 4) == 0) {
            out_path = strdup(arg + 4);
        } else if (strncmp(arg, "begin=", 6) == 0) {
            begin_addr = strtoull(arg + 6, NULL, 16);
        } else if (strncmp(arg, "end=", 4) == 0) {
            end_addr = strtoull(arg + 4, NULL, 16);
        } else if (strcmp(arg, "cycles=m4") == 0) {
            estimate_cycles = 1;
        } else if (strncmp(arg, "syms=", 5) == 0) {
            if (load_symbols(arg + 5) != 0) {
                qemu_plugin_outs("td icount plugin: cannot read the symbol file\n");
                return -1;
            }
        } else {
            qemu_plugin_outs("td icount plugin: unknown argument\n");
            return -1;
        }
    }
    if (out_path == NULL) {
        qemu_plugin_outs("td icount plugin: out=FILE is required\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_counts, NULL);
    return 0;
}
