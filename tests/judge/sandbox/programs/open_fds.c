/* Print the file descriptors open at start-up, e.g. "0 1 2". */
#include <fcntl.h>
#include <stdio.h>
int main(void) {
    for (int fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) != -1) printf("%s%d", fd ? " " : "", fd);
    putchar('\n');
    return 0;
}
