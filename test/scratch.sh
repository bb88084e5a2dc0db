# SPDX-License-Identifier: MIT
# scratch.sh - sourced by the shell tests and the benchmarks, with $P set
# to the prefix of every name they make: a temporary directory $T, and
# removal of it and of every /dev/shm object named $P* at exit or on a
# signal (then exiting with $SCRATCH_SIGNAL_STATUS, 1 by default)
T=$(mktemp -d)
scratch_cleanup() {
	for f in /dev/shm/"$P"*; do
		[ -e "$f" ] && rm -f "$f"
	done
	rm -rf "$T"
}
trap scratch_cleanup EXIT
trap 'scratch_cleanup; exit "${SCRATCH_SIGNAL_STATUS:-1}"' INT TERM
