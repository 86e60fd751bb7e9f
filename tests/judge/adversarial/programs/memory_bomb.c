/* Allocate and touch memory forever, ignoring failures. Defence: RLIMIT_AS (the allocation fails
 * at the limit, the NULL write segfaults) and the MLE rule (peak resident memory at the limit). */
#include <stdlib.h>
#include <string.h>
int main(void) {
    for (;;) {
        char *p = malloc(1 << 20);
        memset(p, 1, 1 << 20);
    }
}
