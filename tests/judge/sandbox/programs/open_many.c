/* Open /dev/null until it fails; print how many descriptors were open at the end. */
#include <fcntl.h>
#include <stdio.h>
int main(void) {
    int n = 3;
    while (open("/dev/null", O_RDONLY) >= 0) n++;
    printf("%d\n", n);
    return 0;
}
