#!/bin/sh
# SPDX-License-Identifier: MIT
# test_build.sh - the built library: exports, soname, install, pkg-config
B=${B:-build}
failed=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; failed=1; }

so=$B/libshmseg.so
extra=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^shmseg_' |
	grep -v '^SHMSEG_1$')
[ -z "$extra" ] && ok "only shmseg_* symbols are exported" ||
	nok "symbols exported beyond shmseg_*: $extra"

missing=""
# (shmseg_list_fn is a type, not a function)
for f in $(grep -oE '\bshmseg_[a-z0-9_]+[[:space:]]*\(' include/shmseg.h |
	   tr -d ' (' | grep -v '_fn$' | sort -u); do
	nm -D --defined-only "$so" | grep -q " $f@@SHMSEG_1\$" ||
		missing="$missing $f"
done
[ -z "$missing" ] && ok "every public function is exported in SHMSEG_1" ||
	nok "not exported:$missing"

readelf -d "$so" | grep -q 'Library soname: \[libshmseg.so.1\]' &&
	ok "soname is libshmseg.so.1" || nok "soname"

# Install into a scratch root; build a program with pkg-config against the
# shared and the static library, then run both.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
make --no-print-directory -s install B="$B" DESTDIR="$root" PREFIX=/opt/shmseg \
	>/dev/null || nok "make install"
for f in opt/shmseg/include/shmseg.h opt/shmseg/lib/libshmseg.so.1.0.0 opt/shmseg/lib/libshmseg.so.1 \
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
  "shmctl (shmseg) 1.0.0" ] && ok "installed shmctl runs" || nok "installed shmctl"
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
if command -v c++ >/dev/null; then
	echo '#include <shmseg.h>' | c++ -x c++ -fsyntax-only -Iinclude - &&
		ok "header compiles as C++" || nok "header compiles as C++"
fi
exit $failed
