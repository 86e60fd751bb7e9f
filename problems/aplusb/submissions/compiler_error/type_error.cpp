// Type error, not a syntax error: a std::string cannot be initialised from a long long.
#include <iostream>
#include <string>

int main() {
    long long a, b;
    std::cin >> a >> b;
    std::string s = a + b;
    std::cout << s << '\n';
}
