/* O(n^2) brute force (n <= 5000 in the tests): the lexicographically smallest pair. */
#include <stdio.h>

static long long a[100000];

int main(void) {
    int n;
    long long t;
    if (scanf("%d %lld", &n, &t) != 2) return 1;
    for (int i = 0; i < n; i++) scanf("%lld", &a[i]);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (a[i] + a[j] == t) {
                printf("%d\n%d\n", i + 1, j + 1); /* any whitespace between the indices is fine */
                return 0;
            }
    return 1;
}
