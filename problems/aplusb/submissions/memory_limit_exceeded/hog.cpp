// Keeps 16 MiB touched blocks alive until far beyond 256 MiB (bad_alloc under RLIMIT_AS).
#include <cstring>
#include <iostream>
#include <memory>
#include <vector>

int main() {
    const std::size_t chunk = 16u << 20;
    std::vector<std::unique_ptr<char[]>> blocks;
    for (int i = 0; i < 128; i++) {
        blocks.emplace_back(new char[chunk]);
        std::memset(blocks.back().get(), i + 1, chunk);
    }
    long sum = 0;
    for (auto &b : blocks) sum += b[7];
    std::cout << sum << '\n';
}
