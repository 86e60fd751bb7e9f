#!/usr/bin/env bash
# Toolchain layers from THIS host's compilers, for the local stack (LocalStack + local executor):
#   <out>/gcc.zip  gcc/bin/{gcc,g++}   wrappers around the host's GCC + a precompiled bits/stdc++.h
#   <out>/jdk.zip  jdk/bin/{java,javac} a real jlink'd runtime of the host's JDK with jdk.compiler
# Same layout as the Amazon Linux 2023 layers (build_gcc_al2023.sh, build_jdk.sh), so the code finds
# its tools under $JUDGE_LAYER_ROOT the same way; the GCC wrappers only work on this host.
# Deterministic: the same host toolchains give the same zips (tools/detzip.py).
#
#   bash layers/build_local.sh [OUT_DIR=build/layers] [gcc|jdk ...]
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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

build_gcc() {
  local gcc gxx root=$work/gcc
  gcc=$(readlink -f "$(command -v gcc)")
  gxx=$(readlink -f "$(command -v g++)")
  mkdir -p "$root/gcc/bin" "$root/gcc/include/pch/bits"
  # The wrappers find the layer from their own path, wherever it is extracted.
  cat >"$root/gcc/bin/gcc" <<EOF
#!/bin/sh
# Local GCC layer (layers/build_local.sh): this host's C compiler.
exec $gcc "\$@"
EOF
  cat >"$root/gcc/bin/g++" <<EOF
#!/bin/sh
# Local GCC layer (layers/build_local.sh): this host's C++ compiler, with the layer's precompiled
# bits/stdc++.h found first (used when the flags match: $PCH_FLAGS).
root=\$(cd "\$(dirname "\$0")/.." && pwd)
exec $gxx -I"\$root/include/pch" "\$@"
EOF
  chmod 755 "$root/gcc/bin/gcc" "$root/gcc/bin/g++"
  local header
  header=$(echo '#include <bits/stdc++.h>' | "$gxx" -std=gnu++20 -x c++ -E - | sed -n 's/^# 1 "\(.*bits\/stdc++\.h\)".*/\1/p' | head -n1)
  cp "$header" "$root/gcc/include/pch/bits/stdc++.h"
  # GCC 12 does not write bit-identical PCH files twice (a few hash words differ between runs), so
  # the PCH is cached by what determines it: same compiler, header and flags → same bytes, same zip.
  local key cache
  key=$({ "$gxx" --version; echo "$PCH_FLAGS"; cat "$header"; } | sha256sum | cut -c1-16)
  cache=$out/.pch-cache/stdc++-$key.gch
  if [ ! -f "$cache" ]; then
    mkdir -p "$out/.pch-cache"
    # shellcheck disable=SC2086 # PCH_FLAGS is a list of flags
    "$gxx" $PCH_FLAGS -x c++-header "$root/gcc/include/pch/bits/stdc++.h" -o "$cache.tmp"
    mv "$cache.tmp" "$cache"
  fi
  cp "$cache" "$root/gcc/include/pch/bits/stdc++.h.gch"
  "$gxx" --version | head -n1 >"$root/gcc/VERSION"
  echo "pch flags: $PCH_FLAGS" >>"$root/gcc/VERSION"
  "$python" "$repo/tools/detzip.py" "$root" "$out/gcc.zip"
}

build_jdk() {
  local javac java_home root=$work/jdk
  javac=$(readlink -f "$(command -v javac)")
  java_home=${JAVA_HOME:-$(dirname "$(dirname "$javac")")}
  mkdir -p "$root"
  # A real JDK subset: java.base to run, jdk.compiler for javac; no headers, docs or debug symbols.
  "$java_home/bin/jlink" --module-path "$java_home/jmods" --add-modules "$JDK_MODULES" \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$root/jdk"
  "$python" "$repo/tools/detzip.py" "$root" "$out/jdk.zip"
}

for t in "${targets[@]}"; do
  case "$t" in
    gcc) build_gcc ;;
    jdk) build_jdk ;;
    *) echo "unknown layer: $t (gcc or jdk)" >&2; exit 2 ;;
  esac
done
