/* Leave a daemon behind: double fork + setsid, close stdio, live forever; the parent exits 0 at
 * once. Defence: the launcher is a child subreaper and sweeps its whole tree (and, with bwrap,
 * the pid namespace dies with its init). */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            int fd = open("/dev/null", O_RDWR);
            dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
            for (;;) pause();
        }
        _exit(0);
    }
    puts("parent done");
    return 0;
}
