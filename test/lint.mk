# SPDX-License-Identifier: MIT
# lint.mk - make lint: static analysis of lib/ and tools/; included by the
# Makefile
