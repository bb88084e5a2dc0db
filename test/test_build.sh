#!/bin/sh
# SPDX-License-Identifier: MIT
# test_build.sh - the built library: exports, soname, install, pkg-config
B=${B:-build}
failed=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; failed=1; }

so=$B/libshmseg.so
syms=$(nm -D --defined-only "$so" | awk '{print $3}')
extra=$(printf '%s\n' "$syms" | grep -v '^shmseg_' | grep -vE '^SHMSEG_1(\.[0-9]+)?$')
[ -z "$extra" ] && ok "only shmseg_* symbols are exported" ||
	nok "symbols exported beyond shmseg_*: $extra"

# The SHMSEG_1 node is what release 1.0.0 exported, and never changes:
# every function added later is in a node of its own.
v1="shmseg_attach shmseg_attach_wait shmseg_create shmseg_data shmseg_detach
shmseg_dtype_format shmseg_dtype_parse shmseg_fstat shmseg_layout shmseg_list
shmseg_list_flags shmseg_nbytes shmseg_npy_export shmseg_npy_import
shmseg_seal shmseg_stat shmseg_strerror shmseg_unlink"
got=$(printf '%s\n' "$syms" | sed -n 's/@@SHMSEG_1$//p' | sort | tr '\n' ' ')
want=$(printf '%s\n' $v1 | sort | tr '\n' ' ')
[ "$got" = "$want" ] && ok "SHMSEG_1 holds exactly the 1.0.0 functions" ||
	nok "SHMSEG_1 changed: '$got', wanted '$want'"

# A wait leaves a thread of the library's own running for a moment after
# it returns: the library is never unloaded (-z nodelete), so that a
# dlclose() at once after a wait does not pull its code from under it
# (without, this program ends in SIGSEGV).
readelf -d "$so" | grep -q 'Flags:.*NODELETE' &&
	ok "the shared library is marked NODELETE" ||
	nok "the shared library lacks -z nodelete"
dlt=$(mktemp -d)
cat >"$dlt/dl.c" <<'EOF_DL'
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	char name[64];
	int i;

	snprintf(name, sizeof(name), "shmseg-dl%d", (int)getpid());
	for (i = 0; i < 5; i++) {
		void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
		int (*wait)(const char *, int, int, void **);
		void *seg;

		if (!h)
			return 2;
		*(void **)&wait = dlsym(h, "shmseg_attach_wait");
		if (!wait || wait(name, 0, 1, &seg) != -110)
			return 3;
		dlclose(h);
		usleep(50000);	/* the thread goes back to its code */
	}
	return 0;
}
EOF_DL
if cc -o "$dlt/dl" "$dlt/dl.c" -ldl; then
	"$dlt/dl" "$(cd "$B" && pwd)/libshmseg.so" &&
		ok "dlopen, a wait, dlclose at once, 5 times: no crash" ||
		nok "dlclose after a wait: exit $?"
else
	nok "the dlclose program did not build"
fi
rm -rf "$dlt"

missing=""
# (shmseg_list_fn is a type, not a function)
for f in $(grep -oE '\bshmseg_[a-z0-9_]+[[:space:]]*\(' include/shmseg.h |
	   tr -d ' (' | grep -v '_fn$' | sort -u); do
	printf '%s\n' "$syms" | grep -qE "^$f@@SHMSEG_1(\.[0-9]+)?\$" ||
		missing="$missing $f"
done
[ -z "$missing" ] && ok "every public function is exported in a SHMSEG_1 node" ||
	nok "not exported:$missing"

