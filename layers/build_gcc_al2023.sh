#!/usr/bin/env bash
# The GCC layer for AWS: gcc, g++, binutils, glibc and libstdc++ headers/libraries and a precompiled
# bits/stdc++.h, all from Amazon Linux 2023 packages (glibc 2.34, the python3.12 runtime's OS), laid
# out under /opt/gcc with gcc/bin/{gcc,g++} as the entry points (judge/languages.py looks there).
#
# Needs docker or podman and network access to the Amazon Linux image and repositories: it cannot run
# on the offline development machine; its packaging step (tools/detzip.py) is the one the local layer
# build uses and tests.
#
#   bash layers/build_gcc_al2023.sh [OUT_DIR=build/layers]     → OUT_DIR/gcc.zip
# Pin the image for reproducible builds: AL2023_IMAGE=public.ecr.aws/amazonlinux/amazonlinux:2023@sha256:...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=$(realpath -m "${1:-$repo/build/layers}")
image=${AL2023_IMAGE:-public.ecr.aws/amazonlinux/amazonlinux:2023}
# Must match the C++ compile flags in judge/languages.py, or g++ ignores the precompiled header.
PCH_FLAGS=${PCH_FLAGS:--std=gnu++20 -O2}
engine=$(command -v docker || command -v podman || true)
[ -n "$engine" ] || { echo "needs docker or podman (see layers/README.md)" >&2; exit 1; }
mkdir -p "$out"

"$engine" run --rm -e PCH_FLAGS="$PCH_FLAGS" -v "$repo:/src:ro" -v "$out:/out" "$image" bash -euo pipefail -c '
  dnf install -y -q gcc gcc-c++ binutils glibc-devel glibc-static libstdc++-devel libstdc++-static python3 findutils
  root=/opt/gcc/root
  mkdir -p "$root"
  # Copy exactly the files of the toolchain packages, keeping their /usr layout under the sysroot.
  for pkg in gcc gcc-c++ cpp binutils glibc-devel glibc-headers glibc-static libstdc++-devel libstdc++-static \
             libgcc libstdc++ glibc kernel-headers libmpc mpfr gmp isl libzstd zlib elfutils-libelf; do
    rpm -q "$pkg" >/dev/null 2>&1 || continue
    rpm -ql "$pkg" | while read -r f; do
      [ -e "$f" ] && [ ! -d "$f" ] || continue
      case "$f" in /usr/share/*|*/lto1|*/lto-wrapper|*/plugin/*|*/gcov*) continue ;; esac
      mkdir -p "$root$(dirname "$f")" && cp -a "$f" "$root$f"
    done
  done
  mkdir -p /opt/gcc/bin
  # Entry points: the relocated driver with the layer as sysroot; the compiler passes and binutils
  # find their shared libraries (mpc, mpfr, gmp, isl) in the sysroot, not in the Lambda image.
  for tool in gcc g++; do
    cat >/opt/gcc/bin/$tool <<EOS
#!/bin/sh
root=\$(cd "\$(dirname "\$0")/.." && pwd)/root
export LD_LIBRARY_PATH="\$root/usr/lib64\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export PATH="\$root/usr/bin:\$PATH"
exec "\$root/usr/bin/$tool" --sysroot="\$root" "\$@"
EOS
    chmod 755 /opt/gcc/bin/$tool
  done
  # The precompiled header sits next to bits/stdc++.h, where g++ looks for it first.
  header=$(echo "#include <bits/stdc++.h>" | /opt/gcc/bin/g++ -std=gnu++20 -x c++ -E - | sed -n "s/^# 1 \"\(.*bits\/stdc++\.h\)\".*/\1/p" | head -n1)
  /opt/gcc/bin/g++ $PCH_FLAGS -x c++-header "$header" -o "$header.gch"
  /opt/gcc/bin/g++ --version | head -n1 >/opt/gcc/VERSION
  echo "pch flags: $PCH_FLAGS" >>/opt/gcc/VERSION
  # Self-test before packaging: a C and a C++ program compile and run.
  printf "#include <stdio.h>\nint main(){puts(\"c ok\");}\n" >/tmp/t.c && /opt/gcc/bin/gcc -O2 -o /tmp/tc /tmp/t.c && /tmp/tc
  printf "#include <bits/stdc++.h>\nint main(){std::cout<<\"c++ ok\\n\";}\n" >/tmp/t.cpp && /opt/gcc/bin/g++ $PCH_FLAGS -o /tmp/tp /tmp/t.cpp && /tmp/tp
  python3 /src/tools/detzip.py /opt /out/gcc.zip
'
python3 "$repo/tools/check_lambda_size.py" --build-dir "$(dirname "$out")" || true
