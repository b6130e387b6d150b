/*
 * edgenn on the STM32 Nucleo-L476RG: runs a generated model on a sample compiled into the firmware
 * and prints its result on the board's virtual COM port (USART2 on PA2/PA3, wired to the ST-LINK;
 * 115200 baud, 8N1), then again about once a second, toggling the green LED (LD2, PA5).
 *
 *   label 2 scores -128 -128 127 -128 cycles 1234567
 *
 * No vendor HAL: the few registers used are written below (STM32L4x6 reference manual, RM0351).
 * The core runs from the 4 MHz MSI oscillator it resets to; AHB and APB1 are not divided.
 *
 * Built by the Makefile with -DEDGENN_NAME=<name> -DEDGENN_PREFIX=<NAME> -DEDGENN_HEADER='"<name>.h"'
 * -DAPP_SAMPLE_HEADER='"<sample.h>"'.
 */
#include <stdint.h>

#include EDGENN_HEADER
#include APP_SAMPLE_HEADER

/* The model's functions and macros from its name and prefix. */
#define APP_CAT_(a, b) a##b
#define APP_CAT(a, b) APP_CAT_(a, b)
#define APP_STR_(a) #a
#define APP_STR(a) APP_STR_(a)
#define MODEL_INVOKE APP_CAT(EDGENN_NAME, _invoke)
#define MODEL_INPUT APP_CAT(EDGENN_NAME, _input)
#define MODEL_OUTPUT APP_CAT(EDGENN_NAME, _output)
#define MODEL_INPUT_SIZE APP_CAT(EDGENN_PREFIX, _INPUT_SIZE)
#define MODEL_OUTPUT_SIZE APP_CAT(EDGENN_PREFIX, _OUTPUT_SIZE)
#define MODEL_ARENA_BYTES APP_CAT(EDGENN_PREFIX, _ARENA_BYTES)

_Static_assert(__builtin_types_compatible_p(__typeof__(*MODEL_INPUT()), int8_t) &&
                   __builtin_types_compatible_p(__typeof__(*MODEL_OUTPUT()), const int8_t),
               "this example runs models with int8 input and output");
_Static_assert(sizeof app_sample == MODEL_INPUT_SIZE, "sample.h holds a sample of another size than the model's input");

#define CPU_HZ 4000000u /* MSI at reset */
#define BAUD 115200u

#define REG(address) (*(volatile uint32_t *)(address))

/* Reset and clock control */
#define RCC_AHB2ENR REG(0x4002104Cu)
#define RCC_AHB2ENR_GPIOAEN (1u << 0)
#define RCC_APB1ENR1 REG(0x40021058u)
#define RCC_APB1ENR1_USART2EN (1u << 17)

/* GPIO port A */
#define GPIOA_MODER REG(0x48000000u)
#define GPIOA_OSPEEDR REG(0x48000008u)
#define GPIOA_PUPDR REG(0x4800000Cu)
#define GPIOA_ODR REG(0x48000014u)
#define GPIOA_AFRL REG(0x48000020u)
#define MODE_OUTPUT 1u
#define MODE_ALTERNATE 2u
#define AF7_USART2 7u
#define PIN_TX 2u
#define PIN_RX 3u
#define PIN_LED 5u

/* USART2 */
#define USART2_CR1 REG(0x40004400u)
#define USART2_BRR REG(0x4000440Cu)
#define USART2_ISR REG(0x4000441Cu)
#define USART2_TDR REG(0x40004428u)
#define USART_CR1_UE (1u << 0)
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_ISR_TXE (1u << 7)

/* Cycle counter of the core's data watchpoint and trace unit */
#define DEMCR REG(0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL REG(0xE0001000u)
#define DWT_CTRL_CYCCNTENA (1u << 0)
#define DWT_CYCCNT REG(0xE0001004u)

static void pin_mode(uint32_t pin, uint32_t mode) {
    GPIOA_MODER = (GPIOA_MODER & ~(3u << (2u * pin))) | (mode << (2u * pin));
}

static void board_init(void) {
    RCC_AHB2ENR |= RCC_AHB2ENR_GPIOAEN;
    RCC_APB1ENR1 |= RCC_APB1ENR1_USART2EN;
    (void)RCC_APB1ENR1; /* read back: the peripherals are clocked before their first access */

    /* PA2 (TX) and PA3 (RX) to alternate function 7, USART2; RX pulled up; LED pin an output. */
    GPIOA_AFRL = (GPIOA_AFRL & ~((0xFu << (4u * PIN_TX)) | (0xFu << (4u * PIN_RX)))) |
                 (AF7_USART2 << (4u * PIN_TX)) | (AF7_USART2 << (4u * PIN_RX));
    GPIOA_OSPEEDR |= 1u << (2u * PIN_TX);
    GPIOA_PUPDR = (GPIOA_PUPDR & ~(3u << (2u * PIN_RX))) | (1u << (2u * PIN_RX));
    pin_mode(PIN_TX, MODE_ALTERNATE);
    pin_mode(PIN_RX, MODE_ALTERNATE);
    pin_mode(PIN_LED, MODE_OUTPUT);

    /* 16x oversampling: BRR = kernel clock / baud rate, rounded (4 MHz / 115200 -> 35, 0.8% fast). */
    USART2_BRR = (CPU_HZ + BAUD / 2u) / BAUD;
    USART2_CR1 = USART_CR1_TE | USART_CR1_RE | USART_CR1_UE;

    DEMCR |= DEMCR_TRCENA;
    DWT_CYCCNT = 0;
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

static void put_char(char c) {
    while ((USART2_ISR & USART_ISR_TXE) == 0) {
    }
    USART2_TDR = (uint8_t)c;
}

static void put_text(const char *s) {
    while (*s != '\0') {
        put_char(*s++);
    }
}

static void put_unsigned(uint32_t value) {
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0);
    while (n > 0) {
        put_char(digits[--n]);
    }
}

static void put_int(int32_t value) {
    if (value < 0) {
        put_char('-');
    }
    put_unsigned(value < 0 ? 0u - (uint32_t)value : (uint32_t)value);
}

static void wait_cycles(uint32_t cycles) {
    uint32_t start = DWT_CYCCNT;
    while (DWT_CYCCNT - start < cycles) {
    }
}

static int8_t scores[MODEL_OUTPUT_SIZE];

int main(void) {
    board_init();
    put_text("\r\nedgenn " APP_STR(EDGENN_NAME) " on Nucleo-L476RG: sample " APP_SAMPLE_SOURCE ", arena ");
    put_int(MODEL_ARENA_BYTES);
    put_text(" B\r\n");
    for (;;) {
        uint32_t start = DWT_CYCCNT;
        int status = MODEL_INVOKE(app_sample, scores);
        uint32_t cycles = DWT_CYCCNT - start;
        if (status != 0) {
            put_text("error ");
            put_int(status);
        } else {
            int label = 0;
            int i;
            for (i = 1; i < MODEL_OUTPUT_SIZE; ++i) {
                if (scores[i] > scores[label]) {
                    label = i;
                }
            }
            put_text("label ");
            put_int(label);
            put_text(" scores");
            for (i = 0; i < MODEL_OUTPUT_SIZE; ++i) {
                put_char(' ');
                put_int(scores[i]);
            }
            put_text(" cycles ");
            put_unsigned(cycles);
        }
        put_text("\r\n");
        GPIOA_ODR ^= 1u << PIN_LED;
        wait_cycles(CPU_HZ);
    }
}
