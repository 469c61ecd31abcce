# `sgxemu --help`, `sgxemu help CMD`, `sgxemu CMD --help`: present, consistent and accurate
# (every option a help text names is one the command accepts).
source "$(dirname "$0")/lib.sh"

commands="measure sign verify info"
mkdir "$T/scratch" # options given a dummy value below may create files (--generate-key 1)
SGXEMU=$(realpath "$SGXEMU")

run 0 "$SGXEMU" --help
for c in $commands; do
	grep -qE "^  $c " "$T/out" || fail "sgxemu --help does not list $c"
done
expect_out "Exit status: 0 success, 1 failure, 2 wrong usage."
run 0 "$SGXEMU" help
run 2 "$SGXEMU"
expect_err "Usage: sgxemu COMMAND"
run 2 "$SGXEMU" frobnicate
expect_err "sgxemu: no command 'frobnicate'; 'sgxemu --help' lists them"
run 2 "$SGXEMU" help frobnicate
expect_err "no command 'frobnicate'"
run 0 "$SGXEMU" --version
expect_out "sgxemu "

for c in $commands; do
	run 0 "$SGXEMU" help "$c"
	cp "$T/out" "$T/help-$c"
	grep -q "^Usage: sgxemu $c" "$T/help-$c" || fail "help $c has no synopsis"
	run 0 "$SGXEMU" "$c" --help
	cmp -s "$T/out" "$T/help-$c" || fail "'sgxemu help $c' and 'sgxemu $c --help' differ"
	run 0 "$SGXEMU" "$c" -h
	cmp -s "$T/out" "$T/help-$c" || fail "'sgxemu $c -h' differs from --help"
	# Every long option the help names is accepted (no "unknown option").
	for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' "$T/help-$c" | sort -u); do
		[ "$opt" = --help ] && continue
		(cd "$T/scratch" && "$SGXEMU" "$c" "$opt" 1 >/dev/null 2>"$T/err") || true
		if grep -q "unknown option" "$T/err"; then
			fail "'sgxemu help $c' names $opt, which $c does not accept"
		fi
	done
done

# The other direction for sign: every signed field has an option, and help describes it.
for opt in --vendor --date --swdefined --attributes --attributes-mask --xfrm --xfrm-mask \
	--miscselect --miscselect-mask --isvprodid --isvsvn --isvfamilyid --isvextprodid --debug \
	--key --out --generate-key; do
	grep -qF -- "$opt" "$T/help-sign" || fail "sign's help does not describe $opt"
done
for opt in --epc --sgx2 --flc --launch-cache --root-seed --lps --log --stats; do
	grep -qF -- "$opt" "$T/help-info" || fail "info's help does not describe $opt"
done

finish