# Every function the sources mark EXPORT is in the header (and so, by the
# test above, in the map), and nothing else is.
exported=$(cat lib/*.c | tr '\n' ' ' |
	grep -oE 'EXPORT [^(;{]*\bshmseg_[a-z0-9_]+[[:space:]]*\(' |
	grep -oE 'shmseg_[a-z0-9_]+' | sort -u | tr '\n' ' ')
declared=$(grep -oE '\bshmseg_[a-z0-9_]+[[:space:]]*\(' include/shmseg.h |
	tr -d ' (' | grep -v '_fn$' | sort -u | tr '\n' ' ')
[ -n "$exported" ] && [ "$exported" = "$declared" ] &&
	ok "the functions marked EXPORT are the header's" ||
	nok "EXPORT '$exported', header '$declared'"

# The static library shows the public functions alone: the internal ones
# (hdr_decode, os_list, ...) are local to it, and collide with nothing of
# a program linked with it.
st=$(nm -g --defined-only "$B/libshmseg.a" | awk 'NF == 3 { print $3 }' |
	sort | tr '\n' ' ')
[ "$st" = "$declared" ] && ok "libshmseg.a defines only the public functions" ||
	nok "libshmseg.a defines '$st'"

# The layering check of make lint finds what it is there to find: a table
# in which a file calls up, a pure file that enters the kernel, the OS
# layer calling into the format, a file in no layer.
table=$(mktemp)
layers_finds() {
	out=$(sh test/layers.sh "$B" "$table")
	if [ $? -ne 0 ] && printf '%s\n' "$out" | grep -qF "$2"; then
		ok "layers.sh finds $1"
	else
		nok "layers.sh misses $1: $out"
	fi
}
sh test/layers.sh "$B" >/dev/null && ok "lib/ calls only downward" ||
	nok "layering: $(sh test/layers.sh "$B")"
sed -e 's/^ \* @pure npy.c/ * @pure XX/' -e 's/^ \* @pure header.c/ * @pure npy.c/' \
	-e 's/^ \* @pure XX/ * @pure header.c/' lib/internal.h >"$table"
layers_finds "a call upward" "header.c calls npy_dict_text of npy.c"
layers_finds "an include upward" "header.c includes npy.h"
sed 's/^ \* @io   segment.c/ * @pure segment.c/' lib/internal.h >"$table"
layers_finds "a pure file with a system call" "segment.c is pure but calls mmap"
sed 's/^ \* @pure header.c/ * @os header.c/' lib/internal.h >"$table"
layers_finds "the OS layer calling the format" "header.c calls layout_check of layout.c"
sed 's/ list.c / /' lib/internal.h >"$table"
layers_finds "a file in no layer" "lib/list.c is in no layer"
# A header that brings a higher layer into a pure one.
dl=$(mktemp -d)
cp -R lib/. "$dl"
sed 's/^#include "internal.h"/#include "segment.h"/' lib/npy.h >"$dl/npy.h"
out=$(LIB=$dl sh test/layers.sh "$B")
[ $? -ne 0 ] && printf '%s\n' "$out" | grep -qF "npy.h includes segment.h" &&
	ok "layers.sh finds a header including upward" ||
	nok "layers.sh misses a header including upward: $out"
# A pure file whose system call the compiler fortified (read becomes
# __read_chk): the objects as built, name.o replaced by one that reads.
db=$(mktemp -d)
mkdir -p "$db/lib" "$db/portable"
cp "$B"/lib/*.o "$db/lib/" && cp "$B"/portable/*.o "$db/portable/"
printf '#include <unistd.h>\nint name_peek(int fd, size_t n);\nint name_peek(int fd, size_t n)\n{ char b[8]; return (int)read(fd, b, n); }\n' >"$dl/peek.c"
if cc -O2 -D_FORTIFY_SOURCE=2 -c -o "$db/lib/name.o" "$dl/peek.c" &&
   nm -u "$db/lib/name.o" | grep -q '__read_chk'; then
	out=$(sh test/layers.sh "$db")
	[ $? -ne 0 ] && printf '%s\n' "$out" | grep -qF "name.c is pure but calls __read_chk" &&
		ok "layers.sh finds a fortified system call in a pure file" ||
		nok "layers.sh misses __read_chk in a pure file: $out"
else
	echo "SKIP: layers.sh and fortified calls: this compiler does not fortify read"
fi
rm -rf "$dl" "$db"
# A missing object is said, not only failed on.
mkdir -p "$table.d/lib"
out=$(sh test/layers.sh "$table.d" 2>&1)
[ $? -ne 0 ] && printf '%s\n' "$out" | grep -qF "no object for lib/" &&
	ok "layers.sh says which object is missing" ||
	nok "layers.sh on a missing object: '$out'"
rm -rf "$table" "$table.d"

readelf -d "$so" | grep -q 'Library soname: \[libshmseg.so.1\]' &&
	ok "soname is libshmseg.so.1" || nok "soname"

# Install into a scratch root; build a program with pkg-config against the
# shared and the static library, then run both.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
make --no-print-directory -s install B="$B" DESTDIR="$root" PREFIX=/opt/shmseg \
	>/dev/null || nok "make install"
for f in opt/shmseg/include/shmseg.h opt/shmseg/lib/libshmseg.so.1.5.0 opt/shmseg/lib/libshmseg.so.1 \
	 opt/shmseg/lib/libshmseg.so opt/shmseg/lib/libshmseg.a opt/shmseg/lib/pkgconfig/shmseg.pc \
	 opt/shmseg/share/man/man3/shmseg_create.3 opt/shmseg/share/man/man5/shmseg.5 \
	 opt/shmseg/bin/shmctl opt/shmseg/share/man/man1/shmctl.1; do
	[ -e "$root/$f" ] || nok "installed $f"
done
cat >"$root/prog.c" <<'EOC'
#include <shmseg.h>
#include <stdio.h>
int main(void)
{
	struct shmseg_dtype dt;
	char buf[SHMSEG_DTYPE_STRLEN];

	if (shmseg_dtype_parse("float64", &dt) ||
	    shmseg_dtype_format(&dt, buf, sizeof(buf)) < 0)
		return 1;
	printf("%s\n", buf);
	return 0;
}
EOC
[ "$(LD_LIBRARY_PATH=$root/opt/shmseg/lib "$root/opt/shmseg/bin/shmctl" --version)" = \
  "shmctl (shmseg) 1.5.0" ] && ok "installed shmctl runs" || nok "installed shmctl"
export PKG_CONFIG_PATH="$root/opt/shmseg/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
if cc -o "$root/prog" "$root/prog.c" $(pkg-config --cflags --libs shmseg) &&
   [ "$(LD_LIBRARY_PATH=$root/opt/shmseg/lib "$root/prog")" = "<f8" ]; then
	ok "program built with pkg-config runs against the shared library"
else
	nok "pkg-config build against the shared library"
fi
if cc -static -o "$root/prog-static" "$root/prog.c" \
	$(pkg-config --static --cflags --libs shmseg) 2>/dev/null &&
   [ "$("$root/prog-static")" = "<f8" ]; then
	ok "program built with pkg-config --static runs"
else
	nok "pkg-config --static build"
fi
# Installed for real, into /usr/local, a program built as README says
# starts at once: make install refreshed the linker cache. In a private
# mount namespace, over a tmpfs /usr/local and a copy of /etc, so that
# nothing of the machine changes.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v ldconfig >/dev/null; then
	# Only where the whole tree can be made private (not in a chroot,
	# where / is no mount point): the mounts below must reach nobody.
	out=$(unshare --mount --propagation unchanged sh -c '
		mount --make-rprivate / 2>/dev/null || { echo "SKIP: no private tree"; exit 0; }
		etc=$(mktemp -d) && cp -a /etc/. "$etc" && mount --bind "$etc" /etc &&
		mount -t tmpfs shmseg-test-usr-local /usr/local || exit 3
		make --no-print-directory -s install B="$1" PREFIX=/usr/local >/dev/null 2>&1 || exit 4
		cc -o /usr/local/prog "$2" $(PKG_CONFIG_PATH=/usr/local/lib/pkgconfig \
			PKG_CONFIG_SYSROOT_DIR= pkg-config --cflags --libs shmseg) || exit 5
		env -u LD_LIBRARY_PATH /usr/local/prog' sh "$B" "$root/prog.c" 2>&1)
	case $out in
	"<f8")	ok "make install refreshes the linker cache: a program starts at once" ;;
	SKIP*)	echo "SKIP: make install and the linker cache: / cannot be made private here (a chroot?)" ;;
	*)	nok "program after make install: '$out'" ;;
	esac
else
	echo "SKIP: make install and the linker cache: needs root, unshare and ldconfig"
fi

# Pages of related functions are installed as links to the page they
# share, as in the source tree, not as copies.
m3="$root/opt/shmseg/share/man/man3"
[ -L "$m3/shmseg_fstat.3" ] && [ "$(readlink "$m3/shmseg_fstat.3")" = shmseg_stat.3 ] &&
	[ -f "$m3/shmseg_stat.3" ] && [ ! -L "$m3/shmseg_stat.3" ] &&
	ok "alias man pages installed as links" ||
	nok "alias man pages: $(ls -l "$m3/shmseg_fstat.3" 2>&1)"

# The Python package: installed where make install says, and built by pip
# offline against the installed library (linked in statically).
PY=/usr/bin/python3
if [ -d "$B/python/shmseg" ] && "$PY" -c 'import numpy' 2>/dev/null; then
	site=$(echo "$root"/opt/shmseg/lib/python3.*/dist-packages)
	code='import sys, numpy as np, shmseg
