// Helpers for Kattis-style output validators, for packages that include "validate.h" without
// shipping it (a package's own validate.h always wins: its directory is searched first).
//
//   init_io(argc, argv)     open judge_in, judge_ans; author_out reads the team's output (stdin)
//   accept()                exit 42
//   accept_with_score(x)    write score.txt, exit 42
//   wrong_answer(fmt, ...)  append to judgemessage.txt, exit 43
//   judge_error(fmt, ...)   append to judgemessage.txt, exit 1 (a validator failure)
//   judge_message(fmt, ...) append to judgemessage.txt
//   author_message(fmt,...) append to teammessage.txt (shown to the team)
#pragma once

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <sys/stat.h>

const int EXITCODE_AC = 42;
const int EXITCODE_WA = 43;

inline std::ifstream judge_in, judge_ans;
inline std::istream author_out(std::cin.rdbuf());
inline std::string feedback_dir;

inline void vreport_feedback(const std::string &file, const char *format, va_list args) {
    std::string path = feedback_dir.empty() ? file : feedback_dir + "/" + file;
    if (FILE *out = std::fopen(path.c_str(), "a")) {
        std::vfprintf(out, format, args);
        std::fclose(out);
    }
}

inline void report_feedback(const std::string &file, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vreport_feedback(file, format, args);
    va_end(args);
}

#define VALIDATE_H_FEEDBACK(file) \
    va_list args;                 \
    va_start(args, format);       \
    vreport_feedback(file, format, args); \
    va_end(args)

inline void judge_message(const char *format, ...) { VALIDATE_H_FEEDBACK("judgemessage.txt"); }
inline void author_message(const char *format, ...) { VALIDATE_H_FEEDBACK("teammessage.txt"); }

[[noreturn]] inline void wrong_answer(const char *format, ...) {
    VALIDATE_H_FEEDBACK("judgemessage.txt");
    std::exit(EXITCODE_WA);
}

[[noreturn]] inline void judge_error(const char *format, ...) {
    VALIDATE_H_FEEDBACK("judgemessage.txt");
    std::exit(1);  // neither 42 nor 43: the judge reports a judging error
}

[[noreturn]] inline void accept() { std::exit(EXITCODE_AC); }

[[noreturn]] inline void accept_with_score(double score) {
    report_feedback("score.txt", "%.15g\n", score);
    std::exit(EXITCODE_AC);
}

inline void init_io(int argc, char **argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s input answer feedback_dir [flags] < team_output\n", argv[0]);
        std::exit(1);
    }
    struct stat info;
    if (stat(argv[3], &info) != 0 || !S_ISDIR(info.st_mode)) {
        std::fprintf(stderr, "%s: feedback directory %s does not exist\n", argv[0], argv[3]);
        std::exit(1);
    }
    feedback_dir = argv[3];
    judge_in.open(argv[1]);
    if (judge_in.fail()) judge_error("%s: cannot open input %s\n", argv[0], argv[1]);
    judge_ans.open(argv[2]);
    if (judge_ans.fail()) judge_error("%s: cannot open answer %s\n", argv[0], argv[2]);
}
