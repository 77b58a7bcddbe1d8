#!/bin/sh
# A stand-in for prometeuc, the PROMETEU compiler: "compiles" src/ into build/program.pbx.
set -e
[ "$1" = "build" ] || { echo "error: usage: prometeuc build DIR" >&2; exit 2; }
echo "   Compiling colorsquare v1.0.0 ($(pwd))" >&2
sleep 0.3
for file in src/*.pbs; do
    echo "   Checking $file" >&2
done
echo "warning: unused variable \`frame_count\` in src/main.pbs:3" >&2
mkdir -p build
{ echo "PBX1"; cat src/*.pbs; } > build/program.pbx
sleep 0.2
echo "    Finished release [optimized] target(s) in 0.51s" >&2
