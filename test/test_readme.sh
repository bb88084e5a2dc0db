#!/bin/sh
# SPDX-License-Identifier: MIT
# test_readme.sh - README's examples as a reader pastes them: its C
# examples are the demo programs, and its shell and Python blocks run as
# written (the Dask one given the client it assumes), with the package
# installed in a temporary root and a /dev/shm of their own
B=${B:-build}
failed=0
. test/fixtures.sh		# in_private_shm
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; failed=1; }
tmp=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$tmp"' EXIT

# block LANG N: the Nth block of README fenced as LANG, as written
block() {
	awk -v lang="$1" -v want="$2" '
		/^```/ && on { on = 0; next }
		/^```/ { n += ($0 == "```" lang); on = ($0 == "```" lang && n == want); next }
		on' README.md
}

# The C examples are the demo programs, byte for byte (which make demo
# compiles and runs, and test_build.sh builds against the installed
# library).
block c 1 | cmp -s - test/demo/producer.c &&
block c 2 | cmp -s - test/demo/reader.c &&
	ok "README's C examples are test/demo/producer.c and reader.c" ||
	nok "README's C examples differ from test/demo/*.c"

# The rest runs against an installed copy, as README assumes: shmctl on
# PATH, the Python package where make install puts it.
make --no-print-directory -s install B="$B" DESTDIR="$tmp/root" \
	PREFIX=/usr/local >/dev/null 2>&1 || nok "make install into a scratch root"
site=$(echo "$tmp"/root/usr/local/lib/python3.*/dist-packages)
block sh 2 >"$tmp/shell.sh"		# block 1 is the quick start: make itself
block python 2 >"$tmp/producer.py"	# block 1 is numpy.load, in the shell one
block python 3 >"$tmp/worker.py"
block python 4 >"$tmp/trades.py"
block python 5 >"$tmp/dask_block.py"	# given a client, which this makes
cat >"$tmp/readme_dask.py" <<'EOT'
import distributed
if __name__ == "__main__":      # Dask starts its workers by spawn
    client = distributed.Client(n_workers=2, threads_per_worker=1,
                                dashboard_address=None)
    exec(open(__file__.replace("readme_dask", "dask_block")).read())
EOT
cat >"$tmp/run.sh" <<EOT
set -e
cd "$tmp"
export PATH="$tmp/root/usr/local/bin:/usr/bin:/bin" PYTHONPATH="$site"
echo "== shell"
sh -e "$tmp/shell.sh" >"$tmp/shell.out" 2>"$tmp/shell.err"
echo "== python"
python3 "$tmp/producer.py"
python3 "$tmp/worker.py"
python3 "$tmp/trades.py"
ls /dev/shm
echo "== dask"
if python3 -c 'import distributed' 2>/dev/null; then
	python3 "$tmp/readme_dask.py" 2>"$tmp/dask.err" || echo "exit \$?"
	ls /dev/shm | grep '^shmseg-dask-' || :
else
	echo "no distributed"
fi
EOT
if [ -s "$tmp/shell.sh" ] && grep -q '^shmctl create weights' "$tmp/shell.sh" &&
   [ -s "$tmp/worker.py" ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	if in_private_shm "$tmp/run.sh" "$B" "README's blocks" >"$tmp/out"; then
		# The worker prints the sum, the record example what its
		# comment says; the shell block removed its segment, and the
		# Python ones leave "trades" and "weights", which their own
		# /dev/shm takes away with it.
		py=$(sed -n '/^== python/,/^== dask/p' "$tmp/out" | sed '1d;$d' | tr '\n' ' ')
		dask=$(sed -n '/^== dask/,$p' "$tmp/out" | sed 1d | tr '\n' ' ')
		case $py in
		[0-9]*.[0-9]*" True [109.99] trades weights ")
			if [ -s "$tmp/shell.out" ] && ! [ -s "$tmp/shell.err" ]; then
				ok "README's shell block and Python producer and worker run as written"
			else
				nok "README's shell block: $(cat "$tmp/shell.err")"
			fi ;;
		*)	nok "README's blocks: $(cat "$tmp/out")" ;;
		esac
		# The Dask block prints True and leaves no segment.
		case $dask in
		"True ")	ok "README's Dask block runs as written, given a client" ;;
		"no distributed ")
			echo "SKIP: README's Dask block: no Dask distributed for /usr/bin/python3 (python3-distributed)" ;;
		*)	nok "README's Dask block: $dask $(tail -5 "$tmp/dask.err")" ;;
		esac
	fi
else
	echo "SKIP: README's blocks: blocks not found, or no numpy for /usr/bin/python3"
fi
exit $failed
