// Reads into int: values beyond 32 bits make the stream fail and the sum is garbage.
#include <iostream>

int main() {
    int a = 0, b = 0;
    std::cin >> a >> b;
    std::cout << a + b << '\n';
}
