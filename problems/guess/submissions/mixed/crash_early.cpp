// @EXPECTED_RESULTS@: RUN-ERROR, WRONG-ANSWER
// Crashes (SIGSEGV) right after the first reply, before the number is found. The submission
// exits first with a crash, then the interactor sees end of input and rejects: judges that let
// the first process to finish decide say RUN-ERROR (problemtools), judges that let the validator's
// rejection win say WRONG-ANSWER. Both are acceptable.
#include <iostream>
#include <string>

int main() {
    std::cout << 500000000 << std::endl;
    std::string reply;
    std::cin >> reply;
    volatile int *p = nullptr;
    *p = 1;
}
