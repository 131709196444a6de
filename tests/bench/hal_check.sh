#!/bin/sh
# dmasim-bench-hal --check: every figure printed beside its target, a verdict line, and exit
# status 0 (all met) or 1 (some short) -- never asserting a time, only the contract. A bad
# option is a usage error (2).
bench="$1"
out=$("$bench" --quick --check)
rc=$?
fail() { echo "FAIL: $*"; echo "$out"; exit 1; }
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "exit status $rc (0 or 1 expected)"
figures=$(echo "$out" | grep -c '(target [<>]=')
[ "$figures" -ge 8 ] || fail "$figures figures beside a target (8 or more expected)"
shorts=$(echo "$out" | grep -c 'SHORT$')
if [ "$rc" -eq 1 ]; then
    [ "$shorts" -ge 1 ] || fail "exit status 1 without a SHORT figure"
    echo "$out" | grep -q '^check: short of target' || fail "no verdict line"
else
    [ "$shorts" -eq 0 ] || fail "exit status 0 with $shorts SHORT figures"
    echo "$out" | grep -q '^check: every target met' || fail "no verdict line"
fi
"$bench" --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown option is not exit status 2"
echo "ok: $figures figures, $shorts short, exit $rc"
