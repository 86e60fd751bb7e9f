/* Write to stdout forever. Defence: the capped stdout pipe, killed as soon as it overflows. */
#include <string.h>
#include <unistd.h>
int main(void) {
    static char buf[1 << 16];
    memset(buf, 'x', sizeof buf);
    for (;;)
        if (write(1, buf, sizeof buf) < 0) return 1;
}
