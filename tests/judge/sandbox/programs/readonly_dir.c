/* Leave behind what is hard to delete: a read-only directory holding a read-only file, and an
 * unsearchable directory. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
int main(void) {
    mkdir("ro", 0755);
    close(open("ro/file", O_WRONLY | O_CREAT, 0444));
    chmod("ro", 0500);
    mkdir("locked", 0000);
    return 0;
}
