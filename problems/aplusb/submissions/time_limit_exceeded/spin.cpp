// Correct answer, but only after ~forever: a busy loop the optimizer cannot remove.
#include <cstdint>
#include <iostream>

int main() {
    std::int64_t a, b;
    std::cin >> a >> b;
    volatile std::uint64_t spins = 0;
    while (spins != ~0ULL) spins = spins + 1;
    std::cout << a + b << '\n';
}
