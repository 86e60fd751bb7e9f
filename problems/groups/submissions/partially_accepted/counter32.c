/* @EXPECTED_SCORE@: 50 */
/* Right algorithm, 32-bit counter: wrong once the count exceeds 2^32 (every group 3 test). */
#include <stdio.h>

static char s[200005];

int main(void) {
    int n;
    if (scanf("%d %200000s", &n, s) != 2) return 1;
    unsigned seen[3] = {1, 0, 0}, total = 0;
    int prefix = 0;
    for (int i = 0; s[i]; i++) {
        prefix = (prefix + s[i] - '0') % 3;
        total += seen[prefix]++;
    }
    printf("%u\n", total);
    return 0;
}
