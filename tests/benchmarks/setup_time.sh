#!/usr/bin/env bash
# How long a newcomer waits, from a fresh clone of this repository (`make bench` does not run it: it
# clones twice and downloads every package once). Figures in BENCHMARKS.md, "Set-up and start".
#   tests/benchmarks/setup_time.sh [REV]   (REV: the commit to clone, HEAD by default)
# warm: the package caches as the machine has them; cold: empty uv and pip caches (every package downloaded).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
rev=${1:-HEAD}
for run in warm cold; do
  dir=$(mktemp -d)
  git clone -q "$repo" "$dir" && git -C "$dir" checkout -q "$rev"
  (
    cd "$dir"
    if [ "$run" = cold ]; then export UV_CACHE_DIR="$dir/.uv-cache" PIP_NO_CACHE_DIR=1; fi
    start=$(date +%s.%N)
    printf '/kpi cac month\nexit\n' | make demo > demo.out 2>&1
    end=$(date +%s.%N)
    grep -q "Customer acquisition cost" demo.out || { echo "no answer:"; tail -5 demo.out; exit 1; }
    echo "$run: make demo to its first answer: $(echo "$end - $start" | bc) s; venv: $(du -sm .venv | cut -f1) MB"
    list=$(for i in 1 2 3 4 5; do /usr/bin/time -f %e .venv/bin/python -m kpi list 2>&1 >/dev/null; done | sort -n | sed -n 3p)
    console=$(for i in 1 2 3 4 5; do s=$(date +%s.%N); printf 'exit\n' | .venv/bin/python -m bot console --demo >/dev/null 2>&1
              e=$(date +%s.%N); echo "$e - $s" | bc; done | sort -n | sed -n 3p)
    echo "$run: python -m kpi list ${list} s, console start ${console} s (medians of 5, demo.db present)"
  )
  rm -rf "$dir"
done
