/* exception.c — any exception is a defect of the port (the driver never traps on its own):
 * report it on the UART in the result format, so the host sees it instead of a hang. */
#include "platform.h"

void vq_exception(uint64_t index, uint64_t esr, uint64_t elr, uint64_t far);
void vq_exception(uint64_t index, uint64_t esr, uint64_t elr, uint64_t far)
{
    uart_puts("\nVQ exception vector=");
    uart_put_dec((int64_t)index);
    uart_puts(" esr=");
    uart_put_hex(esr);
    uart_puts(" elr=");
    uart_put_hex(elr);
    uart_puts(" far=");
    uart_put_hex(far);
    uart_puts("\nVQ outcome=exception\nVQ END\n");
}
