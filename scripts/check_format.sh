#!/usr/bin/env bash
# Fails if any C++ source is not clang-formatted (run `make format` to fix).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(find src tests bench -name '*.cpp' -o -name '*.hpp' | grep -v '/corpus/' | sort)
clang-format --dry-run --Werror $files
echo "clang-format: $(echo "$files" | wc -l) files clean"
