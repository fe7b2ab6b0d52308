#!/bin/sh
# Fails if any object of lib/ or harness/ defines data in a writable section
# (.data, .bss, thread-local .tdata/.tbss): such state would survive from
# one fuzz input to the next. Read by section, not by nm letter: constant
# tables that hold pointers live in .data.rel.ro ("d" to nm), which is
# read-only after relocation (clang makes such tables from switches).
# Sanitizer and profiler bookkeeping is not ours and is skipped.
status=0
for a in "$@"; do
	[ -f "$a" ] || { echo "no_globals: missing $a"; exit 1; }
	bad=$(objdump -t "$a" 2>/dev/null | awk '
		NF >= 6 && $(NF-2) ~ /^\.(data|bss|tdata|tbss)(\.|$)/ &&
		$(NF-2) !~ /^\.data\.rel\.ro/ {
			name = $NF
			if (name ~ /^(__|\.L|_GLOBAL_)/) next
			if (name ~ /(asan|ubsan|sancov|__odr|_llvm|__profc|__profd)/) next
			if ($0 !~ / O /) next	# objects only, not section symbols
			print $(NF-2) " " name
		}' | sort -u)
	if [ -n "$bad" ]; then
		echo "writable global/static state in $a:"
		echo "$bad" | sed 's/^/  /'
		status=1
	fi
done
[ $status = 0 ] && echo "no_globals: $# archive(s) clean"
exit $status
