#include <stdio.h>
#include <string.h>

int main(void) {
    static char line[1 << 16];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 2] = '\n';
    for (;;) fputs(line, stdout);
}
