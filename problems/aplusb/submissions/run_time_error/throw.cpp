// Uncaught C++ exception: std::terminate -> abort -> SIGABRT.
#include <iostream>
#include <stdexcept>

int main() {
    long long a, b;
    std::cin >> a >> b;
    throw std::runtime_error("not today");
    std::cout << a + b << '\n';
}
