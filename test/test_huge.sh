#!/bin/sh
# SPDX-License-Identifier: MIT
# test_huge.sh - huge pages: segments made every way are backed by huge
# pages where the file system's policy gives them, and not where it does
# not; readers map them whole. Run in huge_private.sh, inside a private
# mount namespace, on tmpfs file systems of its own on /dev/shm
B=${B:-build}
. test/fixtures.sh		# in_private_shm
failed=0

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; failed=1; }

THP=/sys/kernel/mm/transparent_hugepage
if [ ! -r $THP/hpage_pmd_size ] || [ ! -r $THP/shmem_enabled ]; then
	echo "SKIP: huge pages: this kernel has no transparent huge pages for shared memory ($THP/shmem_enabled)"
	exit 0
fi
case $(cat $THP/shmem_enabled) in
*'[deny]'* | *'[force]'*)
	echo "SKIP: huge pages: $THP/shmem_enabled is $(cat $THP/shmem_enabled), which overrides every mount's huge= policy"
	exit 0 ;;
esac

# Three policies, each with five ways in, and with Python two more, its
# shmseg.pages() and a NumPy reader; a full /dev/shm, and one with
# exactly the room needed and one page less; a remount; a creator in a
# pid namespace without its own /proc and a reader of another uid; a file
# size limit, and signals during creates; what shmseg_pages() says of a
# mount source holding ",huge=" and of a long name.
want=23
have_package "$B" && want=37
if in_private_shm test/huge_private.sh "$B" "huge pages"; then
	[ "$(printf '%s\n' "$out" | grep -c '^ok')" -eq $want ] ||
		nok "huge page checks in a private /dev/shm did not all run"
fi
exit $failed
