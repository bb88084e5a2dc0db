# SPDX-License-Identifier: MIT
# fuzz.mk - libFuzzer targets (make fuzz, and their corpus regression run
# by make check); included by the Makefile
