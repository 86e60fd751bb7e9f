// Output validator for Pair Sum (Kattis/ICPC output validator interface).
//
//   checker input_file answer_file feedback_dir [flags...] < team_output
//
// Accepts (exit 42) any two distinct 1-based indices i, j with a_i + a_j = t, in either order,
// and nothing else. Rejects (exit 43) with a reason in feedback_dir/judgemessage.txt. Team output
// is untrusted: tokens are read with a length cap and parsed strictly, never with operator>>
// into an integer. A broken input or answer file is a judge error (exit 1), never a verdict.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::string feedback_dir;

[[noreturn]] void finish(int code, const std::string &message) {
    if (!message.empty()) {
        std::string path = feedback_dir;
        if (!path.empty() && path.back() != '/') path += '/';
        path += "judgemessage.txt";
        if (FILE *f = std::fopen(path.c_str(), "a")) {
            std::fprintf(f, "%s\n", message.c_str());
            std::fclose(f);
        }
    }
    std::exit(code);
}

[[noreturn]] void accept() { finish(42, ""); }
[[noreturn]] void reject(const std::string &why) { finish(43, why); }
[[noreturn]] void judge_error(const std::string &why) {
    std::fprintf(stderr, "judge error: %s\n", why.c_str());
    finish(1, "judge error: " + why);
}

// Next whitespace-separated token from stdin, at most `cap` characters kept (the rest of an
// overlong token is consumed and marks it invalid). Returns false at end of input.
bool next_token(std::string &tok, bool &too_long, std::size_t cap = 32) {
    tok.clear();
    too_long = false;
    int c;
    while ((c = std::getchar()) != EOF && (c == ' ' || c == '\n' || c == '\t' || c == '\r' ||
                                           c == '\f' || c == '\v')) {
    }
    if (c == EOF) return false;
    do {
        if (tok.size() < cap) tok.push_back(static_cast<char>(c));
        else too_long = true;
    } while ((c = std::getchar()) != EOF && !(c == ' ' || c == '\n' || c == '\t' || c == '\r' ||
                                               c == '\f' || c == '\v'));
    return true;
}

// Strict decimal integer: optional '-', digits, no leading '+', no spaces, fits in long long.
bool parse_int(const std::string &s, long long &out) {
    std::size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
    if (i == s.size() || s.size() - i > 18) return false;
    for (std::size_t k = i; k < s.size(); k++)
        if (s[k] < '0' || s[k] > '9') return false;
    errno = 0;
    char *end = nullptr;
    out = std::strtoll(s.c_str(), &end, 10);
    return errno == 0 && end && *end == '\0';
}

std::string shown(const std::string &tok, bool too_long) {
    std::string printable;
    for (char ch : tok) printable += (ch >= 32 && ch < 127) ? ch : '?';
    return "\"" + printable + (too_long ? "...\"" : "\"");
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s input answer feedback_dir < team_output\n", argv[0]);
        return 1;
    }
    feedback_dir = argv[3];

    std::ifstream in(argv[1]);
    long long n, t;
    if (!(in >> n >> t) || n < 2 || n > 100000) judge_error("bad input header");
    std::vector<long long> a(n);
    for (auto &x : a)
        if (!(in >> x)) judge_error("input ended early");

    // The judge's answer must itself be valid: catches broken test data, not submissions.
    std::ifstream ans(argv[2]);
    long long ji, jj;
    if (!(ans >> ji >> jj) || ji < 1 || jj < 1 || ji > n || jj > n || ji == jj ||
        a[ji - 1] + a[jj - 1] != t)
        judge_error("answer file does not hold a valid pair");

    long long idx[2];
    std::string tok;
    bool too_long;
    for (int k = 0; k < 2; k++) {
        if (!next_token(tok, too_long))
            reject(k == 0 ? "empty output: expected two indices" : "only one index printed");
        if (too_long || !parse_int(tok, idx[k]))
            reject("token " + std::to_string(k + 1) + " is not an integer: " + shown(tok, too_long));
        if (idx[k] < 1 || idx[k] > n)
            reject("index " + tok + " out of range [1, " + std::to_string(n) + "]");
    }
    if (next_token(tok, too_long)) reject("trailing output after two indices: " + shown(tok, too_long));
    if (idx[0] == idx[1]) reject("the two indices must differ, got " + std::to_string(idx[0]) + " twice");
    long long sum = a[idx[0] - 1] + a[idx[1] - 1];
    if (sum != t)
        reject("a[" + std::to_string(idx[0]) + "] + a[" + std::to_string(idx[1]) + "] = " +
               std::to_string(sum) + ", expected " + std::to_string(t));
    accept();
}
