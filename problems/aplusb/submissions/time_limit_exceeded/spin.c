/* Busy loop forever (CPU time limit). */
#include <stdio.h>

int main(void) {
    volatile unsigned long long x = 0;
    for (;;) x++;
    printf("%llu\n", x);
    return 0;
}
