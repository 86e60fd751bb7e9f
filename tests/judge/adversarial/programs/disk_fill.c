/* Fill the disk: argv[1] = "file" writes one endless file in the working directory (defence:
 * RLIMIT_FSIZE, SIGXFSZ); "tmp" writes many 256 KiB files (each under RLIMIT_FSIZE) in /tmp until
 * it is full and reports how much it managed (defence: /tmp is a size-capped private tmpfs). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    static char buf[1 << 16];
    memset(buf, 'z', sizeof buf);
    if (argc > 1 && strcmp(argv[1], "file") == 0) {
        int fd = open("fill.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        for (;;)
            if (write(fd, buf, sizeof buf) < 0) return 2;
    }
    long long total = 0;
    for (int i = 0;; i++) {
        char name[64];
        snprintf(name, sizeof name, "/tmp/fill-%d", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) break;
        ssize_t n = 1;
        for (int k = 0; k < 4 && (n = write(fd, buf, sizeof buf)) > 0; k++) total += n;
        close(fd);
        if (n <= 0 || total >= (1LL << 34)) break;
    }
    printf("%lld\n", total);
    return 0;
}
