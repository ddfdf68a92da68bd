#!/usr/bin/env bash
# Runs every fuzz target in the repository for a short time each, so a
# parser or renderer that panics on odd input fails CI. Targets are found
# by grep, so a new `func FuzzX(f *testing.F)` is picked up without an
# edit here. A finding fails the script; Go writes the input that broke
# the target to testdata/fuzz/FuzzX/ in its package — commit it as a
# regression seed once fixed.
#
#   .ci/fuzz.sh                 # 3s per target
#   FUZZTIME=30s .ci/fuzz.sh    # longer, e.g. nightly
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-3s}
start=$(date +%s)
failed=()
n=0
# file<TAB>target for every fuzz target in a _test.go file.
while IFS=: read -r file _ line; do
	target=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
	pkg=$(dirname "$file")
	n=$((n + 1))
	t0=$(date +%s)
	# Go's fuzzing coordinator can fail a target with a bare "context
	# deadline exceeded" at the end of -fuzztime, having found nothing
	# (a race in its shutdown, seen here on a loaded machine). Such a run
	# wrote no failing input: it is run once more. A written input, or a
	# second failure, is a finding.
	tries=0
	until go test "$pkg" -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -parallel=2 >"/tmp/fuzz-$$.log" 2>&1; do
		tries=$((tries + 1))
		if [ "$tries" -ge 2 ] || grep -q 'Failing input written' "/tmp/fuzz-$$.log" ||
			! grep -q '^    context deadline exceeded$' "/tmp/fuzz-$$.log"; then
			break
		fi
		printf 'again %-40s %-24s (deadline race at the end, no input written)\n' "$pkg" "$target"
	done
	if [ "$tries" -eq 0 ] || { [ "$tries" -eq 1 ] && ! grep -q 'FAIL' "/tmp/fuzz-$$.log"; }; then
		printf 'ok    %-40s %-24s %ss\n' "$pkg" "$target" $(($(date +%s) - t0))
	else
		printf 'FAIL  %-40s %-24s %ss\n' "$pkg" "$target" $(($(date +%s) - t0))
		sed 's/^/      /' "/tmp/fuzz-$$.log" | tail -40
		failed+=("$pkg $target")
	fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort)
rm -f "/tmp/fuzz-$$.log"

echo "fuzz: $n targets, ${fuzztime} each, $(($(date +%s) - start))s in all"
if [ "$n" -eq 0 ]; then
	echo "fuzz: no targets found" >&2
	exit 1
fi
if [ "${#failed[@]}" -gt 0 ]; then
	printf 'fuzz: finding in %s\n' "${failed[@]}" >&2
	exit 1
fi
