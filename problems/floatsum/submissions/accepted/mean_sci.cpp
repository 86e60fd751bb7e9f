// Scientific notation ("2.3333333333e+00"): the float tolerance accepts any valid format.
#include <cstdio>

int main() {
    int n;
    if (std::scanf("%d", &n) != 1) return 1;
    long double sum = 0;
    for (int i = 0; i < n; i++) {
        double x;
        if (std::scanf("%lf", &x) != 1) return 1;
        sum += x;
    }
    std::printf("%.10e\n", static_cast<double>(sum / n));
}
