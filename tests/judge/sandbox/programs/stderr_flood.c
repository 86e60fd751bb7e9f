/* Write argv[1] bytes to stderr, then "done" to stdout and exit 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    long total = atol(argv[1]);
    char buf[4096];
    memset(buf, 'e', sizeof buf);
    for (long done = 0; done < total; done += sizeof buf)
        if (write(2, buf, sizeof buf) < 0) return 1;
    puts("done");
    return 0;
}
