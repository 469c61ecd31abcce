# sgxemu-bench ewb_eldu_pages_s: the figure runs to the end, which includes its own check that
# every page survived the round trips bit-exact (never the numbers: tests do not assert on time).
source "$(dirname "$0")/lib.sh"

BENCH=$BUILD/sgxemu-bench
json='^\{"name":"ewb_eldu_pages_s","value":[0-9.e+-]+,"unit":"pages/s","limit":[0-9.e+-]+,"ratio":[0-9.]+\}$'

run 0 "$BENCH" --list
expect_out "ewb_eldu_pages_s"
run 0 "$BENCH" ewb_eldu_pages_s
[ "$(wc -l <"$T/out")" = 1 ] || fail "one figure asked, not one line: $(cat "$T/out")"
grep -qE "$json" "$T/out" || fail "not an ewb_eldu_pages_s line: $(cat "$T/out")"

finish
