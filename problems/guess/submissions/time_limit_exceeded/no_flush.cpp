// printf without fflush into a pipe is fully buffered: deadlock, wall-clock time limit.
#include <cstdio>
#include <cstring>

int main() {
    long lo = 1, hi = 1000000000;
    char reply[16];
    for (;;) {
        long mid = lo + (hi - lo) / 2;
        std::printf("%ld\n", mid);
        if (std::scanf("%15s", reply) != 1 || std::strcmp(reply, "correct") == 0) return 0;
        if (std::strcmp(reply, "lower") == 0) hi = mid - 1;
        else lo = mid + 1;
    }
}
