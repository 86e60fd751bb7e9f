/* Use no CPU and never finish. Defence: the wall time limit. */
#include <unistd.h>
int main(void) {
    for (;;) sleep(100);
}
