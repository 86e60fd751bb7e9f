/* Reads 64-bit values but adds them in 32 bits: fine on the sample, wrong on 04-int32-overflow. */
#include <stdio.h>

int main(void) {
    long long a, b;
    if (scanf("%lld %lld", &a, &b) != 2) return 1;
    int s = (int)a + (int)b;
    printf("%d\n", s);
    return 0;
}
