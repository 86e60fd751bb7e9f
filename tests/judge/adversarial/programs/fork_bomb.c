/* Fork until the system breaks. Defence: RLIMIT_NPROC on a dedicated uid (or the uid's task
 * count + limit), task count-and-kill, the wall limit, and the end-of-run tree sweep. */
#include <unistd.h>
int main(void) {
    for (;;) fork();
}
