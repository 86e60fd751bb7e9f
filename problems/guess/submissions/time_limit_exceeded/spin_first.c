/* Busy loop before the first guess: the interactor waits, CPU time runs out. */
int main(void) {
    volatile unsigned long x = 0;
    for (;;) x++;
}
