/* Fixed notation with 9 decimals. */
#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) return 1;
    double sum = 0, x;
    for (int i = 0; i < n; i++) {
        if (scanf("%lf", &x) != 1) return 1;
        sum += x;
    }
    printf("%.9f\n", sum / n);
    return 0;
}
