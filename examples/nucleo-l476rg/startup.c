/*
 * Start-up for the STM32L476RG: the vector table at the start of flash, then, on reset, the FPU
 * switched on, .data copied from flash, .bss zeroed, and main called. Every exception and
 * interrupt that has no handler of its own stops in Default_Handler, where a debugger finds it.
 */
#include <stdint.h>

extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__, __StackTop;
extern int main(void);

void Reset_Handler(void);
void Default_Handler(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

/* The STM32L47x/L48x have 82 interrupt lines after the 16 entries of the Cortex-M4 itself. */
#define IRQ_LINES 82

void Reset_Handler(void) {
    uint32_t *src = &__data_load__;
    uint32_t *dst;
    /* CP10 and CP11 full access first: with the hard-float ABI any function may use the FPU. */
    SCB_CPACR |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    for (dst = &__data_start__; dst < &__data_end__;) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start__; dst < &__bss_end__;) {
        *dst++ = 0;
    }
    (void)main();
    for (;;) {
    }
}

void Default_Handler(void) {
    for (;;) {
    }
}

/* Entry 0 is the initial stack pointer, entry 1 the reset handler; 7-10 and 13 are reserved. */
__attribute__((section(".isr_vector"), used)) static void (*const vector_table[16 + IRQ_LINES])(void) = {
    [0] = (void (*)(void))(uintptr_t)&__StackTop,
    [1] = Reset_Handler,
    [2 ... 6] = Default_Handler,
    [11 ... 12] = Default_Handler,
    [14 ... 16 + IRQ_LINES - 1] = Default_Handler,
};
