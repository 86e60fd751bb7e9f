// Prints garbage tokens, including a long one and non-ASCII bytes: the validator must reject
// cleanly (exit 43 with a message), not crash or hang.
#include <cstdio>
#include <string>

int main() {
    std::string junk(100000, 'x');
    std::printf("banana -0x1f\n3.5e0 \xff\xfe %s\n", junk.c_str());
}
