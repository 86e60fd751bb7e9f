// Allocate and touch argv[1] MiB, then exit 0.
#include <cstdlib>
#include <cstring>
#include <vector>
int main(int argc, char **argv) {
    std::size_t mib = argc > 1 ? std::atoi(argv[1]) : 64;
    std::vector<char> v(mib << 20);
    std::memset(v.data(), 1, v.size());
    return v[v.size() / 2] == 1 ? 0 : 1;
}
