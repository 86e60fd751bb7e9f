/* Connect to 127.0.0.1:argv[1] and report. Defence: a private network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
        const char msg[] = "hello from the sandbox";
        if (write(s, msg, sizeof msg - 1) < 0) return 3;
        puts("connected");
        return 0;
    }
    printf("failed: %s\n", strerror(errno));
    return 1;
}