n = sys.argv[1]
a = shmseg.create(n, np.arange(6.0).reshape(2, 3))
print(shmseg.attach(n).sum(), shmseg.__version__)
shmseg.unlink(n)'
	exported=$(nm -D --defined-only "$B"/python/shmseg/_ext*.so | awk '{ print $3 }')
	[ "$exported" = PyInit__ext ] &&
		ok "the extension exports PyInit__ext alone (the library linked in stays inside)" ||
		nok "the extension exports: $exported"
	[ "$(cd / && PYTHONPATH=$site "$PY" -c "$code" shmseg-b$$-py 2>&1)" = "15.0 1.5.0" ] &&
		ok "installed Python package imports and works ($site)" ||
		nok "installed Python package in '$site'"
	# As README says: a venv that sees Debian's NumPy and setuptools.
	if "$PY" -m venv --help >/dev/null 2>&1 && "$PY" -m pip --version >/dev/null 2>&1; then
		cp -R bindings/python "$root/src"
		if "$PY" -m venv --system-site-packages "$root/env" >"$root/pip.log" 2>&1 &&
		   "$root/env/bin/pip" install -q --no-build-isolation --no-index \
			"$root/src" >>"$root/pip.log" 2>&1 &&
		   [ "$(cd / && "$root/env/bin/python" -c "$code" shmseg-b$$-pip 2>&1)" = "15.0 1.5.0" ]; then
			ok "pip builds the package offline in a venv, as README says"
		else
			nok "pip install of bindings/python: $(tail -5 "$root/pip.log")"
		fi
	else
		echo "SKIP: pip install of the package: no venv or pip (python3-venv, python3-pip)"
	fi
