/*
 * QEMU TCG plugin: counts guest instructions executed between two marker functions.
 *
 *   qemu-system-arm ... -plugin insn_count.so,begin=0xADDR,end=0xADDR,out=counts.txt
 *
 * Counting starts when the translation block at `begin` executes and stops at the block at
 * `end`; the total goes to `out`. Counts are exact and repeatable, unlike time under emulation.
 * Debian's QEMU ships neither an instruction-count plugin nor qemu-plugin.h, so the few entry
 * points of plugin API version 1 used here are declared by hand below.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
typedef struct qemu_info_t qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t begin_addr, end_addr, total;
static int counting;
static char out_path[4096] = "insn_count.txt";

static void on_exec(unsigned int vcpu, void *udata) {
    uint64_t packed = (uint64_t)(uintptr_t)udata; /* vaddr << 16 | instruction count */
    uint64_t vaddr = packed >> 16;
    (void)vcpu;
    if (vaddr == begin_addr) {
        counting = 1;
    } else if (vaddr == end_addr) {
        counting = 0;
    }
    if (counting) {
        total += packed & 0xFFFFu;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    uint64_t n = qemu_plugin_tb_n_insns(tb);
    uint64_t packed = (qemu_plugin_tb_vaddr(tb) << 16) | (n & 0xFFFFu);
    (void)id;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)packed);
}

static void on_plugin_exit(qemu_plugin_id_t id, void *udata) {
    FILE *f = fopen(out_path, "w");
    (void)id;
    (void)udata;
    if (f != NULL) {
        fprintf(f, "%llu\n", (unsigned long long)total);
        fclose(f);
    }
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                                int argc, char **argv) {
    int i;
    (void)info;
    for (i = 0; i < argc; ++i) {
        if (strncmp(argv[i], "begin=", 6) == 0) {
            begin_addr = strtoull(argv[i] + 6, NULL, 0) & ~1ull; /* drop the Thumb bit */
        } else if (strncmp(argv[i], "end=", 4) == 0) {
            end_addr = strtoull(argv[i] + 4, NULL, 0) & ~1ull;
        } else if (strncmp(argv[i], "out=", 4) == 0) {
            strncpy(out_path, argv[i] + 4, sizeof out_path - 1);
        } else {
            return -1;
        }
    }
    if (begin_addr == 0 || end_addr == 0) {
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
    return 0;
}
