/* uart.c — console on the PL011 of `virt`: polled transmit only. QEMU needs no baud setup; the
 * transmit FIFO is waited on anyway (FR.TXFF) so the same code holds on a model that has one. */
#include "platform.h"

#define UART_DR 0x00u
#define UART_FR 0x18u
#define UART_FR_TXFF (1u << 5)

static volatile uint32_t *uart_reg(uint32_t off) { return (volatile uint32_t *)(uintptr_t)(VIRT_UART + off); }

void uart_putc(char c)
{
    while (*uart_reg(UART_FR) & UART_FR_TXFF)
        ;
    *uart_reg(UART_DR) = (uint32_t)(unsigned char)c;
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

void uart_put_dec(int64_t v)
{
    char buf[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (v < 0)
        uart_putc('-');
    do {
        buf[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n)
        uart_putc(buf[--n]);
}

void uart_put_hex(uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char buf[16];
    int n = 0;
    uart_puts("0x");
    do {
        buf[n++] = digits[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        uart_putc(buf[--n]);
}
