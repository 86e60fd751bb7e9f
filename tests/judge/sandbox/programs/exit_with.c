/* argv[1]: a number to exit with, or "segv" to dereference NULL. */
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    if (strcmp(argv[1], "segv") == 0) {
        volatile int *p = NULL;
        return *p;
    }
    return atoi(argv[1]);
}
