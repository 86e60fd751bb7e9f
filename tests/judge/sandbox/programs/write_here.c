/* Try to create a file in the working directory and in /tmp (named after argv[1]); print what
 * worked. */
#include <fcntl.h>
#include <stdio.h>
static const char *try(const char *path) { return open(path, O_WRONLY | O_CREAT, 0644) >= 0 ? "yes" : "no"; }
int main(int argc, char **argv) {
    char tmp[300];
    snprintf(tmp, sizeof tmp, "/tmp/%s.txt", argc > 1 ? argv[1] : "created");
    printf("cwd=%s tmp=%s\n", try("created.txt"), try(tmp));
    return 0;
}
