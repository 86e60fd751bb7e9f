/* Try to create a file in the working directory and in /tmp; print what worked. */
#include <fcntl.h>
#include <stdio.h>
static const char *try(const char *path) { return open(path, O_WRONLY | O_CREAT, 0644) >= 0 ? "yes" : "no"; }
int main(void) {
    printf("cwd=%s tmp=%s\n", try("created.txt"), try("/tmp/created.txt"));
    return 0;
}
