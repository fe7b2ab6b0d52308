#!/bin/sh
# Fails if any object of lib/ or harness/ defines writable data (nm B/b/D/d):
# such state would survive from one fuzz input to the next. Sanitizer and
# compiler-generated symbols are not ours and are skipped.
status=0
for a in "$@"; do
	[ -f "$a" ] || { echo "no_globals: missing $a"; exit 1; }
	bad=$(nm --defined-only "$a" 2>/dev/null |
		awk '$2 ~ /^[BbDd]$/ && $3 !~ /^(__|\.L|_GLOBAL_)/ && $3 !~ /(asan|ubsan|sancov|__odr|_llvm|__profc|__profd)/ {print $3}')
	if [ -n "$bad" ]; then
		echo "writable global/static state in $a:"
		echo "$bad" | sed 's/^/  /'
		status=1
	fi
done
[ $status = 0 ] && echo "no_globals: $# archive(s) clean"
exit $status
