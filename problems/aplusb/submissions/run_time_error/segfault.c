/* Writes through a null pointer: SIGSEGV. */
#include <stdio.h>

int main(void) {
    volatile int *p = NULL;
    *p = 42;
    printf("%d\n", *p);
    return 0;
}
