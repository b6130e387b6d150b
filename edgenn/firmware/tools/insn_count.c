/*
 * QEMU TCG plugin: counts guest instructions executed between two marker functions, optionally
 * split into bins at mark addresses (one bin per layer of a model).
 *
 *   qemu-system-arm ... -plugin insn_count.so,begin=0xADDR,end=0xADDR,out=counts.txt[,marks=marks.txt]
 *
 * Counting starts when the translation block at `begin` executes and stops at the block at
 * `end`. Each line of the marks file is "ADDRESS BIN" (BIN >= 0): once the instruction at
 * ADDRESS executes, the instructions that follow count towards BIN, until the next mark. Bin 0
 * is where counting starts at `begin`. The output file holds
 *
 *   total T                 instructions counted, all bins together
 *   bin B N                 instructions counted in bin B (one line per bin)
 *   seg B 0xSTART LEN EXEC  a straight run of LEN instructions from START executed EXEC times in bin B
 *
 * the `seg` lines being what a cost model needs to weight each executed instruction.
 *
 * Counts are exact and repeatable, unlike time under emulation. A translation block is counted
 * whole when it starts, as one unit; a block with a mark after its first instruction is split at
 * the mark into segments, each counted by a callback on its first instruction, so a bin switches
 * exactly where the mark is. The sum over bins is the same total as without marks.
 *
 * Debian's QEMU ships neither an instruction-count plugin nor qemu-plugin.h, so the few entry
 * points of plugin API version 1 used here are declared by hand below. The state is not locked:
 * the boards used run one vCPU, whose thread both translates and executes.
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
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* A straight run of instructions counted as one unit: a whole translation block, or the part of
 * one between marks. The same run translated again (after a flush) reuses its record. */
struct segment {
    uint64_t start;        /* guest address of its first instruction */
    uint64_t insns;        /* instructions in it */
    long bin;              /* the bin it switches to (it starts at a mark), or -1 */
    uint64_t *execs;       /* executions while counting, per bin */
    struct segment *next;  /* in its hash chain, or in the list of all */
    struct segment *older; /* the list of all, newest first */
};

struct mark {
    uint64_t addr;
    long bin;
};

#define CHAINS 4096u

static uint64_t begin_addr, end_addr;
static int counting;
static long bin, n_bins = 1;
static struct mark *marks;
static size_t n_marks;
static struct segment *chains[CHAINS], *all;
static char out_path[4096] = "insn_count.txt";

static long mark_bin(uint64_t addr) {
    size_t i;
    long found = -1;
    for (i = 0; i < n_marks; ++i) { /* the last line for an address wins, as a later mark would */
        if (marks[i].addr == addr) {
            found = marks[i].bin;
        }
    }
    return found;
}

static struct segment *segment_for(uint64_t start, uint64_t insns, long at_mark) {
    unsigned h = (unsigned)((start >> 1) ^ (insns * 2654435761u)) % CHAINS;
    struct segment *s;
    for (s = chains[h]; s != NULL; s = s->next) {
        if (s->start == start && s->insns == insns && s->bin == at_mark) {
            return s;
        }
    }
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->execs = calloc((size_t)n_bins, sizeof *s->execs)) == NULL) {
        fprintf(stderr, "insn_count: out of memory\n");
        exit(1);
    }
    s->start = start;
    s->insns = insns;
    s->bin = at_mark;
    s->next = chains[h];
    chains[h] = s;
    s->older = all;
    all = s;
    return s;
}

static void on_segment(unsigned int vcpu, void *udata) {
    struct segment *s = udata;
    (void)vcpu;
    if (s->start == begin_addr) {
        counting = 1;
        bin = 0;
    } else if (s->start == end_addr) {
        counting = 0;
    }
    if (s->bin >= 0) {
        bin = s->bin;
    }
    if (counting) {
        s->execs[bin] += 1;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    size_t n = qemu_plugin_tb_n_insns(tb), i, first = 0;
    long at_first = -1;
    (void)id;
    if (n == 0) {
        return;
    }
    if (n_marks == 0) { /* the common case, and the only one without marks: one unit per block */
        struct segment *s = segment_for(qemu_plugin_tb_vaddr(tb), n, -1);
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_segment, QEMU_PLUGIN_CB_NO_REGS, s);
        return;
    }
    at_first = mark_bin(qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, 0)));
    for (i = 1; i <= n; ++i) {
        long at = i < n ? mark_bin(qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i))) : -1;
        if (i == n || at >= 0) { /* the run [first, i) ends here */
            struct qemu_plugin_insn *head = qemu_plugin_tb_get_insn(tb, first);
            struct segment *s = segment_for(qemu_plugin_insn_vaddr(head), i - first, at_first);
            if (first == 0 && i == n) {
                qemu_plugin_register_vcpu_tb_exec_cb(tb, on_segment, QEMU_PLUGIN_CB_NO_REGS, s);
            } else {
                qemu_plugin_register_vcpu_insn_exec_cb(head, on_segment, QEMU_PLUGIN_CB_NO_REGS, s);
            }
            first = i;
            at_first = at;
        }
    }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *udata) {
    FILE *f = fopen(out_path, "w");
    uint64_t *per_bin = calloc((size_t)n_bins, sizeof *per_bin), total = 0;
    struct segment *s;
    long b;
    (void)id;
    (void)udata;
    if (f == NULL || per_bin == NULL) {
        return;
    }
    for (s = all; s != NULL; s = s->older) {
        for (b = 0; b < n_bins; ++b) {
            per_bin[b] += s->execs[b] * s->insns;
        }
    }
    for (b = 0; b < n_bins; ++b) {
        total += per_bin[b];
    }
    fprintf(f, "total %llu\n", (unsigned long long)total);
    for (b = 0; b < n_bins; ++b) {
        fprintf(f, "bin %ld %llu\n", b, (unsigned long long)per_bin[b]);
    }
    for (s = all; s != NULL; s = s->older) {
        for (b = 0; b < n_bins; ++b) {
            if (s->execs[b] != 0) {
                fprintf(f, "seg %ld 0x%llx %llu %llu\n", b, (unsigned long long)s->start,
                        (unsigned long long)s->insns, (unsigned long long)s->execs[b]);
            }
        }
    }
    fclose(f);
    free(per_bin);
}

/* Reads "ADDRESS BIN" lines; 0 when the file is readable and every line well formed. */
static int read_marks(const char *path) {
    FILE *f = fopen(path, "r");
    char line[256];
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char *rest, *end;
        struct mark m, *grown;
        if (strspn(line, " \t\r\n") == strlen(line)) {
            continue;
        }
        m.addr = strtoull(line, &rest, 0) & ~1ull; /* drop the Thumb bit */
        m.bin = strtol(rest, &end, 10);
        if (rest == line || end == rest || m.bin < 0 || m.bin > 65535) {
            fclose(f);
            return -1;
        }
        grown = realloc(marks, (n_marks + 1) * sizeof *marks);
        if (grown == NULL) {
            fclose(f);
            return -1;
        }
        marks = grown;
        marks[n_marks++] = m;
        if (m.bin + 1 > n_bins) {
            n_bins = m.bin + 1;
        }
    }
    fclose(f);
    return 0;
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
        } else if (strncmp(argv[i], "marks=", 6) == 0) {
            if (read_marks(argv[i] + 6) != 0) {
                fprintf(stderr, "insn_count: cannot read the marks file %s\n", argv[i] + 6);
                return -1;
            }
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
