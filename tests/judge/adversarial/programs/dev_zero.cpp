// Compile-time attack: the preprocessor reads /dev/zero forever. Defence: compile limits.
#include "/dev/zero"
int main() {}
