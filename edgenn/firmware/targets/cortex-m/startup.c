/*
 * Minimal Cortex-M start-up for the emulated boards (edgenn/targets.py): vector table at the code
 * memory's origin, then copy .data, zero .bss, enable the FPU where the build uses one, open
 * semihosting, run main, exit with its status. One file for every Cortex-M core: what differs
 * follows the compiler's feature macros.
 */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __etext, __data_start__, __data_end__, __bss_start__, __bss_end__, __StackTop;
extern int main(int argc, char **argv);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);
void Default_Handler(void);

#define SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define CCR_UNALIGN_TRP (1u << 3)

void Reset_Handler(void) {
    uint32_t *src = &__etext;
    uint32_t *dst = &__data_start__;
#if defined(__ARM_ARCH_6M__)
    /* Armv6-M has no unaligned accesses (the bit reads as one there). Set it so that Armv6-M code run
     * on an Armv7-M board faults where an M0/M0+ would. */
    SCB_CCR |= CCR_UNALIGN_TRP;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    while (dst < &__data_end__) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start__; dst < &__bss_end__; ++dst) {
        *dst = 0;
    }
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CP10 and CP11 full access: the hard-float ABI (and Helium) use the FPU from the first call. */
    SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    initialise_monitor_handles();
    {
        static char name[] = "firmware";
        static char *argv[] = {name, 0};
        exit(main(1, argv));
    }
}

/* newlib's exit runs the init/fini arrays; with -nostartfiles nobody else defines these hooks. */
void _init(void);
void _fini(void);
void _init(void) {
}
void _fini(void) {
}

/* Every fault and unexpected interrupt: exit with status 99, which the tools report. */
void Default_Handler(void) {
    exit(99);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))(&__StackTop), Reset_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, 0, 0, 0, 0, Default_Handler, Default_Handler, 0, Default_Handler,
    Default_Handler,
};
