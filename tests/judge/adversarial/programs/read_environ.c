/* Read every process's environment and command line we can see (the judge's, init's, ...) and
 * print them. Defence: a private pid namespace (only the sandbox's own processes are visible),
 * another uid (other processes' environ is unreadable), and an environment made of spec.env only
 * for everything we start. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
static void dump(const char *path) {
    char buf[65536];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n <= 0) return;
    for (ssize_t i = 0; i < n; i++) if (!buf[i]) buf[i] = '\n';
    printf("== %s\n", path);
    fwrite(buf, 1, (size_t)n, stdout);
    putchar('\n');
}
int main(void) {
    char path[300];
    snprintf(path, sizeof path, "/proc/%d/environ", getppid());
    dump(path);
    dump("/proc/1/environ");
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        printf("pid %s\n", e->d_name);
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        dump(path);
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        dump(path);
    }
    return 0;
}
