/* Interactive: read integers, answer each with its double, stop at 0. */
#include <stdio.h>
int main(void) {
    long x;
    while (scanf("%ld", &x) == 1 && x != 0) {
        printf("%ld\n", 2 * x);
        fflush(stdout);
    }
    return 0;
}
