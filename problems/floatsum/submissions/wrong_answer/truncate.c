/* Truncates the mean to an integer: 2 instead of 2.333... on the sample. */
#include <stdio.h>

int main(void) {
    int n;
    if (scanf("%d", &n) != 1) return 1;
    double sum = 0, x;
    for (int i = 0; i < n; i++) {
        if (scanf("%lf", &x) != 1) return 1;
        sum += x;
    }
    printf("%d\n", (int)(sum / n));
    return 0;
}
