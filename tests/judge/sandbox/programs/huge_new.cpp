// One allocation far beyond any limit: std::bad_alloc, uncaught (abort).
#include <cstdio>
int main() {
    char *p = new char[1ULL << 40];
    std::printf("%p\n", (void *)p);
}
