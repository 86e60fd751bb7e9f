#!/usr/bin/env bash
# The JDK layer for AWS: a jlink'd Java runtime with jdk.compiler (java + javac) under /opt/jdk, from
# a pinned Amazon Corretto build (built for old glibc, so it runs on Amazon Linux 2023's 2.34).
# Needs network access to download the JDK; any x86_64 Linux host will do (jlink copies, it does not
# compile). Its packaging step is the one layers/build_local.sh uses and tests with the host's JDK.
#
#   JDK_SHA256=<sha256 of the tarball, from the Corretto downloads page> bash layers/build_jdk.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=$(realpath -m "${1:-$repo/build/layers}")
JDK_VERSION=${JDK_VERSION:-17.0.15.6.1}
JDK_URL=${JDK_URL:-https://corretto.aws/downloads/resources/$JDK_VERSION/amazon-corretto-$JDK_VERSION-linux-x64.tar.gz}
JDK_MODULES=${JDK_MODULES:-java.base,java.logging,jdk.compiler,jdk.unsupported}
: "${JDK_SHA256:?set JDK_SHA256 to the published checksum of $JDK_URL}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL -o "$work/jdk.tar.gz" "$JDK_URL"
echo "$JDK_SHA256  $work/jdk.tar.gz" | sha256sum -c -
mkdir "$work/full" && tar -xzf "$work/jdk.tar.gz" -C "$work/full" --strip-components=1
mkdir -p "$work/layer" "$out"
"$work/full/bin/jlink" --module-path "$work/full/jmods" --add-modules "$JDK_MODULES" \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$work/layer/jdk"
"$work/layer/jdk/bin/java" -version
python3 "$repo/tools/detzip.py" "$work/layer" "$out/jdk.zip"
