/* For every ancestor up to pid 1: try its environ, mem, and fd directory; print what opened. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

int main(void) {
    for (pid_t pid = getppid(); pid > 1; pid = parent_of(pid)) {
        char path[64];
        const char *what[] = {"environ", "mem"};
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "/proc/%d/%s", pid, what[i]);
            int fd = open(path, O_RDONLY);
            if (fd >= 0) {
                char c;
                if (read(fd, &c, 1) >= 0 || i == 1) printf("readable %s\n", path);
                close(fd);
            }
        }
        snprintf(path, sizeof path, "/proc/%d/fd", pid);
        DIR *d = opendir(path);
        if (d) { printf("readable %s\n", path); closedir(d); }
        printf("ancestor %d\n", pid);
    }
    return 0;
}