else
	echo "SKIP: installed Python package: not built, or no numpy"
fi

# A reader of the format before version 4, built from release 1.3.0 (the
# last commit of it in this repository's history), refuses the segments of
# format 4 that a record or datetime dtype makes as unsupported, never as
# damaged and never misread; and still reads what the new library writes
# for a plain dtype (format 3).
old=6b8707b
if ! command -v git >/dev/null 2>&1 ||
   ! git rev-parse -q --verify "$old^{commit}" >/dev/null 2>&1; then
	echo "SKIP: a reader of release 1.3.0: its commit $old is not in this clone (git history needed)"
else
	oldsrc=$(mktemp -d)
	seg=shmseg-b$$-v4
	if git archive "$old" | tar -x -C "$oldsrc" &&
	   make -C "$oldsrc" -s -j2 build/shmctl >"$oldsrc/make.log" 2>&1; then
		olds=$oldsrc/build/shmctl
		head -c 48 /dev/zero | "$B/shmctl" create "$seg-rec" --raw - \
			--shape 2 --dtype "[('t', '<M8[ns]'), ('x', '<f8'), ('n', '<i4'), ('', '|V4')]"
		head -c 16 /dev/zero | "$B/shmctl" create "$seg-dt" --raw - \
			--shape 2 --dtype "<M8[ns]"
		head -c 16 /dev/zero | "$B/shmctl" create "$seg-f8" --raw - \
			--shape 2 --dtype "<f8"
		rec=$("$olds" info "$seg-rec" 2>&1); rrec=$?
		dt=$("$olds" info "$seg-dt" 2>&1); rdt=$?
		attach=$("$olds" dump "$seg-rec" -o /dev/null 2>&1); ratt=$?
		plain=$("$olds" info "$seg-f8" 2>&1); rplain=$?
		want="unsupported format version or dtype"
		[ "$rrec" = 1 ] && [ "$rec" = "shmctl: info $seg-rec: $want" ] &&
		[ "$rdt" = 1 ] && [ "$dt" = "shmctl: info $seg-dt: $want" ] &&
		[ "$ratt" = 1 ] && [ "$attach" = "shmctl: dump $seg-rec: $want" ] &&
			ok "a reader of release 1.3.0 refuses format 4 segments (record, datetime) as unsupported (ENOTSUP), to stat and to attach" ||
			nok "release 1.3.0 reader on format 4: info $rrec '$rec', $rdt '$dt'; dump $ratt '$attach'"
		[ "$rplain" = 0 ] && printf '%s\n' "$plain" | grep -q '^dtype: *<f8$' &&
			ok "a reader of release 1.3.0 still reads a plain dtype's segment (format 3)" ||
			nok "release 1.3.0 reader on a plain segment: $rplain '$plain'"
		rm -f "/dev/shm/$seg-rec" "/dev/shm/$seg-dt" "/dev/shm/$seg-f8"
	else
		nok "build of release 1.3.0 from $old: $(tail -3 "$oldsrc/make.log")"
	fi
	rm -rf "$oldsrc"
fi

if command -v c++ >/dev/null; then
	echo '#include <shmseg.h>' | c++ -x c++ -fsyntax-only -Iinclude - &&
		ok "header compiles as C++" || nok "header compiles as C++"
fi
exit $failed
