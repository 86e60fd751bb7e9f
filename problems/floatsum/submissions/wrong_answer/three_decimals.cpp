#include <iomanip>
#include <iostream>

int main() {
    int n;
    std::cin >> n;
    double sum = 0, x;
    for (int i = 0; i < n; i++) {
        std::cin >> x;
        sum += x;
    }
    std::cout << std::fixed << std::setprecision(3) << sum / n << '\n';
}
