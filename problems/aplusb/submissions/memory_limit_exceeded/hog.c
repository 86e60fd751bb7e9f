/* Allocates and touches 16 MiB chunks until 2 GiB (limit: 256 MiB); aborts if malloc fails. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

int main(void) {
    const size_t chunk = 16u << 20;
    char *chunks[128];
    for (int i = 0; i < 128; i++) {
        chunks[i] = malloc(chunk);
        if (!chunks[i]) abort();
        memset(chunks[i], i + 1, chunk);
    }
    long sum = 0;
    for (int i = 0; i < 128; i++) sum += chunks[i][i];
    printf("%ld\n", sum);
    return 0;
}
