/* Burn argv[1] seconds of CPU time (measured by the program itself), then exit 0. */
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
    double want = argc > 1 ? atof(argv[1]) : 1.0;
    volatile unsigned long n = 0;
    while ((double)clock() / CLOCKS_PER_SEC < want)
        for (int i = 0; i < 100000; i++) n++;
    return 0;
}
