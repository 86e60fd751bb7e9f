/* Prints 0-based indices. */
#include <stdio.h>

static long long a[100000];

int main(void) {
    int n;
    long long t;
    if (scanf("%d %lld", &n, &t) != 2) return 1;
    for (int i = 0; i < n; i++) scanf("%lld", &a[i]);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < j; i++)
            if (a[i] + a[j] == t) {
                printf("%d %d\n", i, j);
                return 0;
            }
    return 0;
}
