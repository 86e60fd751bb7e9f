/* kill(-1, SIGKILL): every process the caller may signal. As root that is the whole host.
 * Defence: a dedicated uid (may signal only its own processes) in a private pid namespace. */
#include <signal.h>
#include <stdio.h>
int main(void) {
    int r = kill(-1, SIGKILL);
    printf("kill returned %d\n", r);
    return 0;
}
