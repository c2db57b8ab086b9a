#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/lint.sh - static checks that must stay clean: clang-format (style in .clang-format) over
# the C sources, clang-tidy (checks in .clang-tidy, using build/compile_commands.json) and
# cppcheck over src/. Prints one line per tool:
# "lint <tool>: PASS" or "lint <tool>: FAIL" (with the findings above it).
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
[ -f build/compile_commands.json ] || meson setup build >/dev/null || exit 1
mapfile -t srcs < <(find src -name '*.c' | sort)
unformatted=()
for f in $(find src tests/unit tests/fuzz -name '*.[ch]' | sort); do
	clang-format "$f" | cmp -s - "$f" || unformatted+=("$f")
done
if [ ${#unformatted[@]} -eq 0 ]; then
	echo "lint clang-format: PASS"
else
	echo "not formatted (run clang-format -i): ${unformatted[*]}"
	echo "lint clang-format: FAIL"
	rc=1
fi
if out=$(clang-tidy --quiet -p build --extra-arg=-Wno-unknown-warning-option "${srcs[@]}" 2>&1) &&
	! grep -qE 'warning:|error:' <<<"$out"; then
	echo "lint clang-tidy: PASS"
else
	grep -E -A3 'warning:|error:' <<<"$out"
	echo "lint clang-tidy: FAIL"
	rc=1
fi
if out=$(cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
	--std=c11 -D_GNU_SOURCE -Isrc -Ibuild --suppress=missingIncludeSystem src 2>&1); then
	echo "lint cppcheck: PASS"
else
	printf '%s\n' "$out"
	echo "lint cppcheck: FAIL"
	rc=1
fi
exit $rc
