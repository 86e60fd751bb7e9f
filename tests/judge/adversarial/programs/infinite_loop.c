/* Burn CPU forever. Defence: the launcher's CPU polling (RLIMIT_CPU as backstop). */
int main(void) {
    volatile unsigned long n = 0;
    for (;;) n++;
}
