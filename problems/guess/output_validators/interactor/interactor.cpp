// Interactor for Guess the Number (Kattis/ICPC output validator interface, interactive mode).
//
//   interactor input_file answer_file feedback_dir [flags...]
//     stdin  = the submission's stdout (its guesses)
//     stdout = the submission's stdin  (our replies)
//
// Reads the secret from input_file. Replies "lower" / "higher" / "correct" to each guess.
// Exit 42 when the secret is guessed within 30 guesses; exit 43 (reason in
// feedback_dir/judgemessage.txt) on a malformed or out-of-range guess, a 31st guess, or end of
// input before the secret was found. Anything else (exit 1) is a judge error.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

constexpr long long kMax = 1000000000;
constexpr int kMaxGuesses = 30;
std::string feedback_dir;

[[noreturn]] void finish(int code, const std::string &message) {
    std::string path = feedback_dir;
    if (!path.empty() && path.back() != '/') path += '/';
    if (FILE *f = std::fopen((path + "judgemessage.txt").c_str(), "a")) {
        std::fprintf(f, "%s\n", message.c_str());
        std::fclose(f);
    }
    std::exit(code);
}

bool is_space(int c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Next token of at most 16 characters from the submission; false at end of input.
bool next_token(std::string &tok, bool &too_long) {
    tok.clear();
    too_long = false;
    int c;
    while ((c = std::getchar()) != EOF && is_space(c)) {
    }
    if (c == EOF) return false;
    do {
        if (tok.size() < 16) tok.push_back(static_cast<char>(c));
        else too_long = true;
    } while ((c = std::getchar()) != EOF && !is_space(c));
    return true;
}

bool parse_guess(const std::string &s, long long &g) {
    if (s.empty() || s.size() > 10 || s[0] == '0') return false;
    g = 0;
    for (char ch : s) {
        if (ch < '0' || ch > '9') return false;
        g = g * 10 + (ch - '0');
    }
    return true;
}

std::string printable(const std::string &s) {
    std::string out;
    for (char ch : s) out += (ch >= 32 && ch < 127) ? ch : '?';
    return out;
}

}  // namespace

int main(int argc, char **argv) {
    // A submission that dies must not kill us with SIGPIPE: a failed write is just ignored and
    // the next read sees end of input.
    std::signal(SIGPIPE, SIG_IGN);
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s input answer feedback_dir\n", argv[0]);
        return 1;
    }
    feedback_dir = argv[3];
    long long secret = 0;
    std::ifstream in(argv[1]);
    if (!(in >> secret) || secret < 1 || secret > kMax) {
        std::fprintf(stderr, "judge error: bad input file\n");
        return 1;
    }

    std::string tok;
    bool too_long;
    for (int guesses = 1;; guesses++) {
        if (!next_token(tok, too_long))
            finish(43, "end of output after " + std::to_string(guesses - 1) +
                           " guesses without finding the number " + std::to_string(secret));
        long long g;
        if (too_long || !parse_guess(tok, g))
            finish(43, "guess " + std::to_string(guesses) + " is not a positive integer: \"" +
                           printable(tok) + (too_long ? "...\"" : "\""));
        if (g > kMax) finish(43, "guess " + std::to_string(g) + " is out of range [1, 1e9]");
        if (guesses > kMaxGuesses)
            finish(43, "more than " + std::to_string(kMaxGuesses) + " guesses (secret was " +
                           std::to_string(secret) + ")");
        if (g == secret) {
            std::fputs("correct\n", stdout);
            std::fflush(stdout);
            finish(42, "guessed " + std::to_string(secret) + " in " + std::to_string(guesses) + " guesses");
        }
        std::fputs(secret < g ? "lower\n" : "higher\n", stdout);
        std::fflush(stdout);
    }
}
