# sgxemu-bench: the JSON-line format and figure selection (never the numbers: tests do not
# assert on time).
source "$(dirname "$0")/lib.sh"

BENCH=$BUILD/sgxemu-bench
json='^\{"name":"[a-z0-9_]+","value":[0-9.e+-]+,"unit":"[^"]+","limit":[0-9.e+-]+,"ratio":[0-9.]+\}$'

run 0 "$BENCH" --list
expect_out "measure_mb_s"
run 0 "$BENCH" measure_mb_s
[ "$(wc -l <"$T/out")" = 1 ] || fail "one figure asked, not one line: $(cat "$T/out")"
grep -qE "$json" "$T/out" || fail "not a figure line: $(cat "$T/out")"
grep -qF '"name":"measure_mb_s"' "$T/out" || fail "wrong figure: $(cat "$T/out")"
grep -qF '"unit":"MB/s"' "$T/out" || fail "unit: $(cat "$T/out")"
run 2 "$BENCH" no_such_figure
expect_err "no figure 'no_such_figure' (--list shows them)"

finish
