#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Generate ./configure from configure.ac.
set -e
cd "$(dirname "$0")"
autoreconf -fi -I m4 2>/dev/null || { mkdir -p m4; aclocal -I m4 && autoconf; }
echo "now run ./configure && make"
