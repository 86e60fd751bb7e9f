// Compile-time attack: 2^N distinct instantiations (each B<N, M> needs B<N-1, 2M> and
// B<N-1, 2M+1>). Defence: compile CPU/memory limits.
template <int N, long M> struct B {
    static const long v = B<N - 1, 2 * M>::v + B<N - 1, 2 * M + 1>::v;
};
template <long M> struct B<0, M> {
    static const long v = M;
};
int main() { return (int)B<40, 0>::v; }
